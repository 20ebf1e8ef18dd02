"""The Info tab on real processes: identities with names, capabilities, namespaces, seccomp,
limits, OOM score, memory, tty, deleted executables."""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import require
from syswatch.probes.procinfo import CAP_LAST, CapSet, read_info


def _wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _exec_done(pid: int, comm: str) -> bool:
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip() == comm


def test_unprivileged_identity_groups_and_caps(started, tmp_path):
    require(os.geteuid() == 0 and shutil.which("setpriv") is not None, "needs root and setpriv(1)")
    users_gid = grp.getgrnam("users").gr_gid
    child = started(
        ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={users_gid}", "--no-new-privs",
         "--bounding-set=-net_raw", "--inh-caps=-all", "sleep", "60"],
        cwd=tmp_path,
    )  # fmt: skip
    _wait_until(lambda: _exec_done(child.pid, "sleep"))
    info = read_info(child.pid)
    assert (info.uids.real, info.uids.effective, info.uids.saved, info.uids.fs) == (65534,) * 4
    assert info.uids.names == ("nobody",) * 4
    assert info.gids.names == ("nogroup",) * 4
    assert info.groups == ((users_gid, "users"),)
    assert info.capabilities.effective.label == "none" and info.capabilities.permitted.names == ()
    assert "CAP_NET_RAW" not in info.capabilities.bounding.names
    assert "CAP_SYS_ADMIN" in info.capabilities.bounding.names
    assert info.no_new_privs is True
    assert info.cwd == str(tmp_path) and info.root == "/"
    assert info.cmdline == ("sleep", "60") and not info.cmdline_masked
    assert info.exe == shutil.which("sleep") or info.exe.endswith("/sleep")
    assert info.errors == {}


def test_root_child_limits_oom_memory_and_caps(spawn):
    child = spawn(
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (1234, 2345))\n"
        "open('/proc/self/oom_score_adj', 'w').write('500')\n"
        "ballast = bytearray(64 << 20)\n"
        "for i in range(0, len(ballast), 4096): ballast[i] = 1\n"  # touch every page so it is resident
        "print('ready', flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child.stdout.readline()
    _wait_until(lambda: read_info(child.pid).state == "S")  # blocked in stdin.read()
    info = read_info(child.pid)
    limits = {limit.name: limit for limit in info.limits}
    assert (limits["Max open files"].soft, limits["Max open files"].hard) == ("1234", "2345")
    assert limits["Max open files"].units == "files"
    assert info.oom_score_adj == 500 and info.oom_score >= 500
    assert info.memory["rss"] >= 64 << 20 and info.memory["rss_anon"] >= 64 << 20
    assert {"swap", "shared", "rss_file", "virtual"} <= info.memory.keys()
    own = read_info(os.getpid()).capabilities.effective
    assert info.capabilities.effective == own  # a root child keeps its parent's capabilities
    assert info.seccomp == "disabled" and info.no_new_privs is False
    assert (info.state, info.state_name) == ("S", "sleeping")
    assert info.ppid == os.getpid() and info.threads == 1
    assert 0 <= info.age < 60 and abs(info.start_time + info.age - time.time()) < 2


def test_strict_seccomp(spawn):
    # Strict mode allows read/write/exit: a child can enter it and then block reading stdin.
    child = spawn(
        "import ctypes, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
        "libc.prctl(22, 1, 0, 0, 0)\n"  # PR_SET_SECCOMP, SECCOMP_MODE_STRICT
        "libc.read(0, ctypes.create_string_buffer(1), 1)\n",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child.stdout.readline()
    _wait_until(lambda: read_info(child.pid).seccomp == "strict")


def test_namespaces_of_a_child_in_new_net_and_uts_namespaces(started):
    require(os.geteuid() == 0 and shutil.which("unshare") is not None, "needs root and unshare(1)")
    child = started(["unshare", "-n", "-u", "sleep", "60"])
    _wait_until(lambda: _exec_done(child.pid, "sleep"))
    namespaces = {ns.kind: ns for ns in read_info(child.pid).namespaces}
    assert namespaces["net"].differs and namespaces["uts"].differs
    assert not namespaces["mnt"].differs and not namespaces["pid"].differs and not namespaces["user"].differs
    assert namespaces["net"].inode != {ns.kind: ns for ns in read_info(os.getpid()).namespaces}["net"].inode


def test_deleted_executable_and_tty(started, tmp_path):
    require(shutil.which("setsid") is not None, "needs setsid(1)")
    copy = tmp_path / "sleep-copy"
    shutil.copy(shutil.which("sleep"), copy)
    leader, follower = os.openpty()
    try:
        # setsid --ctty makes the pty on stdin the child's controlling terminal.
        child = started(["setsid", "--ctty", str(copy), "60"], stdin=follower, stdout=follower, stderr=follower)
        _wait_until(lambda: _exec_done(child.pid, "sleep-copy"))
        copy.unlink()
        info = read_info(child.pid)
        assert info.exe == f"{copy} (deleted)" and info.exe_deleted
        assert info.tty == os.ttyname(follower).removeprefix("/dev/")
        assert info.session == child.pid  # setsid made it a session leader
    finally:
        os.close(leader)
        os.close(follower)


def test_capability_labels():
    full = (1 << (CAP_LAST + 1)) - 1
    assert CapSet(0).label == "none"
    assert CapSet(full).label == "all"
    assert CapSet(full & ~(1 << 24)).label == "all except CAP_SYS_RESOURCE"
    assert CapSet((1 << 10) | (1 << 39)).label == "CAP_NET_BIND_SERVICE, CAP_BPF"
    assert CapSet(1 << 40).names == ("CAP_CHECKPOINT_RESTORE",) and CapSet(1 << 38).names == ("CAP_PERFMON",)


def test_unreadable_facts_are_named_not_fatal():
    # /proc/1/exe, cwd, root and ns are EACCES even for root here; elsewhere pid 1 may be readable.
    info = read_info(1)
    assert info.pid == 1 and info.uids is not None and info.limits
    for fact, why in info.errors.items():
        assert fact in {"exe", "cwd", "root", "namespaces"} and why == "permission denied"


def test_missing_pid_raises():
    with pytest.raises(ProcessLookupError):
        read_info(sys.maxsize)
