"""While the TUI runs, native writes to fd 2 (libbcc, LLVM, the loader's capture) never reach the screen."""

from __future__ import annotations

import subprocess
import sys


def test_screen_keeps_its_own_fd_while_native_stderr_goes_to_the_log(tmp_path):
    log = tmp_path / "stderr.log"
    code = (
        "import os, sys\n"
        "from syswatch.probes.ebpf.loader import native_stderr\n"
        "from syswatch.tui.terminal import screen_on_own_fd\n"
        f"with screen_on_own_fd({str(log)!r}):\n"
        "    print('frame', file=sys.__stderr__, flush=True)\n"  # what Textual writes
        "    os.write(2, b'libbcc noise\\n')\n"
        "    with native_stderr.capture() as out:\n"
        "        os.write(2, b'compile error\\n')\n"
        "        print('frame during compile', file=sys.__stderr__, flush=True)\n"
        "print('captured=' + out[0].strip(), flush=True)\n"
        "os.write(2, b'after\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr == "frame\nframe during compile\nafter\n"
    assert result.stdout == "captured=compile error\n"
    assert log.read_text() == "libbcc noise\n"
