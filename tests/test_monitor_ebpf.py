"""The monitor with both eBPF programs: a real exec reaches Snapshot.events, counts reach syscalls."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from conftest import require
from syswatch.monitor import Monitor
from syswatch.probes.ebpf.counters import SyscallCounter
from syswatch.probes.ebpf.events import EventStream
from syswatch.probes.ebpf.loader import unavailable_reason


@pytest.fixture
def monitor():
    reason = unavailable_reason()
    require(reason is None, f"eBPF unavailable: {reason}")
    counter, stream = SyscallCounter(), EventStream()
    monitor = Monitor(syscalls=counter, events=stream)
    assert monitor.tick().ebpf.state == "loading"  # before start(): loading is on its way
    monitor.start()
    assert counter.wait(60) and stream.wait(60)
    yield monitor
    stream.close()
    counter.close()


def test_exec_event_and_syscall_counts_reach_the_snapshot(monitor):
    marker = f"syswatch-{uuid.uuid4().hex[:8]}"
    monitor.tick()
    child = subprocess.run(["/bin/echo", marker], capture_output=True, check=True)
    assert child.stdout.decode().strip() == marker
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline:
        time.sleep(0.2)
        snapshot = monitor.tick()
        assert snapshot.ebpf.state == "on", snapshot.ebpf
        seen += [e for e in snapshot.events if e.type == "execve" and marker in e.args.get("argv", ())]
        if seen:
            break
    assert seen, "the exec of /bin/echo never reached Snapshot.events"
    assert tuple(seen[0].args["argv"]) == ("/bin/echo", marker)
    assert snapshot.syscalls, "no process had syscall counts"
