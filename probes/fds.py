"""A process's open file descriptors, like `lsof -p PID`, read from /proc without running lsof.

Per fd: readlink /proc/PID/fd/N (the target), /proc/PID/fdinfo/N (flags, pos, and the detail
of eventfd/epoll/inotify/timerfd/signalfd/pidfd) and stat (a directory opened without
O_DIRECTORY, a device, a named pipe; the size). Measured here on a process with 19,900 fds:
readlink ~3.5 µs, fdinfo (open+read+close) 6-11 µs, stat ~4 µs, plus ~4 µs of Python per fd.
So a table is read in full up to DETAIL_LIMIT fds; above that, every fd is still readlink'ed
(kind, target, socket and pipe resolution stay complete), anonymous inodes still get their
fdinfo, pipes their direction (lstat), and path kinds come from one stat per distinct path;
flags, positions and sizes are left for `fill_details` to read for the rows a viewer shows.
No thread pool: readlink and read release the GIL, and 2 threads read 20,000 fds 1.6x faster
on an idle 2-core machine, but on a busy one (where a monitor runs) they were no faster for
readlink-only tables and 10-30% slower for full ones (GIL handoffs), so one thread reads.
Sockets are resolved with the process's own network namespace tables (probes/sockets.py);
pipes and connected unix sockets are paired with the fds holding the other end (PeerIndex,
a bounded and cached scan of the other processes' fd links).
"""

from __future__ import annotations

import os
import stat as st
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from signal import Signals
from typing import NamedTuple

from .procfs import read_bytes
from .sockets import SocketInfo, SocketTables, protocol_of_fd

DETAIL_LIMIT = 1024  # read fdinfo and stat for every fd when the process has at most this many
STAT_PATHS_LIMIT = 4096  # above DETAIL_LIMIT: at most this many distinct paths are stat'ed for their kind
NON_DEVICE_DIRS = ("/dev/shm/", "/dev/mqueue/", "/dev/hugepages/")
DELETED = " (deleted)"


class FdKind(StrEnum):
    FILE = "file"
    DIR = "dir"
    SOCKET = "socket"
    PIPE = "pipe"
    EVENTPOLL = "eventpoll"
    EVENTFD = "eventfd"
    TIMERFD = "timerfd"
    SIGNALFD = "signalfd"
    INOTIFY = "inotify"
    MEMFD = "memfd"
    DEVICE = "device"
    ANON = "anon"  # any other anonymous inode (pidfd, io_uring, bpf-map, perf_event, ...) or nsfs


ANON_KINDS = {
    "eventpoll": FdKind.EVENTPOLL,
    "eventfd": FdKind.EVENTFD,
    "timerfd": FdKind.TIMERFD,
    "signalfd": FdKind.SIGNALFD,
    "inotify": FdKind.INOTIFY,
}


def _open_flag_names() -> tuple[tuple[int, str], ...]:
    """(bits, name) in display order. The values are per-architecture, so they come from the os
    module; O_LARGEFILE is 0 in glibc's headers on 64-bit, but the kernel still sets and reports it."""
    largefile = 0o400000 if os.O_DIRECTORY == 0o40000 else 0o100000  # arm/arm64 layout vs asm-generic
    names = [
        (os.O_TMPFILE, "O_TMPFILE"),  # composite flags first, so their bits are taken as one name
        (os.O_SYNC, "O_SYNC"),
        (os.O_CREAT, "O_CREAT"),
        (os.O_EXCL, "O_EXCL"),
        (os.O_NOCTTY, "O_NOCTTY"),
        (os.O_TRUNC, "O_TRUNC"),
        (os.O_APPEND, "O_APPEND"),
        (os.O_NONBLOCK, "O_NONBLOCK"),
        (os.O_DSYNC, "O_DSYNC"),
        (os.O_ASYNC, "O_ASYNC"),
        (os.O_DIRECT, "O_DIRECT"),
        (largefile, "O_LARGEFILE"),
        (os.O_DIRECTORY, "O_DIRECTORY"),
        (os.O_NOFOLLOW, "O_NOFOLLOW"),
        (os.O_NOATIME, "O_NOATIME"),
        (os.O_CLOEXEC, "O_CLOEXEC"),
        (os.O_PATH, "O_PATH"),
    ]
    return tuple((bits, name) for bits, name in names if bits)


