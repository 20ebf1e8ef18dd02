"""The user's settings from `$XDG_CONFIG_HOME/syswatch/config.toml` (default `~/.config/...`).

    interval = 1.0                       # seconds between refreshes
    theme = "dark"                       # dark | light | mono (NO_COLOR always selects mono)
    columns = ["pid", "user", "cpu", "command"]   # ids, or the headers: "PID", "CPU%", "TIME+", ...
    read_only = false                    # true removes kill and every other change
    [keymap]                             # Textual keymap: binding id -> keys
    kill = "k,f9"                        # a comma-separated string or a list of keys
    quit = ["q", "f10"]

A bad value never stops syswatch: each problem becomes a one-line error naming the key, and that
key keeps its default. Unknown keys are reported too (usually a typo).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

THEME_NAMES: tuple[str, ...] = ("dark", "light", "mono")
COLUMN_IDS: tuple[str, ...] = (
    "pid", "user", "container", "state", "cpu", "mem", "rss", "threads", "time",
    "syscalls", "top_syscall", "command",
)
# The headers as htop-style users write them, to the ids above.
COLUMN_HEADERS: Mapping[str, str] = MappingProxyType({
    "s": "state", "cpu%": "cpu", "mem%": "mem", "thr": "threads", "time+": "time",
    "sysc/s": "syscalls", "topsyscall": "top_syscall", "top syscall": "top_syscall",
})
_BINDING_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_KEY = re.compile(r"^\S+$")


@dataclass(frozen=True)
class Config:
    interval: float = 1.0
    theme: str = "dark"
    columns: tuple[str, ...] = COLUMN_IDS
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # for App.set_keymap
    read_only: bool = False
    show_secrets: bool = False  # only from the command line (--show-secrets), never from the file

    def with_overrides(
        self,
        theme: str | None = None,
        read_only: bool | None = None,
        interval: float | None = None,
        show_secrets: bool | None = None,
    ) -> Config:
        """This config with the command line's choices on top; None means "not given"."""
        changes: dict[str, Any] = {}
        if theme is not None:
            if theme not in THEME_NAMES:
                raise ValueError(f"theme: expected one of {', '.join(THEME_NAMES)}, got {theme!r}")
            changes["theme"] = theme
        if read_only is not None:
            changes["read_only"] = read_only
        if show_secrets is not None:
            changes["show_secrets"] = show_secrets
        if interval is not None:
            if not _is_positive_number(interval):
                raise ValueError(f"interval: expected a number > 0, got {interval!r}")
            changes["interval"] = float(interval)
        return replace(self, **changes)


def default_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "syswatch", "config.toml")


def load_config(path: str | None = None) -> tuple[Config, list[str]]:
    """The config at `path` (default: the XDG location) and one-line errors about it.

    A missing default file is no error (all defaults); a missing explicit file is.
    """
    explicit = path is not None
    path = path or default_path()
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return Config(), ([f"{path}: no such file; using defaults"] if explicit else [])
    except OSError as error:
        return Config(), [f"{path}: cannot read ({error.strerror}); using defaults"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return Config(), [f"{path}: not valid TOML ({error}); using defaults"]
    return _from_table(data, path)


def _from_table(data: dict[str, Any], path: str) -> tuple[Config, list[str]]:
    defaults = Config()
    values: dict[str, Any] = {}
    errors: list[str] = []
    for key, raw in data.items():
        check = _CHECKS.get(key)
        if check is None:
            errors.append(f"{path}: unknown key {key!r} (known: {', '.join(_CHECKS)}); ignored")
            continue
        value, problem = check(raw)
        if problem is None:
            values[key] = value
        else:
            errors.append(f"{path}: {key}: {problem}; using {_show_default(getattr(defaults, key))}")
    return replace(defaults, **values), errors


def _show_default(value: Any) -> str:
    if isinstance(value, tuple):
        return "the default (" + ", ".join(value) + ")"
    if isinstance(value, Mapping):
        return "the default keys"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _check_interval(raw: Any) -> tuple[float | None, str | None]:
    if _is_positive_number(raw):
        return float(raw), None
    return None, f"expected a number > 0, got {raw!r}"


def _check_theme(raw: Any) -> tuple[str | None, str | None]:
    if isinstance(raw, str) and raw.lower() in THEME_NAMES:
        return raw.lower(), None
    return None, f"expected one of {', '.join(THEME_NAMES)}, got {raw!r}"


def _check_read_only(raw: Any) -> tuple[bool | None, str | None]:
    if isinstance(raw, bool):
        return raw, None
    return None, f"expected true or false, got {raw!r}"


def column_id(name: str) -> str | None:
    """The column id for an id or a header, case-insensitively ("CPU%" -> "cpu"), or None."""
    lowered = name.strip().lower()
    if lowered in COLUMN_IDS:
        return lowered
    return COLUMN_HEADERS.get(lowered)


def _check_columns(raw: Any) -> tuple[tuple[str, ...] | None, str | None]:
    if not isinstance(raw, list) or not raw:
        return None, f"expected a non-empty list of column ids, got {raw!r}"
    columns: list[str] = []
    for item in raw:
        found = column_id(item) if isinstance(item, str) else None
        if found is None:
            return None, f"unknown column {item!r} (known: {', '.join(COLUMN_IDS)})"
        if found in columns:
            return None, f"column {item!r} listed twice"
        columns.append(found)
    return tuple(columns), None


def _check_keymap(raw: Any) -> tuple[Mapping[str, str] | None, str | None]:
    if not isinstance(raw, dict):
        return None, f"expected a table of binding id = \"keys\", got {raw!r}"
    keymap: dict[str, str] = {}
    for binding, keys in raw.items():
        if not _BINDING_ID.match(binding):
            return None, f"{binding!r} is not a binding id"
        key_list = keys.split(",") if isinstance(keys, str) else keys
        if not isinstance(key_list, list) or not all(isinstance(k, str) for k in key_list):
            return None, f"{binding}: expected \"key,key\" or a list of keys, got {keys!r}"
        cleaned = [k.strip() for k in key_list]
        if not cleaned or not all(_KEY.match(k) for k in cleaned):
            return None, f"{binding}: keys must be non-empty names without spaces, got {keys!r}"
        keymap[binding] = ",".join(cleaned)
    return MappingProxyType(keymap), None


_CHECKS = {
    "interval": _check_interval,
    "theme": _check_theme,
    "columns": _check_columns,
    "keymap": _check_keymap,
    "read_only": _check_read_only,
}
