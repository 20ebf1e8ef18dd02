"""The kernel event stream for rules: exec, fork, exit, file, network, fd, ptrace, memfd and
credential syscalls as `syswatch.model.Event` objects.

    stream = EventStream()
    stream.start()            # compiles on a background thread: loading -> on | off: <reason>
    stream.drain()            # -> list[Event] received since the previous drain
    stream.stats()            # received / lost counters; stream.status() -> EbpfStatus

events.c pairs each syscall's enter and exit per thread in the kernel and hands one record per
call to a ring buffer (a perf buffer on kernels without one) without waking us; a consumer
thread drains it on a timer, decodes records into Events and queues them (bounded).
"""

from __future__ import annotations

import collections
import ctypes
import os
import struct
import threading
import time
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any, Callable

from syswatch.probes.procfs import parse_stat, read_bytes

from syswatch.model import EbpfStatus, Event

from . import decode
from .loader import (
    BpfProbe,
    compile_bpf,
    read_source,
    ringbuf_supported,
    tracepoint_exists,
    tracepoint_format,
)
from .syscall_table import syscall_name

# Syscalls traced besides execve (always); each needs sys_enter_X and sys_exit_X on this kernel.
SYSCALLS = (
    "execveat",
    "open",
    "openat",
    "openat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmodat",
    "fchmod",
    "memfd_create",
    "connect",
    "dup2",
    "dup3",
    "ptrace",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
)
SCHED = ("sched_process_exec", "sched_process_fork", "sched_process_exit")


def tracepoints() -> list[tuple[str, str]]:
    """Every tracepoint the stream attaches to (for `syswatch doctor`)."""
    names = [("syscalls", f"sys_{side}_{call}") for call in ("execve",) + SYSCALLS for side in ("enter", "exit")]
    return names + [("sched", name) for name in SCHED]


K_SYSCALL, K_EXEC, K_FORK, K_EXIT = range(4)
HEADER = struct.Struct("<QIIIIq4qIIII16s")  # struct event_t up to s1 (events.c)
PATH_LEN = 256
S1 = HEADER.size
S2 = S1 + PATH_LEN
ARGV = S2 + PATH_LEN  # struct exec_event_t.argv


@dataclass(frozen=True, slots=True)
class Spec:
    """How a syscall's integer slots a[0..3] and strings s1/s2 map to Falco-style argument names."""

    ints: tuple[str | None, ...]  # names for a[0..3]; None = not an argument (implicit AT_FDCWD)
    paths: tuple[tuple[str, int | None], ...] = ()  # (name, slot of its dirfd or None) for s1, s2


_OPEN = Spec(("dirfd", "flags", "mode", None), (("name", 0),))
SPECS: dict[str, Spec] = {
    "open": Spec((None, "flags", "mode"), (("name", 0),)),
    "openat": _OPEN,
    "openat2": Spec(("dirfd", "flags", "mode", "resolve"), (("name", 0),)),
    "unlink": Spec((None,), (("path", 0),)),
    "unlinkat": Spec(("dirfd", "flags"), (("name", 0),)),
    "rmdir": Spec((None,), (("path", 0),)),
    "rename": Spec((None, None), (("oldpath", 0), ("newpath", 1))),
    "renameat": Spec(("olddirfd", "newdirfd"), (("oldpath", 0), ("newpath", 1))),
    "renameat2": Spec(("olddirfd", "newdirfd", "flags"), (("oldpath", 0), ("newpath", 1))),
    "symlink": Spec((None, None), (("target", None), ("linkpath", 1))),
    "symlinkat": Spec((None, "linkdirfd"), (("target", None), ("linkpath", 1))),
    "chmod": Spec((None, "mode"), (("filename", 0),)),
    "fchmodat": Spec(("dirfd", "mode"), (("filename", 0),)),
    "fchmod": Spec(("fd", "mode")),
    "memfd_create": Spec(("flags",), (("name", None),)),
    "connect": Spec(("fd",)),
    "dup2": Spec(("oldfd", "newfd")),
    "dup3": Spec(("oldfd", "newfd", "flags")),
    "ptrace": Spec(("request", "pid", "addr", "data")),
    "setuid": Spec(("uid",)),
    "setgid": Spec(("gid",)),
    "setreuid": Spec(("ruid", "euid")),
    "setregid": Spec(("rgid", "egid")),
    "setresuid": Spec(("ruid", "euid", "suid")),
    "setresgid": Spec(("rgid", "egid", "sgid")),
}
# The kernel records every syscall argument as an unsigned long: 32-bit ints come zero-extended.
_UNSIGNED_32 = {"uid", "gid", "ruid", "euid", "suid", "rgid", "egid", "sgid", "oldfd", "newfd"}
_SIGNED_32 = {"dirfd", "olddirfd", "newdirfd", "linkdirfd", "fd"}


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _cstr(raw: bytes, start: int, length: int = PATH_LEN) -> str:
    end = raw.find(b"\0", start, start + length)
    return raw[start : end if end >= 0 else start + length].decode(errors="replace")


