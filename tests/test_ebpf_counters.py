"""Real eBPF syscall counters: real children, a real BPF program (root, bcc, headers)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from conftest import require
from syswatch.probes.ebpf.counters import SyscallCounter
from syswatch.probes.ebpf.loader import (
    EbpfUnavailable,
    compile_bpf,
    import_bcc,
    unavailable_reason,
)

# The child waits for "go", makes exactly N getppid calls and M failing opens, then reports.
CHILD = """
import os, sys
sys.stdin.readline()
for _ in range({n}):
    os.getppid()
for i in range({m}):
    try:
        os.open("/nonexistent-syswatch-test/%d" % i, os.O_RDONLY)
    except FileNotFoundError:
        pass
print("done", flush=True)
sys.stdin.readline()
"""


def require_ebpf() -> None:
    reason = unavailable_reason()
    require(reason is None, f"eBPF unavailable: {reason}")


@pytest.fixture
def counter():
    require_ebpf()
    probe = SyscallCounter()
    probe.start(background=False)
    assert probe.status().state == "on", probe.status().reason
    yield probe
    probe.close()


def _run_child(spawn, n: int, m: int) -> subprocess.Popen:
    child = spawn(CHILD.format(n=n, m=m), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "done"
    return child


def test_counts_exact_calls_and_errors_for_child(counter, spawn):
    n, m = 5000, 300
    counter.read(0.1)  # start from empty interval counts
    child = _run_child(spawn, n, m)
    stats = counter.read(1.0)
    assert child.pid in stats
    by_name = {c.name: c for c in stats[child.pid].interval}
    assert by_name["getppid"].calls >= n
    assert by_name["getppid"].errors == 0
    assert by_name["openat"].errors >= m
    assert by_name["openat"].total_ns > 0
    assert stats[child.pid].interval[0].calls == max(c.calls for c in stats[child.pid].interval)
    # the next interval is empty for the (idle) child, while cumulative keeps the totals
    again = counter.read(1.0)
    cumulative = {c.name: c for c in again[child.pid].cumulative}
    assert cumulative["getppid"].calls >= n
    assert "getppid" not in {c.name for c in again[child.pid].interval}


def test_own_process_is_excluded_and_exited_pids_are_forgotten(counter, spawn):
    for _ in range(100):
        os.getppid()
    child = _run_child(spawn, 10, 0)
    stats = counter.read(1.0)
    assert os.getpid() not in stats
    assert child.pid in stats
    child.stdin.close()
    child.wait()
    counter.read(1.0)  # the exit's own syscalls land in this interval
    assert child.pid not in counter.read(1.0)


def test_full_map_is_counted_not_silent(spawn):
    require_ebpf()
    probe = SyscallCounter(count_entries=4)
    probe.start(background=False)
    try:
        assert probe.state == "on", probe.reason
        _run_child(spawn, 10, 10)  # a Python start-up alone makes dozens of distinct syscalls
        assert probe.status().map_full > 0
        assert len([c for s in probe.read(1.0).values() for c in s.interval]) <= 4
    finally:
        probe.close()


def test_compile_failure_is_a_one_line_reason_and_quiet(capfd):
    require_ebpf()
    bcc = import_bcc()
    with pytest.raises(EbpfUnavailable) as raised:
        compile_bpf(bcc, "int broken(void *ctx) { return undefined_symbol; }", [])
    reason = str(raised.value)
    assert reason.startswith("compile failed:") and "undefined_symbol" in reason
    assert "\n" not in reason
    assert capfd.readouterr().err == ""  # clang's diagnostics went into the reason, not the terminal


def test_background_start_reports_loading_then_on():
    require_ebpf()
    probe = SyscallCounter()
    started = time.monotonic()
    probe.start()
    assert time.monotonic() - started < 0.2
    assert probe.status().state == "loading"
    assert probe.wait(60)
    try:
        assert probe.status().state == "on"
    finally:
        probe.close()
