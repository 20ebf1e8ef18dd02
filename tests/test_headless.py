"""The core and probes must run without Textual (DESIGN: headless core, enforced)."""

import subprocess
import sys

HEADLESS_MODULES = [
    "syswatch.model",
    "syswatch.monitor",
    "syswatch.cli",
    "syswatch.outputs.snapshot_json",
    "syswatch.probes.procfs",
    "syswatch.probes.containers",
    "syswatch.probes.system",
    "syswatch.probes.docker_api",
    "syswatch.probes.fds",
    "syswatch.probes.sockets",
    "syswatch.probes.environ",
    "syswatch.probes.procinfo",
    "syswatch.probes.fdpeek",
    "syswatch.probes.ebpf.loader",
    "syswatch.probes.ebpf.counters",
    "syswatch.probes.ebpf.events",
    "syswatch.secrets",
    "syswatch.inspect",
    "syswatch.outputs.inspect_json",
    "syswatch.doctor",
    "syswatch.config",
    "syswatch.demo",
]


def test_core_and_probes_do_not_import_textual():
    code = (
        "import sys\n"
        f"for name in {HEADLESS_MODULES!r}: __import__(name)\n"
        "from syswatch.monitor import Monitor\n"
        "Monitor().tick()\n"
        "import os, syswatch.inspect\n"
        "syswatch.inspect.inspect_process(os.getpid())\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"headless modules imported {result.stdout.strip()}"
