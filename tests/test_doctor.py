"""`syswatch doctor` on this machine, run as the real command."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import require
from syswatch.probes.ebpf.events import tracepoints
from syswatch.probes.ebpf.loader import unavailable_reason

from syswatch.doctor import Check, distro_family


def run_doctor(**kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syswatch", "doctor"], capture_output=True, text=True, **kwargs)


def test_doctor_passes_here_and_prints_each_check():
    require(unavailable_reason() is None, f"eBPF unavailable: {unavailable_reason()}")
    result = run_doctor()
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout
    assert result.stderr == ""
    for name in (
        "privileges",
        "bcc",
        "kernel headers",
        "tracefs",
        "ring buffer",
        "syscall counters",
        "event stream",
    ):
        assert any(line.startswith(f"[ ok ] {name}: ") for line in lines), name
    for call in ("openat", "execve", "connect", "setresuid"):
        assert f"[ ok ] tracepoint syscalls:sys_{{enter,exit}}_{call}: present" in lines
    assert "[ ok ] tracepoint sched:sched_process_fork: present" in lines
    assert "[ ok ] tracepoint raw_syscalls:sys_enter: present" in lines
    assert not any(line.startswith("[FAIL]") for line in lines)
    assert lines[-1] == "eBPF: ready"
    assert len(lines) >= len({name.split("_", 2)[-1] for _, name in tracepoints()}) + 8


def test_doctor_fails_with_the_fix_when_unprivileged():
    require(os.geteuid() == 0, "needs root to drop to an unprivileged user")
    code = (
        "import os, sys\nfrom syswatch.doctor import main\nos.setgid(65534); os.setuid(65534)\nsys.exit(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("[FAIL] privileges: not root") and "-> fix: run as root" in first
    assert "[skip] compiling the BPF programs" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("eBPF: not ready")


def test_check_line_shows_fix_only_on_failure():
    assert Check("tracefs", True, "mounted", "mount it").line() == "[ ok ] tracefs: mounted"
    assert (
        Check("tracefs", False, "not mounted", "mount it").line() == "[FAIL] tracefs: not mounted -> fix: mount it"
    )


def test_distro_family_reads_os_release(tmp_path):
    release = tmp_path / "os-release"
    release.write_text("ID=ubuntu\nID_LIKE=debian\n")
    assert distro_family(str(release)) == "debian"
    release.write_text('ID="rocky"\nID_LIKE="rhel centos fedora"\n')
    assert distro_family(str(release)) == "fedora"
    assert distro_family(str(tmp_path / "missing")) == ""
