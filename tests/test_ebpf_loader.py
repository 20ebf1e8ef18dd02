"""bcc discovery and the one-line reasons eBPF gives when it cannot work."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import require
from syswatch.probes.ebpf.loader import (
    EbpfUnavailable,
    find_bcc,
    native_stderr,
    one_line,
    unavailable_reason,
)


def test_empty_search_path_gives_the_install_hint():
    try:
        find_bcc([])
    except EbpfUnavailable as error:
        reason = str(error)
    else:
        raise AssertionError("found bcc in an empty search path")
    assert reason.startswith("bcc not found (empty search path)")
    assert "python3-bpfcc" in reason and "\n" not in reason


def test_directory_without_bcc_is_not_taken_for_bcc(tmp_path):
    (tmp_path / "bcc").mkdir()
    (tmp_path / "bcc" / "__init__.py").write_text("# PyPI's unrelated bcc\n")
    try:
        find_bcc([str(tmp_path)])
    except EbpfUnavailable as error:
        assert "searched 1 directories" in str(error)
    else:
        raise AssertionError("accepted a bcc package without BPF")


def test_finds_system_bcc_without_touching_sys_path():
    require(unavailable_reason() is None, f"eBPF unavailable: {unavailable_reason()}")
    code = (
        "import sys\n"
        "before = list(sys.path)\n"
        "from syswatch.probes.ebpf.loader import import_bcc\n"
        "bcc = import_bcc()\n"
        "assert sys.path == before, 'sys.path changed'\n"
        "print(bcc.__file__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith(os.path.join("bcc", "__init__.py"))


def test_not_root_reason_in_a_real_unprivileged_child():
    require(os.geteuid() == 0, "needs root to drop to an unprivileged user")
    # the interpreter under /root is not executable by nobody: start as root, then drop for real
    code = (
        "import os\n"
        "from syswatch.probes.ebpf.loader import unavailable_reason\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "print(unavailable_reason())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "not root and no CAP_BPF+CAP_PERFMON (run with sudo)"


def test_capture_takes_native_stderr_writes(capfd):
    with native_stderr.capture() as output:
        os.write(2, b"In file included from x.c:1:\nx.c:3:5: error: boom\n")
    assert "error: boom" in output[0]
    assert capfd.readouterr().err == ""
    assert one_line(output[0]) == "x.c:3:5: error: boom"
