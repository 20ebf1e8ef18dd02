"""`syswatch snapshot --json`, the real installed command, on a real process tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

VENV_BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin")
SYSWATCH = os.path.join(VENV_BIN, "syswatch")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([SYSWATCH, *args], capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture
def tree(spawn):
    """parent -> child (6 threads) -> grandchild; returns their pids once all are up."""
    grandchild = "import time; print(flush=True); time.sleep(300)"
    child = (
        "import subprocess, sys, threading, time\n"
        "for _ in range(5): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n"
        f"g = subprocess.Popen([sys.executable, '-c', {grandchild!r}, 'sw-grandchild'], stdout=subprocess.PIPE)\n"
        "g.stdout.readline()\n"
        "print(g.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    parent = spawn(
        "import subprocess, sys, time\n"
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}, 'sw-child'], stdout=subprocess.PIPE, text=True)\n"
        "print(c.pid, c.stdout.readline().strip(), flush=True)\n"
        "time.sleep(300)\n",
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid, grandchild_pid = map(int, parent.stdout.readline().split())
    yield parent.pid, child_pid, grandchild_pid
    for pid in (grandchild_pid, child_pid):
        os.kill(pid, 9)


def test_snapshot_json_reports_the_tree(tree):
    parent, child, grandchild = tree
    out = run("snapshot", "--json", "--duration", "0.2", "--threads")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["cpu_percent_note"] == "100 = one core fully busy"
    assert document["interval"] >= 0.2
    processes = {p["pid"]: p for p in document["processes"]}
    assert [p["pid"] for p in document["processes"]] == sorted(processes)
    assert processes[parent]["ppid"] == os.getpid()
    assert processes[child]["ppid"] == parent
    assert processes[grandchild]["ppid"] == child
    assert processes[child]["cmdline"][-1] == "sw-child"
    assert processes[grandchild]["cmdline"][-1] == "sw-grandchild"
    assert processes[child]["threads"] == 6
    assert processes[grandchild]["user"] == "root" and processes[grandchild]["uid"] == 0
    assert processes[grandchild]["exe"] == os.path.realpath(sys.executable)
    assert processes[grandchild]["container"] is None and processes[grandchild]["kernel_thread"] is False
    assert processes[grandchild]["state"] == "S"
    # The CLI itself is in its own snapshot, as a child of this test.
    me = [p for p in document["processes"] if p["ppid"] == os.getpid() and "snapshot" in p["cmdline"]]
    assert len(me) == 1
    threads = [t for t in document["threads"] if t["tgid"] == child]
    assert len(threads) == 5 and all(t["thread"] and t["ppid"] == child for t in threads)
    assert document["host"]["tasks"] == len(document["processes"])


def test_snapshot_without_threads_lists_none(tree):
    out = run("snapshot", "--json", "--duration", "0")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["threads"] == []


def test_closed_pipe_exits_quietly():
    # The reader is gone before syswatch writes: it must not print a BrokenPipeError traceback.
    proc = subprocess.Popen([SYSWATCH, "snapshot", "--json", "--duration", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert stderr == b""


def test_piped_to_head(spawn):
    # The way a user does it: `syswatch snapshot --json --threads | head -n 3`, with output (200 threads
    # of one process) several times larger than a pipe holds, so the writer must hit the closed pipe.
    many = spawn("import threading, time\n"
                 "for _ in range(200): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n"
                 "print(flush=True); time.sleep(300)", stdout=subprocess.PIPE)
    many.stdout.readline()
    size = len(run("snapshot", "--json", "--duration", "0", "--threads").stdout)
    assert size > 2 * 65536, "output too small to overflow the pipe; the test would prove nothing"
    producer = subprocess.Popen([SYSWATCH, "snapshot", "--json", "--duration", "0", "--threads"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-n", "3"], stdin=producer.stdout, stdout=subprocess.PIPE, text=True)
    producer.stdout.close()  # only head holds the read end now, as in a shell pipeline
    first_lines = head.communicate(timeout=60)[0]
    stderr = producer.stderr.read()
    assert producer.wait(timeout=60) == 141
    assert stderr == b""
    assert first_lines.splitlines()[0] == "{"


@pytest.mark.parametrize(
    "args, message",
    [
        (["snapshot"], "syswatch snapshot: only --json is supported; add --json"),
        (["snapshot", "--json", "--duration", "-1"], "syswatch snapshot: --duration must be >= 0"),
    ],
)
def test_bad_arguments_are_one_clear_line(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert out.stderr.strip() == message and out.stdout == ""


def test_python_dash_m_works():
    out = subprocess.run([os.path.join(VENV_BIN, "python"), "-m", "syswatch", "snapshot", "--json",
                          "--duration", "0"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert any(p["pid"] == 1 for p in json.loads(out.stdout)["processes"])


def test_snapshot_reports_a_controlling_tty(spawn):
    master, slave = os.openpty()
    try:
        child = spawn("import fcntl, termios, time\n"
                      "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
                      "print('ready', flush=True)\n"
                      "time.sleep(300)\n",
                      stdin=slave, stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert child.stdout.readline().strip() == "ready"
        out = run("snapshot", "--json", "--duration", "0")
        assert out.returncode == 0, out.stderr
        processes = {p["pid"]: p for p in json.loads(out.stdout)["processes"]}
        assert processes[child.pid]["tty"] == os.ttyname(slave).removeprefix("/dev/")
        assert processes[os.getppid()]["tty"] != processes[child.pid]["tty"]
    finally:
        os.close(master)
        os.close(slave)
