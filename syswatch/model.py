"""syswatch's vocabulary: plain frozen dataclasses passed from probes to core to UI.

Nothing here reads the kernel or draws anything; probes build these, the monitor
assembles them into one immutable `Snapshot` per tick, and the TUI only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

EMPTY_MAPPING: Mapping[Any, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Container:
    """A container (or Kubernetes pod sandbox) a process lives in, as its cgroup reveals it."""

    id: str  # full id from the cgroup path (64 hex for docker/containerd/cri-o/podman)
    runtime: str  # docker | containerd | cri-o | podman | kubepods
    pod_uid: str | None = None  # Kubernetes pod uid, when under kubepods
    qos: str | None = None  # Kubernetes QoS class: guaranteed | burstable | besteffort
    name: str | None = None  # from the runtime's API, when reachable
    image: str | None = None
    pod_name: str | None = None
    namespace: str | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def label(self) -> str:
        """What a column shows: the name when known, else the 12-char id."""
        return self.name or self.short_id


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """One process (thread-group leader) or, with `is_thread`, one thread, at one tick."""

    pid: int  # the task id: a process's pid, or a thread's tid
    tgid: int  # the process this task belongs to (== pid for a process)
    ppid: int
    comm: str
    state: str  # one letter, as in /proc/PID/stat: R S D Z T t I X
    uid: int | None  # real uid; None when status was unreadable
    euid: int | None
    user: str  # name of the real uid (or the number when it has no name)
    tty_nr: int
    tty: str | None  # "pts/3", "tty1", None when the process has no terminal
    start_time: float  # epoch seconds
    cpu_percent: float  # 100.0 = one core fully busy (htop's convention)
    cpu_time: float  # user+system seconds since start (TIME+)
    rss: int  # bytes
    mem_percent: float  # rss / MemTotal * 100
    threads: int
    nice: int
    priority: int
    exe: str | None  # None when unreadable (EACCES) or a kernel thread
    cmdline: tuple[str, ...]
    cgroup: tuple[str, ...]  # raw lines of /proc/PID/cgroup
    container: Container | None
    is_thread: bool = False
    is_kernel_thread: bool = False

    @property
    def command(self) -> str:
        """The command line as `ps` shows it; kernel threads and zombies show [comm]."""
        if self.cmdline:
            return " ".join(self.cmdline)
        return f"[{self.comm}]"


@dataclass(frozen=True, slots=True)
class SyscallCount:
    """Counts for one syscall of one process over some period."""

    nr: int
    name: str
    calls: int
    errors: int
    total_ns: int


@dataclass(frozen=True, slots=True)
class SyscallStats:
    """Per-process syscall counters from eBPF: the last interval and since syswatch started."""

    tgid: int
    interval: tuple[SyscallCount, ...]  # sorted by calls, descending
    cumulative: tuple[SyscallCount, ...]
    interval_seconds: float

    @property
    def calls_per_second(self) -> float:
        if self.interval_seconds <= 0:
            return 0.0
        return sum(c.calls for c in self.interval) / self.interval_seconds

    @property
    def top_syscall(self) -> str | None:
        return self.interval[0].name if self.interval else None


@dataclass(frozen=True, slots=True)
class Event:
    """One kernel event (exec, open, unlink, connect, ...) with Falco-style meaning.

    `type` is Falco's `evt.type` (execve, openat, unlink, rename, connect, ...);
    `args` holds the decoded syscall arguments by name (filename, argv, flags, ...).
    """

    type: str
    ts: float  # epoch seconds
    pid: int  # tgid
    tid: int
    ppid: int
    uid: int
    comm: str
    args: Mapping[str, Any] = field(default_factory=lambda: EMPTY_MAPPING)
    ret: int | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule match: what the alert panel and the outputs show."""

    time: float
    priority: str  # Falco's: EMERGENCY ALERT CRITICAL ERROR WARNING NOTICE INFORMATIONAL DEBUG
    rule: str
    output: str
    pid: int | None
    fields: Mapping[str, Any] = field(default_factory=lambda: EMPTY_MAPPING)


@dataclass(frozen=True, slots=True)
class EbpfStatus:
    """What the header says about eBPF: off (with the reason), loading, or on."""

    state: str  # "off" | "loading" | "on"
    reason: str = ""
    lost_events: int = 0  # events the kernel could not hand to us (ring buffer full)
    map_full: int = 0  # counter updates refused because a map was full
    events_per_second: float = 0.0

    @property
    def label(self) -> str:
        if self.state == "off":
            return f"eBPF: off: {self.reason}" if self.reason else "eBPF: off"
        if self.state == "loading":
            return "eBPF: loading…"
        return f"eBPF: on ({self.reason})" if self.reason else "eBPF: on"


@dataclass(frozen=True, slots=True)
class SystemStats:
    """Host-wide figures for the header."""

    hostname: str
    kernel: str
    uptime: float  # seconds
    load: tuple[float, float, float]
    cpu_percent: tuple[float, ...]  # per cpu, 0..100, over the last interval
    mem_total: int  # bytes
    mem_used: int  # bytes (total - available)
    swap_total: int
    swap_used: int
    tasks: int  # processes (thread groups), kernel threads included
    threads: int  # user-space threads over all processes
    kernel_threads: int
    running: int


@dataclass(frozen=True)
class Snapshot:
    """Everything syswatch knows at one tick; immutable, so the UI can read it from any thread."""

    seq: int
    time: float  # epoch seconds when the scan finished
    interval: float  # seconds since the previous snapshot (0 for the first)
    system: SystemStats
    processes: Mapping[int, ProcessRecord]  # by pid, thread-group leaders only
    threads: Mapping[int, ProcessRecord] = field(default_factory=lambda: EMPTY_MAPPING)  # by tid
    syscalls: Mapping[int, SyscallStats] = field(default_factory=lambda: EMPTY_MAPPING)  # by tgid
    ebpf: EbpfStatus = field(default_factory=lambda: EbpfStatus("off", "not started"))
    events: tuple[Event, ...] = ()  # kernel events (exec, open, connect, ...) since the previous snapshot

    def children_of(self) -> dict[int, list[int]]:
        """ppid -> child pids, for drawing the tree."""
        children: dict[int, list[int]] = {}
        for record in self.processes.values():
            children.setdefault(record.ppid, []).append(record.pid)
        return children
