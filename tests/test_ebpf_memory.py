"""After compiling, the loader gives LLVM's memory back, and compiling again still works."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import require
from syswatch.probes.ebpf.loader import unavailable_reason

# Runs in a fresh interpreter: this test process may have loaded bcc already.
CHILD = """
import json
from syswatch.probes.ebpf.counters import SyscallCounter

def compiler_code_resident_kb():
    total, current = 0, False
    for line in open("/proc/self/smaps"):
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:
            path = fields[5] if len(fields) > 5 else ""
            current = fields[1].startswith("r-x") and ("libLLVM" in path or "libclang" in path)
        elif current and fields[0] == "Rss:":
            total += int(fields[1])
    return total

first = SyscallCounter()
first.start(background=False)
after_first = compiler_code_resident_kb()
second = SyscallCounter()  # compiles again: the dropped code pages fault back in
second.start(background=False)
print(json.dumps({"first": first.status().state, "second": second.status().state,
                  "resident_kb": after_first, "reason": second.status().reason}))
"""


def test_compiler_code_pages_are_released_and_recompiling_works():
    reason = unavailable_reason()
    require(reason is None, f"eBPF unavailable: {reason}")
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["first"] == "on" and report["second"] == "on", report
    # The compiler's code was resident while compiling (tens of MB); after the load it is dropped.
    assert report["resident_kb"] < 1024, report
