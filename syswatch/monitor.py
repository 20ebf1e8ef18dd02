"""The monitor: owns the probes and turns each tick's readings into one immutable Snapshot.

Headless by design (no Textual here): the TUI, `syswatch snapshot` and the tests all drive
the same Monitor. `tick()` is synchronous; `run()` loops it on the caller's thread.
"""

from __future__ import annotations

import threading
import time
from types import MappingProxyType
from typing import Callable, Protocol

from syswatch.model import EbpfStatus, Snapshot, SyscallStats
from syswatch.probes.procfs import ProcScanner
from syswatch.probes.system import SystemProbe


class SyscallSource(Protocol):
    """What the monitor needs from the eBPF side (syswatch.probes.ebpf provides it)."""

    def status(self) -> EbpfStatus: ...

    def read(self, interval: float) -> dict[int, SyscallStats]: ...


class Monitor:
    def __init__(
        self,
        scanner: ProcScanner | None = None,
        syscalls: SyscallSource | None = None,
        system: SystemProbe | None = None,
    ) -> None:
        self.scanner = scanner or ProcScanner()
        self.syscalls = syscalls
        self.system = system or SystemProbe()
        self._seq = 0
        self._lock = threading.Lock()  # tick() may be called from a worker thread and a test at once

    @property
    def include_threads(self) -> bool:
        return self.scanner.include_threads

    @include_threads.setter
    def include_threads(self, value: bool) -> None:
        self.scanner.include_threads = value

    def tick(self) -> Snapshot:
        with self._lock:
            scan = self.scanner.scan()
            threads_total = sum(p.threads for p in scan.processes.values() if not p.is_kernel_thread)
            system = self.system.read(scan.processes, threads_total)
            if self.syscalls is not None:
                ebpf = self.syscalls.status()
                syscalls = self.syscalls.read(scan.elapsed) if ebpf.state == "on" else {}
            else:
                ebpf, syscalls = EbpfStatus("off", "not enabled"), {}
            self._seq += 1
            return Snapshot(
                seq=self._seq,
                time=time.time(),
                interval=scan.elapsed,
                system=system,
                processes=MappingProxyType(scan.processes),
                threads=MappingProxyType(scan.threads),
                syscalls=MappingProxyType(syscalls),
                ebpf=ebpf,
            )

    def run(self, interval: float, on_snapshot: Callable[[Snapshot], None], stop: threading.Event) -> None:
        """Tick every `interval` seconds until `stop` is set, handing each snapshot to `on_snapshot`."""
        while not stop.is_set():
            started = time.monotonic()
            on_snapshot(self.tick())
            stop.wait(max(interval - (time.monotonic() - started), 0.05))
