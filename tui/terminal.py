"""Keep the screen the UI's own while native code writes to stderr.

Textual draws on `sys.__stderr__` (fd 2). BCC and LLVM print warnings straight to fd 2, and the
eBPF loader points fd 2 at a temp file for a moment to capture compile errors: either would
garble the screen or swallow frames. So while the TUI runs, Textual gets its own copy of the
terminal and fd 2 goes to a log file (kept for bug reports, truncated at each start).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator


def stderr_log_path() -> str:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "syswatch", "stderr.log")


@contextmanager
def screen_on_own_fd(log_path: str | None = None) -> Iterator[str]:
    """Run the body with Textual writing to a private dup of the terminal; yields the log path."""
    log_path = log_path or stderr_log_path()
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    terminal_fd = os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    original = sys.__stderr__
    sys.__stderr__ = os.fdopen(terminal_fd, "w", encoding=original.encoding if original else "utf-8")
    try:
        yield log_path
    finally:
        sys.__stderr__.flush()
        os.dup2(terminal_fd, 2)  # the terminal back on fd 2 for whatever prints after the UI
        sys.__stderr__.close()
        sys.__stderr__ = original
