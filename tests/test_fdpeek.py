"""Peeking into a file a real process holds open: strings, offsets to page on, secrets masked."""

from __future__ import annotations

import itertools
import subprocess

import pytest
from syswatch.probes.fdpeek import CHUNK_SIZE, NotARegularFile, iter_strings

from syswatch.secrets import MASK

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def _holder(spawn, path, mode: str = "os.O_RDONLY"):
    """A child holding `path` open (and unlinking it when asked), reporting its fd."""
    child = spawn(
        "import os, sys\n"
        f"fd = os.open({str(path)!r}, {mode})\n"
        "print(fd, flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return child, int(child.stdout.readline())


def _content() -> bytes:
    # Binary noise, a known string, a secret, a string straddling the first chunk boundary.
    head = b"\x00\x01\x02ab\x03known string here\x00\xff" + b"db password: hunter2\x00" + f"jwt {JWT}\x00".encode()
    straddle = b"straddles the chunk boundary"
    pad = b"\x00" * (CHUNK_SIZE - len(head) - 10)
    return head + pad + straddle + b"\x00" + b"\xfe" * 100 + b"tail"


def test_strings_with_offsets_and_masking(spawn, tmp_path):
    path = tmp_path / "data.db"
    data = _content()
    path.write_bytes(data)
    child, fd = _holder(spawn, path)
    found = list(iter_strings(child.pid, fd))
    texts = [s.text for s in found]
    assert texts == ["known string here", f"db password: {MASK}", f"jwt {MASK}",
                     "straddles the chunk boundary", "tail"]  # fmt: skip
    assert "ab" not in texts  # shorter than 4, as strings(1)
    for s in found:
        assert data[s.offset : s.end].decode() == s.text or s.masked
    assert [s.masked for s in found] == [False, True, True, False, False]
    assert found[3].offset == data.index(b"straddles")
    # Shown in clear only when asked.
    clear = [s.text for s in iter_strings(child.pid, fd, show_secrets=True)]
    assert "db password: hunter2" in clear and f"jwt {JWT}" in clear


def test_paging_resumes_at_the_last_end(spawn, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"".join(f"line number {n:05d}\n".encode() for n in range(5000)))
    child, fd = _holder(spawn, path)
    first_page = list(itertools.islice(iter_strings(child.pid, fd), 100))
    second_page = list(itertools.islice(iter_strings(child.pid, fd, offset=first_page[-1].end), 100))
    assert first_page[-1].text == "line number 00099"
    assert second_page[0].text == "line number 00100" and second_page[-1].text == "line number 00199"
    assert sum(1 for _ in iter_strings(child.pid, fd)) == 5000


def test_deleted_file_still_readable(spawn, tmp_path):
    path = tmp_path / "creds.txt"
    path.write_text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n")
    child, fd = _holder(spawn, path)
    path.unlink()
    texts = [s.text for s in iter_strings(child.pid, fd)]
    assert texts == [f"aws_secret_access_key = {MASK}", "region = eu-west-1"]


def test_non_regular_fds_are_refused(spawn):
    child = spawn(
        "import os, socket, sys\nr, w = os.pipe()\ns = socket.socket()\n"
        "print(r, s.fileno(), flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    pipe_fd, socket_fd = (int(v) for v in child.stdout.readline().split())
    for fd in (pipe_fd, socket_fd):
        with pytest.raises(NotARegularFile):
            next(iter_strings(child.pid, fd))
    with pytest.raises(FileNotFoundError):
        next(iter_strings(child.pid, 999))