OPEN_FLAGS = _open_flag_names()
ACCESS_MODES = {os.O_RDONLY: "O_RDONLY", os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}


def decode_open_flags(flags: int) -> str:
    """fdinfo's octal `flags:` as names: 0o2000002 -> 'O_RDWR|O_CLOEXEC'. Unknown bits print in octal."""
    names = [ACCESS_MODES.get(flags & os.O_ACCMODE, f"0o{flags & os.O_ACCMODE:o}")]
    rest = flags & ~os.O_ACCMODE
    for bits, name in OPEN_FLAGS:
        if rest & bits == bits:
            names.append(name)
            rest &= ~bits
    if rest:
        names.append(f"0o{rest:o}")
    return "|".join(names)


@dataclass(frozen=True, slots=True)
class Peer:
    """A process holding the other end: the same pipe, or the unix socket connected to this one."""

    pid: int
    comm: str
    fd: int
    access: str  # "read" | "write" | "read-write": how that holder has it open


class FdInfo(NamedTuple):
    """One open file descriptor. A NamedTuple, not a frozen dataclass: it is built 20,000 times
    per refresh of a big table, and a frozen dataclass's __init__ costs 5x more (1.6 vs 0.3 µs)."""

    fd: int
    kind: FdKind
    target: str  # the link text, as `ls -l /proc/PID/fd` shows it
    path: str | None = None  # file/dir/device/named pipe/memfd: the target without " (deleted)"
    deleted: bool = False  # the file was unlinked while open
    flags: int | None = None  # None when fdinfo was not read (see FdTable.detailed) or unreadable
    access: str = "?"  # "read" | "write" | "read-write": from flags, or from the link's mode bits
    pos: int | None = None
    inode: int | None = None
    size: int | None = None  # regular files, when stat was read
    socket: SocketInfo | None = None  # sockets found in the namespace's tables
    # Pipes: the other holders of the pipe. Unix sockets: the holders of the connected socket.
    # None when unknown (not a pipe or connected unix socket, or the scan did not reach them).
    peers: tuple[Peer, ...] | None = None
    detail: str = ""  # eventfd count, epoll watch list, inotify watches, timerfd clock, signals, pid

    @property
    def flags_text(self) -> str:
        return decode_open_flags(self.flags) if self.flags is not None else "?"


@dataclass(frozen=True, slots=True)
class FdTable:
    fds: tuple[FdInfo, ...]  # by fd number
    detailed: bool  # every fd's flags, pos and size were read (False above DETAIL_LIMIT fds)
    kinds_exact: bool  # False when too many distinct paths to stat: a dir opened without O_DIRECTORY shows as file
    notes: tuple[str, ...] = ()  # what could not be resolved, and why
    paired: bool = False  # pipes and unix sockets were paired with their holders (see pair_peers)

    def count_by_kind(self) -> dict[FdKind, int]:
        return dict(Counter(f.kind for f in self.fds))


def _fdinfo_fields(data: bytes) -> tuple[int | None, int | None, int | None, list[bytes]]:
    """pos, flags (octal), ino, and the kind-specific lines after them. The kernel prints
    pos, flags, mnt_id, ino first, in that order (fs/proc/fd.c); anything else is parsed slowly."""
    lines = data.split(b"\n", 4)
    if len(lines) == 5 and lines[0][:4] == b"pos:" and lines[1][:6] == b"flags:" and lines[3][:4] == b"ino:":
        extra = lines[4].split(b"\n") if lines[4] else []
        return int(lines[0][4:]), int(lines[1][6:], 8), int(lines[3][4:]), [line for line in extra if line]
    pos = flags = inode = None
    extra = []
    for line in data.split(b"\n"):
        if line.startswith(b"pos:"):
            pos = int(line[4:])
        elif line.startswith(b"flags:"):
            flags = int(line[6:], 8)
        elif line.startswith(b"ino:"):
            inode = int(line[4:])
        elif line and not line.startswith(b"mnt_id:"):
            extra.append(line)
    return pos, flags, inode, extra


