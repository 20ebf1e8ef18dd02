"""The real event stream: real programs run, real BPF programs report what they did."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import require
from syswatch.probes.ebpf.events import EventStream
from syswatch.probes.ebpf.loader import unavailable_reason

from syswatch.model import Event


def require_ebpf() -> None:
    reason = unavailable_reason()
    require(reason is None, f"eBPF unavailable: {reason}")


@pytest.fixture(scope="module")
def stream():
    require_ebpf()
    probe = EventStream()
    probe.start(background=False)
    assert probe.state == "on", probe.reason
    yield probe
    probe.close()


def wait_for(stream: EventStream, match, timeout: float = 5.0) -> list[Event]:
    """Drain until an event matches (the consumer polls on a timer); returns everything seen."""
    seen: list[Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += stream.drain()
        if any(match(e) for e in seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no matching event among {len(seen)}")


def test_exec_arrives_with_argv_and_parent(stream):
    stream.drain()
    child = subprocess.run(["/bin/echo", "syswatch-argv", "two words", ""], capture_output=True, check=True)
    assert child.returncode == 0
    seen = wait_for(stream, lambda e: e.type == "execve" and "syswatch-argv" in e.args.get("argv", []))
    event = next(e for e in seen if e.type == "execve" and "syswatch-argv" in e.args["argv"])
    assert event.args["argv"] == ("/bin/echo", "syswatch-argv", "two words", "")
    assert event.args["filename"] == "/bin/echo"
    assert event.args["exe"] == "/bin/echo"
    assert event.ret == 0 and event.comm == "echo"
    assert event.ppid == os.getpid()  # learnt from the fork tracepoint: the child is gone by now
    assert event.uid == os.getuid()
    assert abs(event.ts - time.time()) < 10


def test_failed_exec_reports_the_error(stream):
    stream.drain()
    with pytest.raises(FileNotFoundError):
        subprocess.run(["/nonexistent/syswatch-prog", "x"])
    seen = wait_for(
        stream, lambda e: e.type == "execve" and e.args.get("filename") == "/nonexistent/syswatch-prog"
    )
    event = next(e for e in seen if e.args.get("filename") == "/nonexistent/syswatch-prog")
    assert event.ret == -2 and "exe" not in event.args


def test_open_for_write_has_absolute_path_and_write_flags(stream, spawn, tmp_path):
    stream.drain()
    code = (
        "import os, sys\n"
        f"os.chdir({str(tmp_path)!r})\n"
        "fd = os.open('written.txt', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)\n"
        "print(fd, flush=True)\n"
        "sys.stdin.readline()\n"  # stay alive so the relative path resolves against our cwd
    )
    child = spawn(code, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fd = int(child.stdout.readline())
    target = str(tmp_path / "written.txt")
    seen = wait_for(stream, lambda e: e.type == "openat" and e.pid == child.pid and e.args.get("name") == target)
    event = next(e for e in seen if e.pid == child.pid and e.args.get("name") == target)
    assert event.args["name_raw"] == "written.txt" and event.args["resolved"] is True
    assert event.args["flags_str"] == "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"  # Python adds O_CLOEXEC
    assert event.args["is_write"] is True
    assert event.args["mode_str"] == "0640"
    assert event.args["dirfd"] == -100
    assert event.ret == fd == event.args["fd"]
    assert event.ppid == os.getpid()


def test_unlink_and_rename_arrive_with_their_paths(stream, tmp_path):
    stream.drain()
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("x")
    os.rename(old, new)  # from a child: syswatch's own pid is filtered in the kernel
    subprocess.run(["/bin/mv", str(new), str(old)], check=True)
    subprocess.run(["/bin/rm", str(old)], check=True)
    subprocess.run([sys.executable, "-c", f"import os; os.unlink({str(tmp_path / 'nope')!r})"])
    seen = wait_for(stream, lambda e: e.type == "unlink" and e.args.get("path") == str(tmp_path / "nope"))
    renames = [e for e in seen if e.type.startswith("rename") and e.args.get("oldpath") == str(new)]
    assert renames and renames[0].args["newpath"] == str(old) and renames[0].ret == 0
    unlinks = [e for e in seen if e.type == "unlinkat" and e.args.get("name") == str(old)]
    assert unlinks and unlinks[0].ret == 0 and unlinks[0].comm == "rm"
    failed = next(e for e in seen if e.type == "unlink" and e.args.get("path") == str(tmp_path / "nope"))
    assert failed.ret == -2
    assert not any(e.pid == os.getpid() for e in seen)


def test_connect_dup_memfd_setuid_chmod_are_decoded(stream, tmp_path):
    stream.drain()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    target = tmp_path / "mode.txt"
    target.write_text("")
    code = (
        "import os, socket\n"
        f"socket.create_connection(('127.0.0.1', {port})).close()\n"
        "os.dup2(1, 57)\n"
        "os.memfd_create('syswatch-memfd')\n"
        f"os.chmod({str(target)!r}, 0o751)\n"
        "os.setgid(os.getgid()); os.setuid(os.getuid())\n"
    )
    child = subprocess.run([sys.executable, "-c", code], check=True)
    assert child.returncode == 0
    server.close()
    seen = wait_for(stream, lambda e: e.type == "setuid" and e.args.get("uid") == os.getuid())
    connect = next(e for e in seen if e.type == "connect" and e.args.get("port") == port)
    assert connect.args["addr"] == f"127.0.0.1:{port}" and connect.args["family"] == "AF_INET"
    assert any(e.type in ("dup2", "dup3") and e.args["newfd"] == 57 and e.ret == 57 for e in seen)
    memfd = next(e for e in seen if e.type == "memfd_create")
    assert memfd.args["name"] == "syswatch-memfd" and memfd.ret >= 0
    chmod = next(e for e in seen if e.type in ("chmod", "fchmodat") and e.args.get("filename") == str(target))
    assert chmod.args["mode_str"] == "0751"
    assert any(e.type == "setgid" for e in seen)


def test_flooded_buffer_counts_lost_events(spawn):
    require_ebpf()
    # 1 page of ring buffer, drained only once a second: a burst of opens cannot fit
    probe = EventStream(ring_pages=1, poll_interval=1.0)
    probe.start(background=False)
    try:
        assert probe.state == "on", probe.reason
        code = "import os\nfor _ in range(20000):\n    os.close(os.open('/dev/null', os.O_RDONLY))\n"
        subprocess.run([sys.executable, "-c", code], check=True)
        stats = probe.stats()
        assert stats.output_failed > 1000
        assert probe.status().lost_events >= stats.output_failed
    finally:
        probe.close()


def test_perf_buffer_fallback_delivers_events():
    require_ebpf()
    probe = EventStream(use_ringbuf=False)
    probe.start(background=False)
    try:
        assert probe.state == "on", probe.reason
        subprocess.run(["/bin/echo", "syswatch-perf"], capture_output=True, check=True)
        wait_for(probe, lambda e: e.type == "execve" and e.args.get("argv") == ("/bin/echo", "syswatch-perf"))
        assert probe.stats().lost == 0
    finally:
        probe.close()


def test_fork_exit_and_exec_from_a_thread(stream):
    """The exec of a non-leader thread reaches us through sched_process_exec's old_pid."""
    stream.drain()
    code = (
        "import os, threading\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(3)\n"
        "os.waitpid(pid, 0)\n"
        "print(pid, flush=True)\n"
        "threading.Thread(target=os.execv, args=('/bin/echo', ['/bin/echo', 'from-a-thread'])).start()\n"
        "threading.Event().wait(10)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    assert child.stdout.read().strip() == "from-a-thread"
    child.wait()
    seen = wait_for(stream, lambda e: e.type == "execve" and e.args.get("argv") == ("/bin/echo", "from-a-thread"))
    clone = next(e for e in seen if e.type == "clone" and e.ret == grandchild)
    assert clone.pid == child.pid and clone.args["child_tid"] == grandchild
    exited = next(e for e in seen if e.type == "procexit" and e.pid == grandchild)
    assert exited.ppid == child.pid
    execve = next(e for e in seen if e.type == "execve" and e.args.get("argv") == ("/bin/echo", "from-a-thread"))
    assert execve.pid == execve.tid == child.pid and execve.ret == 0 and execve.comm == "echo"


def test_ptrace_openat2_symlink_rmdir_fchmod_setresuid(stream, tmp_path):
    stream.drain()
    code = (
        "import ctypes, os, struct\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.ptrace(0, 0, 0, 0)\n"  # PTRACE_TRACEME
        f"base = {str(tmp_path)!r}\n"
        "how = ctypes.create_string_buffer(struct.pack('QQQ', os.O_RDONLY, 0, 0))\n"
        "fd = libc.syscall(437, -100, (base + '/t').encode(), how, 24)\n"  # openat2: ENOENT
        "os.symlink('/etc/hostname', base + '/link')\n"
        "os.mkdir(base + '/d'); os.rmdir(base + '/d')\n"
        "fd = os.open(base + '/link', os.O_RDONLY)\n"
        "os.fchmod(os.open(base + '/m', os.O_CREAT | os.O_WRONLY, 0o600), 0o604)\n"
        "os.setresuid(-1, -1, -1)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], check=True)
    assert child.returncode == 0
    seen = wait_for(stream, lambda e: e.type == "setresuid")
    ptrace = next(e for e in seen if e.type == "ptrace")
    assert ptrace.args["request_str"] == "PTRACE_TRACEME" and ptrace.ret == 0
    openat2 = next(e for e in seen if e.type == "openat2")
    assert openat2.args["name"] == str(tmp_path / "t") and openat2.args["flags_str"] == "O_RDONLY"
    assert openat2.ret == -2
    link = next(e for e in seen if e.type in ("symlink", "symlinkat"))
    assert link.args["target"] == "/etc/hostname" and link.args["linkpath"] == str(tmp_path / "link")
    assert any(e.type in ("rmdir", "unlinkat") and str(tmp_path / "d") in e.args.values() for e in seen)
    fchmod = next(e for e in seen if e.type == "fchmod")
    assert fchmod.args["mode_str"] == "0604" and fchmod.ret == 0
    setresuid = next(e for e in seen if e.type == "setresuid")
    assert setresuid.args["ruid"] == setresuid.args["euid"] == 0xFFFFFFFF  # -1: leave unchanged


def test_monitors_polling_reads_are_skipped_and_counted_but_environ_and_writes_arrive(stream, tmp_path):
    # What htop does each refresh (read-only opens of /proc status files, by path and relative to
    # a /proc/PID dirfd, and of /sys) is left out in the kernel and counted; a read of another
    # process's environ, and a write to a file that happens to be named "status", still arrive.
    stream.drain()
    before = stream.stats().polling_skipped
    status_file = tmp_path / "status"
    code = (
        "import os, sys\n"
        "for path in ('/proc/self/stat', '/proc/self/status', '/proc/meminfo', '/sys/kernel/uevent_seqnum'):\n"
        "    os.close(os.open(path, os.O_RDONLY))\n"
        "d = os.open('/proc/self', os.O_RDONLY | os.O_DIRECTORY)\n"
        "os.close(os.open('maps', os.O_RDONLY, dir_fd=d))\n"
        "os.close(os.open('cmdline', os.O_RDONLY, dir_fd=d))\n"
        "os.close(os.open(f'/proc/{os.getppid()}/environ', os.O_RDONLY))\n"
        f"os.close(os.open({str(status_file)!r}, os.O_WRONLY | os.O_CREAT, 0o600))\n"
    )
    child = subprocess.run([sys.executable, "-c", code], check=True)
    assert child.returncode == 0
    seen = wait_for(stream, lambda e: e.type == "openat" and e.args.get("name") == str(status_file))
    mine = [e for e in seen if e.type in ("open", "openat") and e.comm.startswith("python")]
    names = {e.args.get("name") for e in mine}
    assert f"/proc/{os.getpid()}/environ" in names
    assert not names & {"/proc/self/stat", "/proc/self/status", "/proc/meminfo", "/sys/kernel/osrelease"}
    assert not any(str(e.args.get("name", "")).endswith(("/cmdline", "/maps", "/proc/self")) for e in mine)
    assert stream.stats().polling_skipped >= before + 7
