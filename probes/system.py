"""Host-wide figures for the header: load, CPU and memory meters, uptime (psutil where it serves)."""

from __future__ import annotations

import os
import time

import psutil

from syswatch.model import ProcessRecord, SystemStats


class SystemProbe:
    """Reads host figures; CPU% is over the interval since the previous call (psutil keeps that state)."""

    def __init__(self) -> None:
        uname = os.uname()
        self.hostname = uname.nodename
        self.kernel = uname.release
        self._boot_time = psutil.boot_time()
        psutil.cpu_percent(percpu=True)  # prime the per-cpu delta

    def read(self, processes: dict[int, ProcessRecord], threads_total: int) -> SystemStats:
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        kernel_threads = sum(1 for p in processes.values() if p.is_kernel_thread)
        running = sum(1 for p in processes.values() if p.state == "R")
        return SystemStats(
            hostname=self.hostname,
            kernel=self.kernel,
            uptime=time.time() - self._boot_time,
            load=os.getloadavg(),
            cpu_percent=tuple(psutil.cpu_percent(percpu=True)),
            mem_total=memory.total,
            mem_used=memory.total - memory.available,
            swap_total=swap.total,
            swap_used=swap.used,
            tasks=len(processes),
            threads=threads_total,
            kernel_threads=kernel_threads,
            running=running,
        )