@dataclass(frozen=True, slots=True)
class StreamStats:
    received: int  # events decoded and queued
    output_failed: int  # records the kernel could not put in the ring/perf buffer (buffer full)
    pending_full: int  # syscalls not recorded because the enter->exit map was full
    queue_dropped: int  # decoded events dropped because nobody drained the queue
    perf_lost: int  # perf buffer only: samples the kernel reported lost
    events_per_second: float
    polling_skipped: int = 0  # read-only opens of monitors' status files, left out in the kernel

    @property
    def lost(self) -> int:
        return self.output_failed + self.pending_full + self.queue_dropped + self.perf_lost


# Per-process status files that monitors (htop, ps, kubelet, syswatch's peers) read thousands of
# times a second. Read-only opens of these and of directories (under /proc/ or relative to a dirfd)
# and of anything under /sys/ are skipped in the kernel and counted (events.c is_polling_read).
# environ, mem and every other file still arrive. (htop reads every process's maps to spot
# deleted libraries; what follows a maps read in an attack, a mem read, is kept.)
POLLING_NAMES = (
    "stat", "statm", "status", "cmdline", "comm", "io", "schedstat", "cgroup", "oom_score", "oom_score_adj",
    "limits", "wchan", "loginuid", "sched", "smaps_rollup", "maps", "meminfo", "loadavg", "uptime",
)


def fnv1a(text: str) -> int:
    """32-bit FNV-1a, as events.c hashes a file name."""
    value = 2166136261
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


