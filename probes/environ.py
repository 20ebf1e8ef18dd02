"""A process's environment, from /proc/PID/environ, with secrets masked unless asked otherwise.

/proc/PID/environ is the block the process was started with (what a container's `-e SECRET=`
put there); root on the host can read it for any process, which is exactly why it matters.
"""

from __future__ import annotations

from dataclasses import dataclass

from syswatch.secrets import mask, secret_reason

from .procinfo import read_file


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str  # the masked text when `secret` and not revealed
    secret: str | None = None  # why it counts as a secret ("name SECRET", "JWT", ...), else None
    masked: bool = False


def read_environ_raw(pid: int, proc_root: str = "/proc") -> bytes:
    """The raw block. Raises PermissionError, FileNotFoundError / ProcessLookupError when gone."""
    return read_file(f"{proc_root}/{pid}/environ")


def parse_environ(raw: bytes) -> list[tuple[str, str]]:
    """NAME=value pairs, sorted by name; an entry without '=' is a name with an empty value."""
    pairs = []
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        name, _, value = entry.decode("utf-8", "replace").partition("=")
        pairs.append((name, value))
    pairs.sort()
    return pairs


def read_environ(pid: int, show_secrets: bool = False, proc_root: str = "/proc") -> tuple[EnvVar, ...]:
    """The environment, sorted by name, secret values masked unless show_secrets."""
    entries = []
    for name, value in parse_environ(read_environ_raw(pid, proc_root)):
        reason = secret_reason(name, value)
        hide = reason is not None and not show_secrets
        entries.append(EnvVar(name, mask(value) if hide else value, reason, hide))
    return tuple(entries)


def reveal(pid: int, name: str, proc_root: str = "/proc") -> str | None:
    """One variable's real value, read afresh: what the UI's confirmed reveal key shows.
    Masked values are never kept, so revealing reads /proc again. None when the name is absent."""
    for entry_name, value in parse_environ(read_environ_raw(pid, proc_root)):
        if entry_name == name:
            return value
    return None
