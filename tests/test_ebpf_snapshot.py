"""`syswatch snapshot --json --duration S` carries each process's syscall counts (real eBPF)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import require
from syswatch.probes.ebpf.loader import unavailable_reason

BUSY = "import os, time\nend = time.time() + 30\nwhile time.time() < end:\n    os.getppid()\n"


def test_snapshot_json_has_syscalls_per_process(spawn):
    require(unavailable_reason() is None, f"eBPF unavailable: {unavailable_reason()}")
    busy = spawn(BUSY)
    result = subprocess.run(
        [sys.executable, "-m", "syswatch", "snapshot", "--json", "--duration", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(result.stdout)
    assert document["ebpf"]["state"] == "on"
    record = next(p for p in document["processes"] if p["pid"] == busy.pid)
    top = record["syscalls"][0]
    assert top["name"] == "getppid" and top["calls"] > 10000 and top["errors"] == 0 and top["time"] > 0
    assert set(top) == {"name", "calls", "errors", "time"}


def test_snapshot_json_without_ebpf_says_why():
    require(__import__("os").geteuid() == 0, "needs root to drop to an unprivileged user")
    # imports first: the interpreter's stdlib under /root is unreadable once we are nobody
    code = (
        "import os, sys\n"
        "from syswatch.cli import main\n"
        "import syswatch.monitor, syswatch.outputs.snapshot_json, syswatch.probes.ebpf.counters\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "sys.exit(main(['snapshot', '--json', '--duration', '0.1']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    document = json.loads(result.stdout)
    assert document["ebpf"]["state"] == "off"
    assert document["ebpf"]["reason"] == "not root and no CAP_BPF+CAP_PERFMON (run with sudo)"
    assert all(p["syscalls"] is None for p in document["processes"])
