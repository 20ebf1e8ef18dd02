"""The Monitor: one immutable Snapshot per tick, from real processes."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time

import pytest

from syswatch.model import Snapshot
from syswatch.monitor import Monitor, tick_forever


def ready(child: subprocess.Popen) -> dict:
    line = child.stdout.readline()
    assert line, "child died before it was ready"
    return json.loads(line)


@pytest.fixture
def family(spawn):
    """A parent with three sleeping children, one of them with four extra threads."""
    parent = spawn(
        "import json, subprocess, sys, time\n"
        "threaded = 'import threading, time\\n' \\\n"
        "    'for _ in range(4): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\\n' \\\n"
        "    'print(flush=True); time.sleep(300)'\n"
        "kids = [subprocess.Popen([sys.executable, '-c', threaded], stdout=subprocess.PIPE)]\n"
        "kids += [subprocess.Popen([sys.executable, '-c', 'print(flush=True); import time; time.sleep(300)'],"
        " stdout=subprocess.PIPE) for _ in range(2)]\n"
        "for kid in kids: kid.stdout.readline()\n"
        "print(json.dumps([k.pid for k in kids]), flush=True)\n"
        "time.sleep(300)\n",
        stdout=subprocess.PIPE,
        text=True,
    )
    kids = ready(parent)
    yield parent.pid, kids
    for pid in kids:
        os.kill(pid, 9)


def test_snapshot_shape_and_counts(family):
    parent, kids = family
    monitor = Monitor()
    first = monitor.tick()
    time.sleep(0.2)
    snapshot = monitor.tick()
    assert isinstance(snapshot, Snapshot)
    assert (first.seq, snapshot.seq) == (1, 2)
    assert first.interval == 0.0 and 0.15 < snapshot.interval < 5
    assert snapshot.time >= first.time
    assert sorted(snapshot.children_of()[parent]) == sorted(kids)
    assert all(snapshot.processes[k].ppid == parent for k in kids)
    assert snapshot.processes[kids[0]].threads == 5
    system = snapshot.system
    assert system.tasks == len(snapshot.processes)
    assert system.kernel_threads == sum(p.is_kernel_thread for p in snapshot.processes.values())
    assert system.threads == sum(p.threads for p in snapshot.processes.values() if not p.is_kernel_thread)
    assert system.hostname == os.uname().nodename and system.kernel == os.uname().release
    assert len(system.cpu_percent) == os.cpu_count()
    assert 0 < system.mem_used < system.mem_total
    assert snapshot.ebpf.state == "off" and snapshot.threads == {}


def test_snapshot_is_immutable(family):
    snapshot = Monitor().tick()
    with pytest.raises(TypeError):
        snapshot.processes[1] = snapshot.processes[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.seq = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        snapshot.processes[1].pid = 2  # type: ignore[misc]


def test_threads_on_request(family):
    _, kids = family
    monitor = Monitor()
    assert monitor.tick().threads == {}
    monitor.include_threads = True
    snapshot = monitor.tick()
    threads = [t for t in snapshot.threads.values() if t.tgid == kids[0]]
    assert len(threads) == 4 and all(t.is_thread and t.ppid == kids[0] for t in threads)
    assert sorted(t.pid for t in threads) == sorted(int(t) for t in os.listdir(f"/proc/{kids[0]}/task")
                                                    if int(t) != kids[0])
    monitor.include_threads = False
    assert monitor.tick().threads == {}


def test_exited_process_leaves_the_next_snapshot(spawn):
    child = spawn("import time; print(flush=True); time.sleep(300)", stdout=subprocess.PIPE)
    child.stdout.readline()
    monitor = Monitor()
    assert child.pid in monitor.tick().processes
    child.kill()
    child.wait()
    assert child.pid not in monitor.tick().processes


def test_unchanged_process_keeps_its_record_object(spawn):
    # Cheap ticks: a sleeping process whose stat did not change is not rebuilt; a busy one is.
    sleeper = spawn("import time; print(flush=True); time.sleep(300)", stdout=subprocess.PIPE)
    busy = spawn("print(flush=True)\nwhile True: pass", stdout=subprocess.PIPE)
    sleeper.stdout.readline()
    busy.stdout.readline()
    monitor = Monitor()
    monitor.tick()
    time.sleep(0.1)
    before = monitor.tick()
    time.sleep(0.1)
    after = monitor.tick()
    assert after.processes[sleeper.pid] is before.processes[sleeper.pid]
    assert after.processes[busy.pid] is not before.processes[busy.pid]
    assert after.processes[busy.pid].cpu_time > before.processes[busy.pid].cpu_time


def test_tick_forever_loops_until_stopped_and_survives_a_failing_tick():
    monitor = Monitor()
    stop = threading.Event()
    seen: list[Snapshot] = []
    errors: list[Exception] = []
    calls = 0

    def tick() -> Snapshot:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("the host blinked")
        return monitor.tick()

    def collect(snapshot: Snapshot) -> None:
        seen.append(snapshot)
        if len(seen) == 3:
            stop.set()

    worker = threading.Thread(target=tick_forever, args=(tick, 0.05, collect, stop, errors.append))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert [s.seq for s in seen] == [1, 2, 3]
    assert [str(e) for e in errors] == ["the host blinked"]
    assert all(s.interval > 0 for s in seen[1:])