class EventStream(BpfProbe):
    def __init__(
        self,
        exclude_pid: int | None = None,
        ring_pages: int = 2048,
        pending_entries: int = 8192,
        queue_size: int = 200_000,
        poll_interval: float = 0.05,
        use_ringbuf: bool | None = None,  # None: when the kernel has ring buffers
        proc_root: str = "/proc",
    ) -> None:
        super().__init__()
        if ring_pages & (ring_pages - 1):
            raise ValueError("ring_pages must be a power of two")
        self.exclude_pid = os.getpid() if exclude_pid is None else exclude_pid
        self.ring_pages = ring_pages
        self.pending_entries = pending_entries
        self.poll_interval = poll_interval
        self.use_ringbuf = use_ringbuf
        self.proc_root = proc_root
        self._queue: collections.deque[Event] = collections.deque(maxlen=queue_size)
        self._stop = threading.Event()
        self._consumer: threading.Thread | None = None
        self._ppid: dict[int, int] = {}  # tgid -> parent tgid, from fork events (bounded)
        self._received = self._dropped = self._perf_lost = 0
        self._baseline = (0, 0, 0)
        self._rate = 0.0
        self._boot_offset = time.time() - time.monotonic()  # bpf_ktime_get_ns is CLOCK_MONOTONIC

    # ---- loading

    def _build(self, bcc: ModuleType) -> Any:
        if self.use_ringbuf is None:
            self.use_ringbuf = ringbuf_supported()
        cflags = [
            f"-DSELF_TGID={self.exclude_pid}",
            f"-DRINGBUF_PAGES={self.ring_pages}",
            f"-DPENDING_ENTRIES={self.pending_entries}",
        ]
        cflags += ["-DUSE_RINGBUF"] if self.use_ringbuf else []
        cflags.append(f"-DIS_POLLING_NAME(h)=({'||'.join(f'(h)=={fnv1a(n)}u' for n in POLLING_NAMES)})")
        if "group_dead" in tracepoint_format("sched", "sched_process_exit"):
            cflags.append("-DHAVE_GROUP_DEAD")
        cflags += [
            f"-DTP_{call}"
            for call in SYSCALLS
            if tracepoint_exists("syscalls", f"sys_enter_{call}")
            and tracepoint_exists("syscalls", f"sys_exit_{call}")
        ]
        return compile_bpf(bcc, read_source("events.c"), cflags)  # TRACEPOINT_PROBEs auto-attach

    def _on_loaded(self) -> None:
        table = self._bpf[b"events"]
        if self.use_ringbuf:
            table.open_ring_buffer(self._on_record)
            poll: Callable[[], None] = self._bpf.ring_buffer_consume
        else:
            table.open_perf_buffer(self._on_sample, page_cnt=self.ring_pages // 8 or 1, lost_cb=self._on_lost)
            poll = lambda: self._bpf.perf_buffer_poll(0)  # noqa: E731
        # perf_submit fails until the buffer above is open: those were never deliverable, not lost
        self._baseline = self._kernel_counts()
        self._consumer = threading.Thread(target=self._consume, args=(poll,), name="EventStream", daemon=True)
        self._consumer.start()

    def _consume(self, poll: Callable[[], None]) -> None:
        window_start, window_count = time.monotonic(), self._received
        while not self._stop.wait(self.poll_interval):
            poll()
            now = time.monotonic()
            if now - window_start >= 1.0:
                self._rate = (self._received - window_count) / (now - window_start)
                window_start, window_count = now, self._received
        poll()  # what arrived before close()

    # ---- records

    def _on_record(self, _ctx: Any, data: Any, size: int) -> int:
        self._take(ctypes.string_at(data, size))
        return 0

    def _on_sample(self, _cpu: int, data: Any, size: int) -> None:
        self._take(ctypes.string_at(data, size))

    def _on_lost(self, count: int) -> None:
        self._perf_lost += count

    def _take(self, raw: bytes) -> None:
        try:
            event = self.decode(raw)
        except Exception:  # a record we cannot decode must not kill the consumer; count it lost
            self._dropped += 1
            return
        if event is None:
            return
        if len(self._queue) == self._queue.maxlen:
            self._dropped += 1
        self._queue.append(event)
        self._received += 1

    def decode(self, raw: bytes) -> Event | None:
        ts, pid, tid, uid, nr, ret, a0, a1, a2, a3, kind, argc, len1, _len2, comm = HEADER.unpack_from(raw)
        ints = (a0, a1, a2, a3)
        comm_text = comm.split(b"\0", 1)[0].decode(errors="replace")
        when = ts / 1e9 + self._boot_offset
        if kind == K_FORK:
            child = a1
            self._remember_parent(child, pid)
            if pid == self.exclude_pid:  # our own forks arrive only so our children's ppid is known
                return None
            args = {"parent_tid": a0, "child_tid": child}
            return Event("clone", when, pid, tid, self.ppid_of(pid), uid, comm_text, MappingProxyType(args), child)
        if kind == K_EXIT:
            ppid = self.ppid_of(pid)
            self._ppid.pop(pid, None)
            return Event("procexit", when, pid, tid, ppid, uid, comm_text)
        name = syscall_name(nr)
        if kind == K_EXEC:
            args = self._exec_args(raw, pid, ints, argc, ret)
        else:
            args = self._syscall_args(name, raw, pid, ints, len1, ret)
        return Event(name, when, pid, tid, self.ppid_of(pid), uid, comm_text, MappingProxyType(args), ret)

    def _exec_args(self, raw: bytes, pid: int, ints: tuple[int, ...], argc: int, ret: int) -> dict[str, Any]:
        filename = _cstr(raw, S1)
        path, resolved = decode.resolve_path(pid, _int32(ints[0]), filename, self.proc_root)
        argv = tuple(part.decode(errors="replace") for part in raw[ARGV:].split(b"\0")[:argc])
        args: dict[str, Any] = {
            "filename": path,
            "argv": argv,
            "argv_truncated": bool(ints[2]),
            "resolved": resolved,
        }
        if path != filename:
            args["filename_raw"] = filename
        if ret == 0:
            args["exe"] = _cstr(raw, S2)  # the binary the kernel ran (sched_process_exec)
        return args

    def _syscall_args(
        self, name: str, raw: bytes, pid: int, ints: tuple[int, ...], len1: int, ret: int
    ) -> dict[str, Any]:
        spec = SPECS.get(name)
        if spec is None:
            return {}
        args: dict[str, Any] = {}
        for key, value in zip(spec.ints, ints[: len(spec.ints)], strict=True):
            if key in _UNSIGNED_32:
                args[key] = value & 0xFFFFFFFF
            elif key in _SIGNED_32:
                args[key] = _int32(value)
            elif key is not None:
                args[key] = value
        resolved = True
        for (key, dirfd_slot), offset in zip(spec.paths, (S1, S2)[: len(spec.paths)], strict=True):
            text = _cstr(raw, offset)
            if dirfd_slot is None:  # not a path on this host (symlink target, memfd name)
                args[key] = text
                continue
            dirfd = _int32(ints[dirfd_slot]) if spec.ints[dirfd_slot] else decode.AT_FDCWD
            args[key], ok = decode.resolve_path(pid, dirfd, text, self.proc_root)
            if args[key] != text:
                args[key + "_raw"] = text
            resolved = resolved and ok
        if any(slot is not None for _, slot in spec.paths):
            args["resolved"] = resolved
        if "flags" in args and name.startswith("open"):
            args["flags_str"] = decode.open_flags(args["flags"])
            args["is_write"] = decode.is_open_write(args["flags"])
            if ret >= 0:
                args["fd"] = ret
        if "mode" in args and (name.startswith(("chmod", "fchmod")) or args["mode"]):
            args["mode_str"] = f"{args['mode'] & 0o7777:04o}"
        if name == "memfd_create":
            args["flags_str"] = decode.bit_names(args["flags"], decode.MFD_FLAGS)
        elif name == "ptrace":
            args["request_str"] = decode.PTRACE_REQUESTS.get(args["request"], str(args["request"]))
        elif name == "connect":
            args.update(decode.sockaddr(raw[S1 : S1 + len1]))
        return args

    # ---- parents

    def _remember_parent(self, child: int, parent: int) -> None:
        if len(self._ppid) >= 65536:  # bounded: forget the oldest entries
            for key in list(self._ppid)[:4096]:
                del self._ppid[key]
        self._ppid[child] = parent

    def ppid_of(self, pid: int) -> int:
        """From fork events, else from /proc/PID/stat; 0 when the process is already gone."""
        ppid = self._ppid.get(pid)
        if ppid is None:
            data = read_bytes(f"{self.proc_root}/{pid}/stat")
            fields = parse_stat(data) if data else None
            ppid = fields.ppid if fields else 0
            if fields:
                self._remember_parent(pid, ppid)
        return ppid

    # ---- consumers' API

    def drain(self) -> list[Event]:
        """Every event received since the previous drain, oldest first."""
        out: list[Event] = []
        queue = self._queue
        while queue:
            out.append(queue.popleft())
        return out

    def _kernel_counts(self) -> tuple[int, int, int]:
        """(output failed, pending full, polling skipped) since the buffer opened (events.c enum stat)."""
        bpf = self._bpf
        if bpf is None:
            return 0, 0, 0
        table = bpf[b"stats"]
        failed, full, skipped = (sum(table[table.Key(index)]) for index in range(3))
        base = self._baseline
        return failed - base[0], full - base[1], skipped - base[2]

    def stats(self) -> StreamStats:
        output_failed, pending_full, skipped = self._kernel_counts()
        return StreamStats(
            self._received, output_failed, pending_full, self._dropped, self._perf_lost, self._rate, skipped
        )

    def status(self) -> EbpfStatus:
        if self.state != "on":
            return self.base_status()
        stats = self.stats()
        return EbpfStatus("on", lost_events=stats.lost, events_per_second=stats.events_per_second)

    def close(self) -> None:
        self._stop.set()
        if self._consumer is not None:
            self._consumer.join()
            self._consumer = None
        super().close()
