"""End to end: the real `python -m syswatch` in tmux; select a real child by typing its pid,
open its FDs and Env tabs, drill down and come back, reading the terminal as a person would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import require
from test_e2e_tmux import session, start_session, tmux, wait_for_screen  # noqa: F401 - session is a fixture

pytestmark = pytest.mark.e2e

SECRET_VALUE = "5555666677778888"
CHILD = """
import sys, time
held = open(sys.argv[1], "rb")
print("ready", flush=True)
time.sleep(120)
"""


def test_inspector_tabs_and_drill_down_in_tmux(session, tmp_path):  # noqa: F811
    held = tmp_path / "e2e-held.txt"
    held.write_text("e2e\n")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(held)], stdout=subprocess.PIPE, text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET": SECRET_VALUE},  # a short env: all on screen
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        command = f"{sys.executable} -m syswatch --interval 0.5"
        start_session(session, 200, 50, command)
        wait_for_screen(session, " shown")
        time.sleep(0.5)  # Textual settles its terminal queries at start
        tmux("send-keys", "-t", session, "t")  # flat list
        tmux("send-keys", "-t", session, "-l", str(child.pid))  # jump to the pid by typing it
        wait_for_screen(session, f"pid {child.pid} root" if os.getuid() == 0 else f"pid {child.pid} ")
        tmux("send-keys", "-t", session, "l")
        screen = wait_for_screen(session, str(held))
        assert "O_RDONLY" in screen and "FD KIND" in screen
        tmux("send-keys", "-t", session, "e")
        screen = wait_for_screen(session, "SECRET=••••")
        assert SECRET_VALUE not in screen
        tmux("send-keys", "-t", session, "Enter")
        screen = wait_for_screen(session, "Esc/Backspace: back to the list")
        assert f"pid {child.pid} · python" in screen
        tmux("send-keys", "-t", session, "l")
        wait_for_screen(session, "f kind · s sort")
        screen = wait_for_screen(session, str(held))
        tmux("send-keys", "-t", session, "Escape")
        screen = wait_for_screen(session, " shown")
        assert "Esc/Backspace: back" not in screen
        assert f"pid {child.pid}" in screen  # the pane still shows the child
    finally:
        child.kill()
        child.wait()


def test_other_users_process_says_permission_denied(session):  # noqa: F811
    """syswatch run as `nobody` looks at a root-owned child: its fds and environment are not
    readable, and each tab says so instead of failing."""
    require(os.getuid() == 0 and shutil.which("setpriv") is not None, "needs root and setpriv to become nobody")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        command = (f"cd /tmp && HOME=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups "
                   f"{sys.executable} -m syswatch --interval 0.5")  # fmt: skip
        start_session(session, 120, 40, command)
        wait_for_screen(session, " shown")
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "t")
        tmux("send-keys", "-t", session, "-l", str(child.pid))
        wait_for_screen(session, f"pid {child.pid} root")
        tmux("send-keys", "-t", session, "l")
        wait_for_screen(session, "FDs: permission denied")
        tmux("send-keys", "-t", session, "e")
        wait_for_screen(session, "Env: permission denied")
        tmux("send-keys", "-t", session, "i")
        screen = wait_for_screen(session, "exe ")
        assert "permission denied" in screen  # exe, cwd and root of another user's process
        assert "state " in screen  # what /proc shows everyone is still there
    finally:
        child.kill()
        child.wait()
