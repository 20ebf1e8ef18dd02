"""Everything /proc knows about one process: the inspector's Info tab.

Each fact is read on its own, so one unreadable file (EACCES on /proc/1/exe, an exited pid)
costs that fact only; `ProcInfo.errors` says which facts are missing and why.
"""

from __future__ import annotations

import errno
import grp
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TypeVar

from syswatch.model import EMPTY_MAPPING, Container
from syswatch.secrets import mask_cmdline

from .containers import container_from_cgroup
from .procfs import CLOCK_TICKS, PF_KTHREAD, UserNames, boot_time, parse_stat, read_bytes, tty_name

# include/uapi/linux/capability.h, up to CAP_CHECKPOINT_RESTORE (Linux 5.9); later bits print as numbers.
CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)  # fmt: skip
SECCOMP_MODES = {0: "disabled", 1: "strict", 2: "filter"}
STATE_NAMES = {
    "R": "running", "S": "sleeping", "D": "disk sleep", "Z": "zombie", "T": "stopped",
    "t": "tracing stop", "X": "dead", "I": "idle", "P": "parked", "W": "waking", "K": "wakekill",
}  # fmt: skip
NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
              "user", "uts")  # fmt: skip
NO_LOGINUID = 4294967295  # (uid_t)-1: never logged in (daemons started at boot)
MEMORY_FIELDS = {
    "VmRSS": "rss", "RssAnon": "rss_anon", "RssFile": "rss_file", "RssShmem": "shared",
    "VmSwap": "swap", "VmSize": "virtual", "VmPeak": "virtual_peak", "VmHWM": "rss_peak",
    "VmLck": "locked",
}  # fmt: skip


def cap_last() -> int:
    data = read_bytes("/proc/sys/kernel/cap_last_cap")
    return int(data) if data else len(CAPABILITIES) - 1


CAP_LAST = cap_last()


def cap_names(mask: int) -> tuple[str, ...]:
    return tuple(
        CAPABILITIES[bit] if bit < len(CAPABILITIES) else f"CAP_{bit}" for bit in range(64) if mask >> bit & 1
    )


@dataclass(frozen=True, slots=True)
class CapSet:
    raw: int

    @property
    def names(self) -> tuple[str, ...]:
        return cap_names(self.raw)

    @property
    def label(self) -> str:
        """'none', 'all', 'all except CAP_X, CAP_Y' (when few are missing), or the names."""
        full = (1 << (CAP_LAST + 1)) - 1
        if self.raw == 0:
            return "none"
        if self.raw & full == full:
            return "all"
        missing = cap_names(full & ~self.raw)
        if len(missing) <= 4 and len(self.names) > len(missing):
            return "all except " + ", ".join(missing)
        return ", ".join(self.names)


@dataclass(frozen=True, slots=True)
class Capabilities:
    effective: CapSet
    permitted: CapSet
    inheritable: CapSet
    bounding: CapSet
    ambient: CapSet


@dataclass(frozen=True, slots=True)
class Ids:
    """real, effective, saved, filesystem ids with their names."""

    real: int
    effective: int
    saved: int
    fs: int
    names: tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Namespace:
    kind: str
    inode: int
    differs: bool | None  # from syswatch's own; None when ours is unreadable


@dataclass(frozen=True, slots=True)
class Limit:
    name: str  # "Max open files"
    soft: str  # a number or "unlimited"
    hard: str
    units: str


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    comm: str
    state: str  # one letter
    state_name: str
    ppid: int
    pgrp: int | None
    session: int | None  # POSIX session id (stat)
    tty: str | None
    kernel_thread: bool
    start_time: float | None  # epoch seconds
    age: float | None  # seconds since start
    nice: int | None
    priority: int | None
    threads: int | None
    exe: str | None = None
    exe_deleted: bool = False
    cwd: str | None = None
    root: str | None = None
    cmdline: tuple[str, ...] = ()  # masked unless read with show_secrets
    cmdline_masked: bool = False
    uids: Ids | None = None
    gids: Ids | None = None
    groups: tuple[tuple[int, str], ...] = ()  # supplementary groups (gid, name)
    loginuid: int | None = None  # None when unset
    loginuid_name: str | None = None
    audit_session: int | None = None  # /proc/PID/sessionid; None when unset
    capabilities: Capabilities | None = None
    no_new_privs: bool | None = None
    seccomp: str | None = None  # disabled | strict | filter
    seccomp_filters: int | None = None
    namespaces: tuple[Namespace, ...] = ()
    cgroup: tuple[str, ...] = ()
    container: Container | None = None
    limits: tuple[Limit, ...] = ()
    oom_score: int | None = None
    oom_score_adj: int | None = None
    # bytes: rss, rss_anon, rss_file, shared, swap, virtual, virtual_peak, rss_peak, locked
    memory: Mapping[str, int] = field(default_factory=lambda: EMPTY_MAPPING)
    errors: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAPPING)  # fact -> why it is missing