def _value_after(line: bytes, key: bytes) -> bytes:
    return line.partition(key)[2].split()[0] if key in line else b""


def _detail(kind: FdKind, extra: list[bytes]) -> str:
    """One human line from the kind-specific fdinfo lines (fs/eventfd.c, fs/eventpoll.c, ...)."""
    if kind is FdKind.EVENTFD:
        for line in extra:
            if line.startswith(b"eventfd-count:"):
                return f"count {int(line.split()[1], 16)}"
    elif kind is FdKind.EVENTPOLL:
        watched = [_value_after(line, b"tfd:").decode() for line in extra if line.startswith(b"tfd:")]
        shown = ",".join(watched[:16]) + (",…" if len(watched) > 16 else "")
        return f"watches {len(watched)} fd(s)" + (f": {shown}" if watched else "")
    elif kind is FdKind.INOTIFY:
        return f"{sum(1 for line in extra if line.startswith(b'inotify wd:'))} watch(es)"
    elif kind is FdKind.TIMERFD:
        values = dict(line.split(b":", 1) for line in extra if b":" in line)
        clock = {b"0": "REALTIME", b"1": "MONOTONIC", b"7": "BOOTTIME", b"8": "REALTIME_ALARM",
                 b"9": "BOOTTIME_ALARM"}.get(values.get(b"clockid", b"").strip(), "?")  # fmt: skip
        armed = values.get(b"it_value", b"(0, 0)").strip() != b"(0, 0)"
        return f"CLOCK_{clock}, {'armed' if armed else 'disarmed'}, ticks {values.get(b'ticks', b'?').strip().decode()}"
    elif kind is FdKind.SIGNALFD:
        for line in extra:
            if line.startswith(b"sigmask:"):
                mask = int(line.split()[1], 16)
                return "signals " + ",".join(_signal_name(bit + 1) for bit in range(64) if mask >> bit & 1)
    elif kind is FdKind.ANON:
        for line in extra:
            if line.startswith(b"Pid:"):  # pidfd
                return f"pid {int(line.split()[1])}"
    return ""


def _signal_name(number: int) -> str:
    try:
        return Signals(number).name
    except ValueError:
        return f"SIG{number}"


def _kind_of(target: str, flags: int | None, mode: int | None) -> FdKind:
    if target.startswith("/"):
        return _path_kind(target, flags, mode)
    if target.startswith("socket:["):
        return FdKind.SOCKET
    if target.startswith("pipe:["):
        return FdKind.PIPE
    if target.startswith("anon_inode:"):
        return ANON_KINDS.get(target[11:].strip("[]"), FdKind.ANON)
    return FdKind.ANON  # nsfs ("net:[4026531840]") and other pseudo files


def _path_kind(target: str, flags: int | None, mode: int | None) -> FdKind:
    """The kind of a path target: from stat's mode when read, else from flags and the path."""
    if target.startswith("/memfd:"):
        return FdKind.MEMFD
    if mode is not None:
        if st.S_ISDIR(mode):
            return FdKind.DIR
        if st.S_ISCHR(mode) or st.S_ISBLK(mode):
            return FdKind.DEVICE
        if st.S_ISFIFO(mode):
            return FdKind.PIPE  # a named pipe
        return FdKind.FILE
    if (flags is not None and flags & os.O_DIRECTORY) or target == "/":
        return FdKind.DIR
    if target.startswith("/dev/") and not target.startswith(NON_DEVICE_DIRS):
        return FdKind.DEVICE
    return FdKind.FILE


