"""Per-process syscall counters from eBPF: the `SyscallSource` the monitor reads each tick.

    counter = SyscallCounter()
    counter.start()                 # compiles on a background thread: loading -> on | off
    counter.status()                # EbpfStatus (map_full counts refused map updates)
    counter.read(interval)          # {tgid: SyscallStats}, and resets the kernel counts

Counting happens in the kernel (counters.c); each read moves the counts out of the map with one
batch lookup-and-delete, adds them to the cumulative totals and returns both views.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Any

from syswatch.model import EbpfStatus, SyscallCount, SyscallStats

from .loader import BpfProbe, compile_bpf, read_source
from .syscall_table import SYSCALL_NUMBERS, syscall_name

Totals = dict[int, list[int]]  # syscall nr -> [calls, errors, ns]
VALUE_SIZE = 24  # struct val_t in counters.c
COUNTS_MEMORY = 32 << 20  # bytes the per-cpu counts map may preallocate


def _counts(totals: Totals) -> tuple[SyscallCount, ...]:
    rows = [SyscallCount(nr, syscall_name(nr), c, e, ns) for nr, (c, e, ns) in totals.items()]
    rows.sort(key=lambda row: (-row.calls, row.name))
    return tuple(rows)


class SyscallCounter(BpfProbe):
    """Calls, errors and time per (process, syscall), counted in the kernel."""

    def __init__(
        self,
        exclude_pid: int | None = None,
        count_entries: int | None = None,  # None: 16384, fewer on many-cpu hosts (see _build)
        start_entries: int = 32768,
        proc_root: str = "/proc",
    ) -> None:
        super().__init__()
        self.exclude_pid = os.getpid() if exclude_pid is None else exclude_pid
        self.count_entries = count_entries
        self.start_entries = start_entries
        self.proc_root = proc_root
        self._read_lock = threading.Lock()
        self._cumulative: dict[int, Totals] = {}
        self._cumulative_rows: dict[int, tuple[SyscallCount, ...]] = {}  # reused while a pid is idle

    def _build(self, bcc: ModuleType) -> Any:
        if self.count_entries is None:
            # a per-cpu hash preallocates entries x cpus values: keep it within COUNTS_MEMORY
            cpus = len(bcc.utils.get_possible_cpus())
            self.count_entries = max(2048, min(16384, COUNTS_MEMORY // (VALUE_SIZE * cpus)))
        cflags = [
            f"-DSELF_TGID={self.exclude_pid}",
            f"-DSTART_ENTRIES={self.start_entries}",
            f"-DCOUNT_ENTRIES={self.count_entries}",
            f"-DNR_EXIT={SYSCALL_NUMBERS['exit']}",
            f"-DNR_EXIT_GROUP={SYSCALL_NUMBERS['exit_group']}",
        ]
        return compile_bpf(bcc, read_source("counters.c"), cflags)  # RAW_TRACEPOINT_PROBEs auto-attach

    def map_full(self) -> int:
        bpf = self._bpf
        if bpf is None:
            return 0
        table = bpf[b"full"]
        return sum(sum(table[table.Key(i)]) for i in range(2))

    def status(self) -> EbpfStatus:
        if self.state != "on":
            return self.base_status()
        return EbpfStatus("on", map_full=self.map_full())

    def read(self, interval: float) -> dict[int, SyscallStats]:
        """Counts since the previous read (and since start) per tgid; resets the kernel's counts."""
        with self._read_lock:
            bpf = self._bpf
            if bpf is None:
                return {}
            fresh: dict[int, Totals] = {}
            for key, per_cpu in bpf[b"counts"].items_lookup_and_delete_batch():
                calls = errors = ns = 0
                for value in per_cpu:
                    calls += value.calls
                    errors += value.errors
                    ns += value.ns
                fresh.setdefault(key.tgid, {})[key.nr] = [calls, errors, ns]
            self._merge(fresh)
            return {
                tgid: SyscallStats(
                    tgid=tgid,
                    interval=_counts(fresh[tgid]) if tgid in fresh else (),
                    cumulative=self._cumulative_rows[tgid],
                    interval_seconds=interval,
                )
                for tgid in self._cumulative
            }

    def _merge(self, fresh: dict[int, Totals]) -> None:
        for tgid, totals in fresh.items():
            cumulative = self._cumulative.setdefault(tgid, {})
            for nr, (calls, errors, ns) in totals.items():
                row = cumulative.setdefault(nr, [0, 0, 0])
                row[0] += calls
                row[1] += errors
                row[2] += ns
            self._cumulative_rows[tgid] = _counts(cumulative)
        # Bounded: forget processes that were idle this interval and have exited.
        for tgid in [t for t in self._cumulative if t not in fresh]:
            if not os.path.exists(f"{self.proc_root}/{tgid}"):
                del self._cumulative[tgid]
                del self._cumulative_rows[tgid]

    def close(self) -> None:
        with self._read_lock:
            super().close()