def read_file(path: str) -> bytes:
    """The whole file; unlike procfs.read_bytes it raises, because the inspector says *why*
    a fact is missing (permission denied vs exited)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def describe_error(error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno in (errno.ENOENT, errno.ESRCH):
        return "gone (process exited)"
    return error.strerror or str(error)


_users = UserNames()


@lru_cache(maxsize=1024)
def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _ids(line: str, name_of: Callable[[int], str]) -> Ids:
    real, effective, saved, fs = (int(v) for v in line.split()[:4])
    return Ids(real, effective, saved, fs, (name_of(real), name_of(effective), name_of(saved), name_of(fs)))


def parse_status(data: bytes) -> dict[str, str]:
    fields = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def parse_limits(data: bytes) -> tuple[Limit, ...]:
    """/proc/PID/limits is fixed-width (`%-25s %-20s %-20s %-10s`); column starts come from the header."""
    lines = data.decode("ascii", "replace").splitlines()
    if not lines:
        return ()
    header = lines[0]
    soft_at, hard_at, units_at = (header.find(h) for h in ("Soft Limit", "Hard Limit", "Units"))
    return tuple(
        Limit(
            line[:soft_at].strip(),
            line[soft_at:hard_at].strip(),
            line[hard_at:units_at].strip(),
            line[units_at:].strip(),
        )
        for line in lines[1:]
        if line.strip()
    )


def parse_memory(status: dict[str, str]) -> dict[str, int]:
    memory = {}
    for key, name in MEMORY_FIELDS.items():
        value = status.get(key)
        if value and value.endswith("kB"):
            memory[name] = int(value.split()[0]) * 1024
    return memory


def own_namespaces() -> dict[str, int]:
    found = {}
    for kind in NAMESPACES:
        try:
            found[kind] = _ns_inode(os.readlink(f"/proc/self/ns/{kind}"))
        except OSError:
            continue
    return found


def _ns_inode(link: str) -> int:
    return int(link[link.index("[") + 1 : -1])


T = TypeVar("T")


class _Facts:
    """Reads facts one by one, recording why each missing one is missing."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.errors: dict[str, str] = {}

    def get(self, name: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except OSError as error:
            self.errors[name] = describe_error(error)
        except ValueError:
            self.errors[name] = "unparsable"
        return None

    def read(self, name: str) -> bytes:
        return read_file(f"{self.base}/{name}")

    def link(self, name: str) -> str:
        return os.readlink(f"{self.base}/{name}")


def read_info(pid: int, show_secrets: bool = False, proc_root: str = "/proc") -> ProcInfo:
    """The Info tab of pid. Raises ProcessLookupError when the pid has no stat (does not exist)."""
    base = f"{proc_root}/{pid}"
    stat_raw = read_bytes(f"{base}/stat")
    stat = parse_stat(stat_raw) if stat_raw else None
    if stat is None:
        raise ProcessLookupError(errno.ESRCH, f"no process with pid {pid}")
    after_comm = stat_raw[stat_raw.rfind(b")") + 2 :].split()  # state ppid pgrp session ...
    facts = _Facts(base)
    kernel_thread = bool(stat.flags & PF_KTHREAD)
    zombie = stat.state == "Z"
    no_user_space = "kernel thread" if kernel_thread else "zombie" if zombie else None
    start = boot_time(proc_root) + stat.start_ticks / CLOCK_TICKS

    status = facts.get("status", lambda: parse_status(facts.read("status"))) or {}
    exe = cwd = root = None
    if no_user_space:  # these links exist but cannot be followed: say why instead of ENOENT
        for name in ("exe", "cwd", "root"):
            facts.errors[name] = f"none ({no_user_space})"
    else:
        exe = facts.get("exe", lambda: facts.link("exe"))
        cwd = facts.get("cwd", lambda: facts.link("cwd"))
        root = facts.get("root", lambda: facts.link("root"))
    exe_deleted = bool(exe and exe.endswith(" (deleted)"))
    raw_cmdline = facts.get("cmdline", lambda: facts.read("cmdline")) or b""
    cmdline = tuple(a.decode("utf-8", "replace") for a in raw_cmdline.rstrip(b"\0").split(b"\0")) if raw_cmdline else ()
    shown_cmdline = cmdline if show_secrets else mask_cmdline(cmdline)

    loginuid = facts.get("loginuid", lambda: int(facts.read("loginuid")))
    audit_session = facts.get("sessionid", lambda: int(facts.read("sessionid")))
    cgroup_raw = facts.get("cgroup", lambda: facts.read("cgroup")) or b""
    cgroup = tuple(line for line in cgroup_raw.decode("utf-8", "replace").splitlines() if line)
    limits = facts.get("limits", lambda: parse_limits(facts.read("limits"))) or ()
    oom_score = facts.get("oom_score", lambda: int(facts.read("oom_score")))
    oom_adj = facts.get("oom_score_adj", lambda: int(facts.read("oom_score_adj")))
    namespaces = facts.get("namespaces", lambda: _namespaces(facts)) or ()

    return ProcInfo(
        pid=pid,
        comm=stat.comm,
        state=stat.state,
        state_name=STATE_NAMES.get(stat.state, stat.state),
        ppid=stat.ppid,
        pgrp=int(after_comm[2]),
        session=int(after_comm[3]),
        tty=tty_name(stat.tty_nr),
        kernel_thread=kernel_thread,
        start_time=start,
        age=max(time.time() - start, 0.0),
        nice=stat.nice,
        priority=stat.priority,
        threads=stat.threads,
        exe=exe,
        exe_deleted=exe_deleted,
        cwd=cwd,
        root=root,
        cmdline=shown_cmdline,
        cmdline_masked=shown_cmdline != cmdline,
        uids=_ids(status["Uid"], _users) if "Uid" in status else None,
        gids=_ids(status["Gid"], group_name) if "Gid" in status else None,
        groups=tuple((int(g), group_name(int(g))) for g in status.get("Groups", "").split()),
        loginuid=None if loginuid in (None, NO_LOGINUID) else loginuid,
        loginuid_name=_users(loginuid) if loginuid not in (None, NO_LOGINUID) else None,
        audit_session=None if audit_session in (None, NO_LOGINUID) else audit_session,
        capabilities=_capabilities(status),
        no_new_privs=status["NoNewPrivs"] == "1" if "NoNewPrivs" in status else None,
        seccomp=SECCOMP_MODES.get(int(status["Seccomp"])) if "Seccomp" in status else None,
        seccomp_filters=int(status["Seccomp_filters"]) if "Seccomp_filters" in status else None,
        namespaces=namespaces,
        cgroup=cgroup,
        container=container_from_cgroup(cgroup),
        limits=limits,
        oom_score=oom_score,
        oom_score_adj=oom_adj,
        memory=MappingProxyType(parse_memory(status)),
        errors=MappingProxyType(facts.errors),
    )


def _capabilities(status: dict[str, str]) -> Capabilities | None:
    keys = ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")
    if not all(k in status for k in keys):
        return None
    return Capabilities(*(CapSet(int(status[k], 16)) for k in keys))


def _namespaces(facts: _Facts) -> tuple[Namespace, ...]:
    ours = own_namespaces()
    found = []
    failures: dict[str, OSError] = {}
    for kind in sorted(os.listdir(f"{facts.base}/ns")):
        try:
            inode = _ns_inode(facts.link(f"ns/{kind}"))
        except OSError as error:
            failures[kind] = error
            continue
        found.append(Namespace(kind, inode, None if kind not in ours else inode != ours[kind]))
    if failures and not found:
        raise next(iter(failures.values()))  # all unreadable (/proc/1/ns here): one "namespaces" error
    if failures:  # a zombie's namespaces go with its task, a few at a time
        reasons = sorted({describe_error(error) for error in failures.values()})
        facts.errors["namespaces"] = f"{', '.join(reasons)}: {', '.join(failures)}"
    return tuple(found)
