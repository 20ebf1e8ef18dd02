"""The Env section of a real child: sorted, secrets masked by default, revealed only on request."""

from __future__ import annotations

import subprocess

import pytest
from syswatch.probes.environ import read_environ, reveal

from syswatch.secrets import MASK

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENV = {
    "SECRET": "5555666677778888",
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    "GIT_AUTHOR_NAME": "Ada Lovelace",  # AUTHOR is not AUTH
    "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",  # a location, not a secret
    "UPLOAD_URL": "https://bob:hunter2pass@example.com/upload",  # secret by value shape
    "PATH": "/usr/bin:/bin",
    "EMPTY": "",
}


@pytest.fixture
def child(spawn):
    return spawn("import sys; sys.stdin.read()", stdin=subprocess.PIPE, env=ENV)


def test_sorted_and_masked_by_default(child):
    env = read_environ(child.pid)
    assert [var.name for var in env] == sorted(ENV)
    by_name = {var.name: var for var in env}
    for name in ("SECRET", "AWS_SECRET_ACCESS_KEY", "UPLOAD_URL"):
        var = by_name[name]
        assert var.masked and var.secret
        assert var.value == f"{MASK} ({len(ENV[name])} chars)"
        assert ENV[name] not in var.value
    assert by_name["UPLOAD_URL"].secret == "password in URL"
    assert by_name["SECRET"].secret == "name SECRET"
    for name in ("GIT_AUTHOR_NAME", "SSH_AUTH_SOCK", "PATH", "EMPTY"):
        assert (by_name[name].value, by_name[name].masked, by_name[name].secret) == (ENV[name], False, None)


def test_show_secrets_and_reveal(child):
    by_name = {var.name: var for var in read_environ(child.pid, show_secrets=True)}
    assert by_name["AWS_SECRET_ACCESS_KEY"].value == AWS_SECRET
    assert by_name["AWS_SECRET_ACCESS_KEY"].secret and not by_name["AWS_SECRET_ACCESS_KEY"].masked
    assert reveal(child.pid, "SECRET") == "5555666677778888"
    assert reveal(child.pid, "NOT_THERE") is None


def test_gone_process_raises(spawn):
    gone = spawn("pass")
    gone.wait()
    with pytest.raises(FileNotFoundError):
        read_environ(gone.pid)
