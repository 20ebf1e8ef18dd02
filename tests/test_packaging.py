"""`pip install .` ships every package under its syswatch.* name, with the BPF sources as data.
(The editable install is what the whole suite runs on.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_maps_probes_tui_and_themes_into_syswatch(tmp_path):
    # Built from a copy: setuptools leaves build/ behind, and a stale build/ could hide a missing file.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("syswatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "syswatch/cli.py",
        "syswatch/probes/procfs.py",
        "syswatch/probes/ebpf/counters.c",
        "syswatch/probes/ebpf/events.c",
        "syswatch/tui/app.py",
        "syswatch/themes/__init__.py",
    ):
        assert expected in names, f"{expected} missing from the wheel"
    assert not any(name.startswith(("probes/", "tui/", "themes/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "syswatch = syswatch.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