def _bracket_inode(target: str) -> int | None:
    """The number in "socket:[123]" or "net:[4026531840]"; None for "anon_inode:[eventfd]"."""
    start = target.find("[")
    number = target[start + 1 : -1] if start >= 0 and target.endswith("]") else ""
    return int(number) if number.isdigit() else None


def _access(flags: int) -> str:
    return {os.O_RDONLY: "read", os.O_WRONLY: "write"}.get(flags & os.O_ACCMODE, "read-write")


def _link_access(mode: int) -> str:
    # The fd link's own mode bits mirror the open mode: lr-x read, l-wx write, lrwx both.
    readable, writable = bool(mode & st.S_IRUSR), bool(mode & st.S_IWUSR)
    return "read-write" if readable and writable else "read" if readable else "write"


def _meaning(target: str, kind: FdKind) -> tuple[FdKind, str, bool]:
    """(kind, path, deleted) of a path target."""
    deleted = target.endswith(DELETED)
    path = target[: -len(DELETED)] if deleted else target
    if kind is FdKind.MEMFD:
        return kind, path[1:], False  # "memfd:name"; a memfd never had a name to delete
    return kind, path, deleted


class _Reader:
    """Reads fds by number, relative to open /proc/PID/fd and fdinfo directories.

    `detailed`: fdinfo and stat for every fd; otherwise only where the kind needs them."""

    def __init__(self, fd_dir: int, fdinfo_dir: int | None, detailed: bool, stat_each: bool) -> None:
        self.fd_dir = fd_dir
        self.fdinfo_dir = fdinfo_dir
        self.detailed = detailed
        self.stat_each = stat_each  # a stat per fd; else one per distinct path (big tables)
        # What a path target means (kind, target, path, deleted) and its (inode, size), worked
        # out once per distinct target with one stat (a path's file type rarely changes while open).
        self._paths: dict[str, tuple[FdKind, str, str, bool]] = {}
        self._path_stats: dict[str, tuple[int, int | None]] = {}
        self.kinds_exact = True  # False once more than STAT_PATHS_LIMIT paths went without a stat

    def read(self, names: list[str]) -> list[FdInfo]:
        out: list[FdInfo] = []
        for name in names:
            info = self._one(name)
            if info is not None:
                out.append(info)
        return out

    def _one(self, name: str) -> FdInfo | None:
        try:
            target = os.readlink(name, dir_fd=self.fd_dir)
        except (FileNotFoundError, ProcessLookupError):
            return None  # closed since the listing (the process exiting shows when the caller re-checks)
        fd = int(name)
        first = target[0]
        if first == "/":
            return self._path(name, fd, target)
        if first == "s" and target.startswith("socket:[") and not self.detailed:
            return FdInfo(fd, FdKind.SOCKET, target, inode=int(target[8:-1]))  # the common case, made cheap
        if first == "p" and target.startswith("pipe:[") and not self.detailed:
            try:  # the pipe's direction, for pairing, from the link's mode bits (cheaper than fdinfo)
                access = _link_access(os.stat(name, dir_fd=self.fd_dir, follow_symlinks=False).st_mode)
            except OSError:
                access = "?"
            return FdInfo(fd, FdKind.PIPE, target, access=access, inode=int(target[6:-1]))
        pos, flags, inode, extra = self._fdinfo(name)
        kind = _kind_of(target, flags, None)
        return FdInfo(
            fd,
            kind,
            target,
            flags=flags,
            access="?" if flags is None else _access(flags),
            pos=pos,
            inode=_bracket_inode(target) if inode is None else inode,
            detail=_detail(kind, extra) if extra or kind is FdKind.INOTIFY else "",
        )

    def _path(self, name: str, fd: int, target: str) -> FdInfo:
        if not self.detailed:
            return FdInfo(fd, *self._meaning_of(name, target))
        pos, flags, inode, _ = self._fdinfo(name)
        access = "?" if flags is None else _access(flags)
        if not self.stat_each:  # a big table read in full: the path's one stat stands for its fds
            meaning = self._meaning_of(name, target)
            known = self._path_stats.get(target)
            if known is not None and known[0] == inode:  # the very file that was stat'ed
                return FdInfo(fd, *meaning, flags=flags, access=access, pos=pos, inode=inode, size=known[1])
        mode = size = None
        if not target.startswith("/memfd:"):
            try:
                stat_result = os.stat(name, dir_fd=self.fd_dir)
                mode, size = stat_result.st_mode, stat_result.st_size
            except OSError:
                pass
        kind, path, deleted = _meaning(target, _path_kind(target, flags, mode))
        return FdInfo(
            fd,
            kind,
            target,
            path=path,
            deleted=deleted,
            flags=flags,
            access=access,
            pos=pos,
            inode=inode,
            size=size if mode is not None and st.S_ISREG(mode) else None,
        )

    def _meaning_of(self, name: str, target: str) -> tuple[FdKind, str, str, bool]:
        meaning = self._paths.get(target)
        if meaning is not None:
            return meaning
        mode = None
        if len(self._paths) >= STAT_PATHS_LIMIT:
            self.kinds_exact = False
        elif not target.startswith("/memfd:"):
            try:
                stat_result = os.stat(name, dir_fd=self.fd_dir)
                mode = stat_result.st_mode
                size = stat_result.st_size if st.S_ISREG(mode) else None
                self._path_stats[target] = (stat_result.st_ino, size)
            except OSError:
                pass
        kind, path, deleted = _meaning(target, _path_kind(target, None, mode))
        meaning = self._paths[target] = (kind, target, path, deleted)
        return meaning

    def _fdinfo(self, name: str) -> tuple[int | None, int | None, int | None, list[bytes]]:
        if self.fdinfo_dir is None:
            return None, None, None, []
        try:
            fd = os.open(name, os.O_RDONLY, dir_fd=self.fdinfo_dir)
            try:
                return _fdinfo_fields(os.read(fd, 65536))
            finally:
                os.close(fd)
        except OSError:
            return None, None, None, []  # closed meanwhile; keep the target


