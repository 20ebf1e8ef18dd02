"""config.toml: real files in tmp_path, good and bad, and the XDG location."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syswatch.config import COLUMN_IDS, Config, column_id, default_path, load_config


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return str(path)


def test_full_valid_file(tmp_path):
    path = write(
        tmp_path,
        'interval = 2\ntheme = "Light"\ncolumns = ["PID", "cpu", "CPU%" , "TIME+", "command"]\n'
        "read_only = true\n[keymap]\nkill = \"k, f9\"\nquit = [\"q\", \"f10\"]\n",
    )
    config, errors = load_config(path)
    assert errors == ["%s: columns: column 'CPU%%' listed twice; using the default (%s)" % (path, ", ".join(COLUMN_IDS))]
    assert config.interval == 2.0 and isinstance(config.interval, float)
    assert config.theme == "light"
    assert config.columns == COLUMN_IDS  # the bad key alone fell back
    assert config.read_only is True
    assert dict(config.keymap) == {"kill": "k,f9", "quit": "q,f10"}


def test_header_names_map_to_ids(tmp_path):
    path = write(tmp_path, 'columns = ["PID", "USER", "CONTAINER", "S", "CPU%", "MEM%", "RSS", "THR", '
                 '"TIME+", "SYSC/s", "TOPSYSCALL", "COMMAND"]\n')
    config, errors = load_config(path)
    assert errors == []
    assert config.columns == COLUMN_IDS
    assert column_id("nope") is None


def test_bad_interval_names_key_and_default(tmp_path):
    path = write(tmp_path, 'interval = "fast"\ntheme = "mono"\n')
    config, errors = load_config(path)
    assert errors == [f"{path}: interval: expected a number > 0, got 'fast'; using 1.0"]
    assert config.interval == 1.0
    assert config.theme == "mono"  # good keys still apply


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ("interval = 0\n", "interval", "expected a number > 0, got 0"),
        ("interval = -3.5\n", "interval", "got -3.5"),
        ("interval = true\n", "interval", "got True"),
        ("interval = nan\n", "interval", "got nan"),
        ('theme = "neon"\n', "theme", "expected one of dark, light, mono, got 'neon'"),
        ("read_only = 1\n", "read_only", "expected true or false, got 1"),
        ('columns = "pid"\n', "columns", "expected a non-empty list"),
        ("columns = []\n", "columns", "expected a non-empty list"),
        ('columns = ["pid", "colour"]\n', "columns", "unknown column 'colour'"),
        ("keymap = 3\n", "keymap", "expected a table"),
        ('[keymap]\nkill = ""\n', "keymap", "kill: keys must be non-empty"),
        ('[keymap]\nkill = "ctrl k"\n', "keymap", "kill: keys must be non-empty names without spaces"),
        ("[keymap]\nkill = 5\n", "keymap", "kill: expected"),
        ('[keymap]\n"bad id" = "k"\n', "keymap", "'bad id' is not a binding id"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_key(tmp_path, text, key, fragment):
    config, errors = load_config(write(tmp_path, text))
    assert len(errors) == 1
    assert "\n" not in errors[0]
    assert f"config.toml: {key}: " in errors[0]
    assert fragment in errors[0]
    assert getattr(config, key) == getattr(Config(), key)


def test_unknown_key_is_reported_and_ignored(tmp_path):
    path = write(tmp_path, 'colour = "red"\ninterval = 0.5\n')
    config, errors = load_config(path)
    assert len(errors) == 1 and "unknown key 'colour'" in errors[0] and errors[0].startswith(path)
    assert config.interval == 0.5


def test_invalid_toml_gives_defaults(tmp_path):
    path = write(tmp_path, "interval = = 2\n")
    config, errors = load_config(path)
    assert config == Config()
    assert len(errors) == 1 and "not valid TOML" in errors[0] and "line 1" in errors[0]


def test_unreadable_and_missing_files(tmp_path):
    directory = tmp_path / "config.toml"
    directory.mkdir()  # reading a directory fails with EISDIR, like any unreadable file
    config, errors = load_config(str(directory))
    assert config == Config() and len(errors) == 1 and "cannot read" in errors[0]
    config, errors = load_config(str(tmp_path / "absent.toml"))
    assert config == Config() and errors == [f"{tmp_path / 'absent.toml'}: no such file; using defaults"]


def test_xdg_config_home_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == str(tmp_path / "syswatch" / "config.toml")
    config, errors = load_config(None)
    assert (config, errors) == (Config(), [])  # no file at the default place: silently defaults
    (tmp_path / "syswatch").mkdir()
    (tmp_path / "syswatch" / "config.toml").write_text("interval = 3\n")
    config, errors = load_config(None)
    assert config.interval == 3.0 and errors == []


def test_home_fallback_without_xdg(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("XDG_CONFIG_HOME", None)
    code = "from syswatch.config import default_path; print(default_path())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / ".config" / "syswatch" / "config.toml")


def test_with_overrides_ignores_none():
    base = Config(interval=2.0, theme="light", read_only=True)
    assert base.with_overrides() == base
    assert base.with_overrides(theme=None, read_only=None, interval=None) == base
    changed = base.with_overrides(theme="mono", read_only=False, interval=0.5)
    assert (changed.theme, changed.read_only, changed.interval) == ("mono", False, 0.5)
    assert base.theme == "light"  # frozen: the original is untouched
    with pytest.raises(ValueError, match="theme"):
        base.with_overrides(theme="neon")
    with pytest.raises(ValueError, match="interval"):
        base.with_overrides(interval=0)
