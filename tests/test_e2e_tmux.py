"""End to end: the real `syswatch` binary in tmux, used with keystrokes as a person would."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from conftest import require

pytestmark = pytest.mark.e2e


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def start_session(session: str, width: int, height: int, command: str) -> None:
    """Run `command` in a detached tmux session of exactly width x height.

    COLUMNS/LINES are emptied in its environment: a tmux server started from a process without
    a terminal (pytest here) exports COLUMNS=80 LINES=24, and Textual would believe them (an
    empty value makes it ask the terminal).
    """
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
         "-e", "COLUMNS=", "-e", "LINES=", command)  # fmt: skip


def wait_for_screen(session: str, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{screen}")


@pytest.fixture
def session():
    require(shutil.which("tmux") is not None, "tmux is not installed (apt-get install tmux)")
    name = f"syswatch-e2e-{uuid.uuid4().hex[:6]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
def test_filter_and_kill_in_tmux(session, size):
    marker = f"e2e-{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])
    try:
        width, height = size
        command = f"{sys.executable} -m syswatch --interval 0.5"
        start_session(session, width, height, command)
        wait_for_screen(session, " shown")  # the status line: the first snapshot is on screen
        time.sleep(0.5)  # as a person would: look first (Textual settles its terminal queries at start)
        tmux("send-keys", "-t", session, "-l", "\\")  # -l: tmux would read a lone backslash as an escape
        tmux("send-keys", "-t", session, "-l", marker)
        tmux("send-keys", "-t", session, "Enter")
        tmux("send-keys", "-t", session, "t")  # flat: only the match is left
        screen = wait_for_screen(session, f"flat, sort CPU%▼ · filter “{marker}” · 1 shown")
        assert str(child.pid) in screen
        tmux("send-keys", "-t", session, "k")
        wait_for_screen(session, "SIGTERM")
        tmux("send-keys", "-t", session, "Enter")
        wait_for_screen(session, "y = yes")
        tmux("send-keys", "-t", session, "y")
        assert child.wait(timeout=10) == -signal.SIGTERM
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0
            if not alive:
                break
            time.sleep(0.2)
        assert not alive, "q did not quit syswatch"
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
