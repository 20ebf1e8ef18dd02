"""Shared fixtures: real child processes, and the CI rule that root-only tests must not skip."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Iterator

import pytest

IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when a real resource is missing here; under CI=true that is a failure, not a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture
def started() -> Iterator:
    """Start real commands (argument lists, never a shell); all are killed at the end of the test."""
    children: list[subprocess.Popen] = []

    def start(argv: list[str], **kwargs) -> subprocess.Popen:
        child = subprocess.Popen(argv, **kwargs)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


@pytest.fixture
def spawn(started) -> Iterator:
    """Start real Python children running a snippet (killed at the end of the test)."""

    def start(code: str, **kwargs) -> subprocess.Popen:
        return started([sys.executable, "-c", code], **kwargs)

    yield start
