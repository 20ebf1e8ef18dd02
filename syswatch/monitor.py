"""The monitor: owns the probes and turns each tick's readings into one immutable Snapshot.

Headless by design (no Textual here): the TUI, `syswatch snapshot` and the tests all drive
the same Monitor. `tick()` is synchronous; `tick_forever()` loops it on a thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from types import MappingProxyType
from typing import Callable, Protocol

from syswatch.model import Container, EbpfStatus, Event, ProcessRecord, Snapshot, SyscallStats
from syswatch.probes.ebpf import combined_status
from syswatch.probes.docker_api import DockerNames
from syswatch.probes.procfs import ProcScanner
from syswatch.probes.system import SystemProbe


class SyscallSource(Protocol):
    """What the monitor needs from the eBPF side (syswatch.probes.ebpf provides it)."""

    def start(self) -> None: ...  # begin loading on a background thread

    def status(self) -> EbpfStatus: ...

    def read(self, interval: float) -> dict[int, SyscallStats]: ...


class EventSource(Protocol):
    """The kernel event stream (syswatch.probes.ebpf.events.EventStream)."""

    def start(self) -> None: ...

    def status(self) -> EbpfStatus: ...

    def drain(self) -> list[Event]: ...


class ContainerNames(Protocol):
    """Fills in a container's name and image from its runtime (syswatch.probes.docker_api)."""

    def enrich(self, container: Container) -> Container: ...

    def wait(self, timeout: float) -> None: ...  # let a lookup in flight finish (one-shot callers)


class Monitor:
    def __init__(
        self,
        scanner: ProcScanner | None = None,
        syscalls: SyscallSource | None = None,
        system: SystemProbe | None = None,
        container_names: ContainerNames | None = None,
        events: EventSource | None = None,
    ) -> None:
        self.scanner = scanner or ProcScanner()
        self.syscalls = syscalls
        self.events = events
        self.system = system or SystemProbe()
        self.container_names = container_names if container_names is not None else DockerNames()
        self._named: dict[int, tuple[ProcessRecord, ProcessRecord]] = {}  # task id -> (scanned, named)
        self._seq = 0
        self._probes_started = False
        self._lock = threading.Lock()  # tick() may be called from a worker thread and a test at once

    @property
    def include_threads(self) -> bool:
        return self.scanner.include_threads

    @include_threads.setter
    def include_threads(self, value: bool) -> None:
        self.scanner.include_threads = value

    def start(self) -> None:
        """Start the slow probes (eBPF compiles for a second or more) on their own threads.

        The TUI calls this once its first frame is up, so loading never delays that frame
        (`import bcc` holds the GIL while the dynamic loader maps LLVM)."""
        self._probes_started = True
        if self.syscalls is not None:
            self.syscalls.start()
        if self.events is not None:
            self.events.start()

    def tick(self) -> Snapshot:
        with self._lock:
            scan = self.scanner.scan()
            named: dict[int, tuple[ProcessRecord, ProcessRecord]] = {}
            processes = self._with_names(scan.processes, named)
            threads = self._with_names(scan.threads, named)
            self._named = named
            threads_total = sum(p.threads for p in scan.processes.values() if not p.is_kernel_thread)
            system = self.system.read(scan.processes, threads_total)
            ebpf, syscalls, events = self._read_ebpf(scan.elapsed)
            self._seq += 1
            return Snapshot(
                seq=self._seq,
                time=time.time(),
                interval=scan.elapsed,
                system=system,
                processes=MappingProxyType(processes),
                threads=MappingProxyType(threads),
                syscalls=MappingProxyType(syscalls),
                ebpf=ebpf,
                events=events,
            )

    def _read_ebpf(self, elapsed: float) -> tuple[EbpfStatus, dict[int, SyscallStats], tuple[Event, ...]]:
        """The eBPF status for the header, the syscall counts and the events of this tick."""
        if self.syscalls is None:
            return EbpfStatus("off", "not enabled"), {}, ()
        if not self._probes_started:
            return EbpfStatus("loading"), {}, ()  # start() is on its way
        status = self.syscalls.status()
        syscalls = self.syscalls.read(elapsed) if status.state == "on" else {}
        if self.events is None:
            return status, syscalls, ()
        # Drained every tick, so the stream's bounded queue never overflows while nobody reads it.
        events = tuple(self.events.drain())
        return combined_status(status, self.events.status()), syscalls, events

    def _with_names(
        self, records: dict[int, ProcessRecord], named: dict[int, tuple[ProcessRecord, ProcessRecord]]
    ) -> dict[int, ProcessRecord]:
        """The records with their containers' names; an unchanged record keeps last tick's named copy."""
        if not any(record.container is not None for record in records.values()):
            return records
        result = dict(records)
        for pid, record in records.items():
            if record.container is None:
                continue
            container = self.container_names.enrich(record.container)
            if container is record.container:
                continue
            previous = self._named.get(pid)
            if previous is not None and previous[0] is record and previous[1].container is container:
                copy = previous[1]
            else:
                copy = replace(record, container=container)
            named[pid] = (record, copy)
            result[pid] = copy
        return result


def tick_forever(
    tick: Callable[[], Snapshot],
    interval: float,
    on_snapshot: Callable[[Snapshot], None],
    stop: threading.Event,
    on_error: Callable[[Exception], None],
) -> None:
    """Call `tick` every `interval` seconds until `stop` is set, handing each snapshot on.

    A failing tick is reported to `on_error` and the loop goes on: one unreadable moment of the
    host must not end a week-long session."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            snapshot = tick()
        except Exception as error:  # noqa: BLE001 - see the docstring
            on_error(error)
        else:
            on_snapshot(snapshot)
        stop.wait(max(interval - (time.monotonic() - started), 0.05))
