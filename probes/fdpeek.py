"""Printable strings of a regular file a process holds open, as `strings /proc/PID/fd/N` shows them.

This is how a user finds secrets stored unencrypted in a file a daemon keeps open (etcd's
database, a deleted-but-open credentials file, a memfd). The file is read in chunks with
pread, never whole; `iter_strings` is a generator that yields each string with its file
offset, so a viewer can show a page, close the generator, and resume at the last `end`.
Secret-looking values are masked like the environment unless show_secrets.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from syswatch.secrets import mask_text

PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t"  # GNU strings' default set: printable ASCII and tab
CHUNK_SIZE = 1 << 16
MAX_LENGTH = 4096  # longer runs are cut into pieces, so one line never grows without bound


class NotARegularFile(ValueError):
    """The fd is a socket, pipe, device, directory, ...: there is nothing to page through."""


class PeekString(NamedTuple):
    """One string (a NamedTuple: a big file yields millions, and this is 5x cheaper to build)."""

    offset: int  # file offset of the string's first byte
    end: int  # offset just past it: pass it as `offset` to resume after this string
    text: str
    masked: bool  # something in text was replaced by the mask


def open_regular(pid: int, fd: int, proc_root: str = "/proc") -> int:
    """A new read-only descriptor of the file behind pid's fd (our own file offset; theirs is untouched).

    Raises NotARegularFile, PermissionError, FileNotFoundError (fd closed or process gone).
    """
    path = f"{proc_root}/{pid}/fd/{fd}"
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotARegularFile(f"fd {fd} of pid {pid} is not a regular file")
    # O_NONBLOCK: should the fd be swapped for a FIFO between stat and open, open must not hang.
    own = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(own).st_mode):
        os.close(own)
        raise NotARegularFile(f"fd {fd} of pid {pid} is not a regular file")
    return own


def _pieces(run: bytes, start: int, min_length: int) -> Iterator[tuple[int, bytes]]:
    for cut in range(0, len(run), MAX_LENGTH):
        piece = run[cut : cut + MAX_LENGTH]
        if len(piece) >= min_length:
            yield start + cut, piece


def iter_strings(
    pid: int,
    fd: int,
    offset: int = 0,
    min_length: int = 4,
    show_secrets: bool = False,
    proc_root: str = "/proc",
) -> Iterator[PeekString]:
    """Printable runs of at least min_length characters from `offset` on, in file order."""
    if min_length < 1 or offset < 0:
        raise ValueError("min_length must be >= 1 and offset >= 0")
    runs = _runs_of(min_length)
    own = open_regular(pid, fd, proc_root)
    try:
        position = offset
        carry = b""  # printable bytes at the end of the previous chunk, which may continue
        while True:
            data = os.pread(own, CHUNK_SIZE, position)
            buffer_start = position - len(carry)
            buffer = carry + data
            position += len(data)
            # Hold back the trailing printable bytes (they may go on in the next chunk), unless
            # this is the end of the file or the run is already too long to hold.
            tail = len(buffer) - len(buffer.rstrip(PRINTABLE)) if data else 0
            if tail >= MAX_LENGTH:
                tail = 0
            complete = buffer[: len(buffer) - tail] if tail else buffer
            carry = buffer[len(buffer) - tail :] if tail else b""
            for match in runs.finditer(complete):
                for start, piece in _pieces(match.group(), buffer_start + match.start(), min_length):
                    text = piece.decode("ascii")
                    shown, masked = (text, False) if show_secrets else mask_text(text)
                    yield PeekString(start, start + len(piece), shown, masked)
            if not data:
                return
    finally:
        os.close(own)


@lru_cache(maxsize=8)
def _runs_of(min_length: int) -> re.Pattern[bytes]:
    # Only runs long enough to show: a binary's millions of 1-3 byte runs never reach Python.
    return re.compile(rb"[\t\x20-\x7e]{%d,}" % min_length)