def _read_raw(pid: int, proc_root: str, names: list[str] | None, detailed: bool | None) -> tuple[list[FdInfo], bool]:
    """The fds of pid (all, or those named), unresolved, and whether every path's kind is exact.

    Raises PermissionError / FileNotFoundError / ProcessLookupError."""
    fd_dir = os.open(f"{proc_root}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fdinfo_dir: int | None = os.open(f"{proc_root}/{pid}/fdinfo", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            fdinfo_dir = None
        try:
            if names is None:
                names = os.listdir(fd_dir)
            if detailed is None:
                detailed = len(names) <= DETAIL_LIMIT
            reader = _Reader(fd_dir, fdinfo_dir, detailed, stat_each=len(names) <= DETAIL_LIMIT)
            fds = reader.read(names)
            kinds_exact = reader.kinds_exact
        finally:
            if fdinfo_dir is not None:
                os.close(fdinfo_dir)
    finally:
        os.close(fd_dir)
    fds.sort(key=lambda info: info.fd)  # the kernel lists in fd order; fill_details' names may not be
    return fds, kinds_exact


def _comm(pid: int, proc_root: str) -> str:
    return (read_bytes(f"{proc_root}/{pid}/comm") or b"?").decode("utf-8", "replace").strip()


class PeerIndex:
    """Who holds which pipe or socket: a scan of every process's fd links, bounded and cached.

    Pairing needs the other processes' fd tables. A scan records every pipe and socket it sees,
    so refreshes within `ttl` seconds reuse it, for the same process or the next one selected.
    It skips processes whose fds would take it past `max_links` links (then ends without a
    holder found are unknown), and the inspected process itself when that one is big (its
    links were just read). A target the scan did not see makes a new scan: it may be new.
    """

    def __init__(self, proc_root: str = "/proc", ttl: float = 5.0, max_links: int = 200_000) -> None:
        self.proc_root = proc_root
        self.ttl = ttl
        self.max_links = max_links
        self._lock = threading.Lock()
        self._scanned_at = float("-inf")
        self._skipped: int | None = None  # the pid the cached scan did not read
        self._covered: set[str] = set()  # link targets the cached scan answers for
        self._holders: dict[str, list[tuple[int, int]]] = {}  # "pipe:[N]" / "socket:[N]" -> [(pid, fd)]
        self._complete = True

    def _scan(self, skip_pid: int | None, wanted: set[str]) -> None:
        holders: dict[str, list[tuple[int, int]]] = {}
        links = 0
        complete = True
        for name in os.listdir(self.proc_root):
            if not name.isdigit() or int(name) == skip_pid:
                continue
            fd_dir = f"{self.proc_root}/{name}/fd"
            try:
                fd_names = os.listdir(fd_dir)
            except PermissionError:
                complete = False  # not ours to read (not root): its ends stay unknown
                continue
            except OSError:
                continue  # gone
            if links + len(fd_names) > self.max_links:
                complete = False
                continue  # skip the giant; smaller processes may still fit
            links += len(fd_names)
            for fd_name in fd_names:
                try:
                    target = os.readlink(f"{fd_dir}/{fd_name}")
                except OSError:
                    continue
                if target.startswith(("pipe:[", "socket:[")):
                    holders.setdefault(target, []).append((int(name), int(fd_name)))
        self._holders, self._complete = holders, complete
        self._covered = holders.keys() | wanted
        self._skipped, self._scanned_at = skip_pid, time.monotonic()

    def holders(self, pid: int, fds: list[FdInfo], targets: set[str]) -> tuple[dict[str, list[Peer]], bool]:
        """Every holder found of each target ("pipe:[N]", "socket:[N]"), pid's own fds included,
        and whether the scan read every process (if not, more holders may exist)."""
        skip = pid if len(fds) > DETAIL_LIMIT else None
        with self._lock:
            fresh = time.monotonic() - self._scanned_at < self.ttl and self._skipped in (None, pid)
            if not (fresh and targets <= self._covered):
                self._scan(skip, targets)
            holders, complete = self._holders, self._complete
        own: dict[str, list[FdInfo]] = {}
        for f in fds:
            if f.target in targets:
                own.setdefault(f.target, []).append(f)
        comms: dict[int, str] = {pid: _comm(pid, self.proc_root)}
        found: dict[str, list[Peer]] = {}
        for target in targets:
            others = [(p, fd) for p, fd in holders.get(target, ()) if p != pid]  # pid's own: fresh, below
            found[target] = [
                Peer(p, comms.setdefault(p, _comm(p, self.proc_root)), fd, self._access_of(p, fd))
                for p, fd in others
            ] + [Peer(pid, comms[pid], f.fd, f.access) for f in own.get(target, ())]
        return found, complete

    def _access_of(self, pid: int, fd: int) -> str:
        try:
            return _link_access(os.lstat(f"{self.proc_root}/{pid}/fd/{fd}").st_mode)
        except OSError:
            return "?"


DEFAULT_PEERS = PeerIndex()


def read_fds(
    pid: int,
    proc_root: str = "/proc",
    peers: PeerIndex | None = None,
    detailed: bool | None = None,
    pair: bool = True,
) -> FdTable:
    """Every open fd of pid, with sockets resolved and (when pair) pipes and unix sockets paired.

    detailed: read every fd's flags, position and size (True), only up to DETAIL_LIMIT fds
    (None, for a viewer: it calls `fill_details` for the rows it shows), or never (False).
    pair=False leaves pairing, a scan of every other process's fds, to `pair_peers`: a viewer
    shows the table first and the peers when the scan is done.
    Raises PermissionError when the fd table is not ours to read, FileNotFoundError or
    ProcessLookupError when the process is gone.
    """
    fds, kinds_exact = _read_raw(pid, proc_root, None, detailed)
    is_detailed = detailed if detailed is not None else len(fds) <= DETAIL_LIMIT
    notes: list[str] = []
    if not is_detailed:
        notes.append(f"{len(fds)} fds: flags, positions and sizes are read only for the rows shown")
    if not kinds_exact:
        notes.append(f"more than {STAT_PATHS_LIMIT} distinct paths: some kinds inferred from path and flags")
    if any(f.kind is FdKind.SOCKET for f in fds):
        fds = _with_sockets(pid, proc_root, fds, notes)
    table = FdTable(tuple(fds), is_detailed, kinds_exact, tuple(notes))
    return pair_peers(pid, table, peers, proc_root) if pair else table


def pair_peers(pid: int, table: FdTable, peers: PeerIndex | None = None, proc_root: str = "/proc") -> FdTable:
    """table with each pipe and connected unix socket paired with the processes holding the
    other end. peers: the index to scan with (default: a shared one, cached for its ttl)."""
    if table.paired:
        return table
    fds = list(table.fds)
    notes = list(table.notes)
    if any(_other_end(f) for f in fds):
        if peers is None:
            peers = DEFAULT_PEERS if proc_root == DEFAULT_PEERS.proc_root else PeerIndex(proc_root)
        fds = _with_peers(pid, fds, peers, notes)
    return replace(table, fds=tuple(fds), notes=tuple(notes), paired=True)


def fill_details(pid: int, table: FdTable, fd_numbers: Iterable[int], proc_root: str = "/proc") -> FdTable:
    """table with the given rows read in full (flags, position, size, exact kind): what a viewer
    calls for the rows on screen when the table was too big to read in full. Rows whose fd was
    closed or reused for another file keep their old data. Raises like read_fds."""
    rows = {info.fd: index for index, info in enumerate(table.fds)}
    wanted = [str(fd) for fd in fd_numbers if fd in rows and table.fds[rows[fd]].flags is None]
    if not wanted:
        return table
    fresh, _ = _read_raw(pid, proc_root, wanted, True)
    fds = list(table.fds)
    for info in fresh:
        old = fds[rows[info.fd]]
        if info.target == old.target:  # the same open file: keep what resolution found
            fds[rows[info.fd]] = info._replace(socket=old.socket, peers=old.peers)
    return replace(table, fds=tuple(fds))


def _with_sockets(pid: int, proc_root: str, fds: list[FdInfo], notes: list[str]) -> list[FdInfo]:
    tables = SocketTables(pid, proc_root)
    out = []
    for info in fds:
        if info.kind is FdKind.SOCKET and info.inode is not None:
            found = tables.lookup(info.inode)
            if found is None:  # a family with no table: ask the kernel for its name
                name = protocol_of_fd(f"{proc_root}/{pid}/fd/{info.fd}") or "?"
                found = SocketInfo(protocol=name.lower(), inode=info.inode)
            info = info._replace(socket=found)
        out.append(info)
    if tables.unreadable:
        notes.append("socket tables unreadable: " + ", ".join(tables.unreadable))
    return out


def _other_end(info: FdInfo) -> str | None:
    """The link target of the other end: the pipe itself, or the connected unix socket."""
    if info.kind is FdKind.PIPE and info.inode is not None and info.path is None:
        return info.target
    if info.socket is not None and info.socket.peer_inode:
        return f"socket:[{info.socket.peer_inode}]"
    return None


def _with_peers(pid: int, fds: list[FdInfo], index: PeerIndex, notes: list[str]) -> list[FdInfo]:
    ends = [_other_end(info) for info in fds]
    holders, complete = index.holders(pid, fds, {end for end in ends if end})
    out = list(fds)
    unknown = False
    for position, (info, end) in enumerate(zip(fds, ends)):
        if not end:
            continue
        others = tuple(p for p in holders[end] if (p.pid, p.fd) != (pid, info.fd))
        if others or complete:  # nobody found by an incomplete scan: unknown, not "nobody"
            out[position] = info._replace(peers=others)
        else:
            unknown = True
    if unknown:
        notes.append("some peers unknown: other fd tables unreadable or over the scan bound")
    return out
