"""The FDs section on real processes: every kind of fd a child opens shows with the right kind,
target, flags, position and endpoints."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from syswatch.probes.fds import (
    DETAIL_LIMIT,
    FdKind,
    PeerIndex,
    decode_open_flags,
    fill_details,
    pair_peers,
    read_fds,
)

# The child opens one fd of each kind, reports their numbers as JSON, then waits to be inspected.
HOLDER = r"""
import ctypes, json, os, select, signal, socket, subprocess, sys
tmp = sys.argv[1]
with open(os.path.join(tmp, "known.txt"), "w") as f:
    f.write("hello inspector\n")
known = os.open(os.path.join(tmp, "known.txt"), os.O_RDONLY)
os.lseek(known, 6, os.SEEK_SET)
appending = os.open(os.path.join(tmp, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
gone = os.open(os.path.join(tmp, "gone.txt"), os.O_RDWR | os.O_CREAT, 0o600)
os.unlink(os.path.join(tmp, "gone.txt"))
directory = os.open(tmp, os.O_RDONLY)  # no O_DIRECTORY: only stat can tell it is a directory
null = os.open("/dev/null", os.O_WRONLY | os.O_NONBLOCK)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
client = socket.create_connection(listener.getsockname())
accepted, _ = listener.accept()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
left, right = socket.socketpair()
reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
memfd = os.memfd_create("syswatch-test")
eventfd = os.eventfd(7)
epoll = select.epoll()
epoll.register(eventfd, select.EPOLLIN)
libc = ctypes.CDLL(None, use_errno=True)
timerfd = libc.timerfd_create(1, 0)  # CLOCK_MONOTONIC
mask = (ctypes.c_uint64 * 16)(1 << (signal.SIGUSR1 - 1) | 1 << (signal.SIGTERM - 1))
signalfd = libc.signalfd(-1, mask, 0)
inotify = libc.inotify_init1(0)
libc.inotify_add_watch(inotify, tmp.encode(), 0x100)  # IN_CREATE
pidfd = os.pidfd_open(reader.pid)
print(json.dumps({
    "known": known, "appending": appending, "gone": gone, "dir": directory, "null": null,
    "listener": listener.fileno(), "client": client.fileno(), "accepted": accepted.fileno(),
    "port": listener.getsockname()[1], "client_port": client.getsockname()[1],
    "udp": udp.fileno(), "udp_port": udp.getsockname()[1], "left": left.fileno(), "right": right.fileno(),
    "pipe": reader.stdin.fileno(), "reader": reader.pid, "memfd": memfd, "eventfd": eventfd,
    "epoll": epoll.fileno(), "timerfd": timerfd, "signalfd": signalfd, "inotify": inotify, "pidfd": pidfd,
}), flush=True)
sys.stdin.read()
reader.kill()
"""


@pytest.fixture
def holder(tmp_path):
    child = subprocess.Popen(
        [os.sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    fds = json.loads(child.stdout.readline())
    yield child, fds, tmp_path
    child.stdin.close()
    child.wait(timeout=10)


def test_every_kind_with_target_flags_and_position(holder):
    child, fds, tmp = holder
    table = read_fds(child.pid)
    by_fd = {info.fd: info for info in table.fds}
    assert table.detailed and table.kinds_exact  # few fds: every fd's fdinfo and stat were read

    known = by_fd[fds["known"]]
    assert (known.kind, known.path, known.pos, known.deleted) == (FdKind.FILE, str(tmp / "known.txt"), 6, False)
    assert known.flags_text == "O_RDONLY|O_LARGEFILE|O_CLOEXEC"  # os.open sets O_CLOEXEC itself
    assert known.size == len("hello inspector\n")

    appending = by_fd[fds["appending"]]
    assert appending.flags_text == "O_WRONLY|O_APPEND|O_LARGEFILE|O_CLOEXEC"  # the kernel drops O_CREAT
    assert appending.access == "write"

    gone = by_fd[fds["gone"]]
    assert gone.kind is FdKind.FILE and gone.deleted
    assert gone.path == str(tmp / "gone.txt") and gone.target.endswith(" (deleted)")

    assert by_fd[fds["dir"]].kind is FdKind.DIR
    null = by_fd[fds["null"]]
    assert (null.kind, null.path, null.flags_text) == (FdKind.DEVICE, "/dev/null", "O_WRONLY|O_NONBLOCK|O_LARGEFILE|O_CLOEXEC")

    memfd = by_fd[fds["memfd"]]
    assert (memfd.kind, memfd.path, memfd.deleted) == (FdKind.MEMFD, "memfd:syswatch-test", False)

    eventfd = by_fd[fds["eventfd"]]
    assert (eventfd.kind, eventfd.target, eventfd.detail) == (FdKind.EVENTFD, "anon_inode:[eventfd]", "count 7")
    epoll = by_fd[fds["epoll"]]
    assert epoll.kind is FdKind.EVENTPOLL and epoll.detail == f"watches 1 fd(s): {fds['eventfd']}"
    timerfd = by_fd[fds["timerfd"]]
    assert (timerfd.kind, timerfd.detail) == (FdKind.TIMERFD, "CLOCK_MONOTONIC, disarmed, ticks 0")
    signalfd = by_fd[fds["signalfd"]]
    assert (signalfd.kind, signalfd.detail) == (FdKind.SIGNALFD, "signals SIGUSR1,SIGTERM")
    inotify = by_fd[fds["inotify"]]
    assert (inotify.kind, inotify.target, inotify.detail) == (FdKind.INOTIFY, "anon_inode:inotify", "1 watch(es)")
    pidfd = by_fd[fds["pidfd"]]
    assert (pidfd.kind, pidfd.target, pidfd.detail) == (FdKind.ANON, "anon_inode:[pidfd]", f"pid {fds['reader']}")
    assert {info.kind for info in table.fds} == set(FdKind)  # every kind, each classified as itself


def test_tcp_udp_and_unix_sockets_resolved(holder):
    child, fds, _ = holder
    by_fd = {info.fd: info for info in read_fds(child.pid).fds}
    port, client_port = fds["port"], fds["client_port"]

    listener = by_fd[fds["listener"]].socket
    assert (listener.protocol, listener.local, listener.state) == ("tcp", f"127.0.0.1:{port}", "LISTEN")
    assert listener.remote == "*:*"
    client = by_fd[fds["client"]].socket
    assert (client.local, client.remote, client.state) == (
        f"127.0.0.1:{client_port}", f"127.0.0.1:{port}", "ESTABLISHED")  # fmt: skip
    accepted = by_fd[fds["accepted"]].socket
    assert (accepted.local, accepted.remote, accepted.state) == (
        f"127.0.0.1:{port}", f"127.0.0.1:{client_port}", "ESTABLISHED")  # fmt: skip
    assert accepted.summary == f"TCP 127.0.0.1:{port}->127.0.0.1:{client_port} (ESTABLISHED)"

    assert by_fd[fds["listener"]].peers is None  # TCP ends are shown by address, not paired
    udp = by_fd[fds["udp"]].socket
    assert (udp.protocol, udp.local, udp.state) == ("udp", f"127.0.0.1:{fds['udp_port']}", "UNCONN")

    for end, other in (("left", "right"), ("right", "left")):
        info = by_fd[fds[end]]
        assert info.kind is FdKind.SOCKET
        assert (info.socket.protocol, info.socket.socket_type, info.socket.state) == ("unix", "STREAM", "CONNECTED")
        assert info.socket.inode == info.inode and info.target == f"socket:[{info.inode}]"
        # The pair's ends know each other (sock_diag), and the holder of the other end is found.
        assert info.socket.peer_inode == by_fd[fds[other]].inode
        assert [(p.pid, p.fd, p.access) for p in info.peers] == [(child.pid, fds[other], "read-write")]


def test_pipe_paired_with_the_process_at_the_other_end(holder):
    child, fds, _ = holder
    pipe = {info.fd: info for info in read_fds(child.pid, peers=PeerIndex()).fds}[fds["pipe"]]
    assert pipe.kind is FdKind.PIPE and pipe.access == "write"
    assert [(p.pid, p.fd, p.access) for p in pipe.peers] == [(fds["reader"], 0, "read")]
    assert pipe.peers[0].comm.startswith("python")


def test_pairing_can_follow_the_first_paint(holder):
    child, fds, _ = holder
    table = read_fds(child.pid, pair=False)
    assert not table.paired and {info.fd: info for info in table.fds}[fds["pipe"]].peers is None
    paired = pair_peers(child.pid, table, PeerIndex())
    assert paired.paired
    pipe = {info.fd: info for info in paired.fds}[fds["pipe"]]
    assert [(p.pid, p.fd) for p in pipe.peers] == [(fds["reader"], 0)]
    assert pair_peers(child.pid, paired) is paired  # already paired: nothing to do


def test_one_scan_serves_the_next_process_within_ttl(holder, spawn):
    other = spawn(
        "import os, sys\nr, w = os.pipe()\nprint(r, flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    read_end = int(other.stdout.readline())
    child, fds, _ = holder
    scans = []

    class Counting(PeerIndex):
        def _scan(self, skip_pid, wanted):
            scans.append(skip_pid)
            super()._scan(skip_pid, wanted)

    index = Counting(ttl=60)
    first = {f.fd: f for f in read_fds(child.pid, peers=index).fds}
    second = {f.fd: f for f in read_fds(other.pid, peers=index).fds}
    assert scans == [None]  # small processes are scanned with everyone else, once
    assert [(p.pid, p.fd) for p in first[fds["pipe"]].peers] == [(fds["reader"], 0)]
    assert [p.pid for p in second[read_end].peers] == [other.pid]


def test_pipe_to_itself_pairs_its_own_fds(spawn):
    child = spawn(
        "import os, sys\nr, w = os.pipe()\nprint(r, w, flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    read_end, write_end = (int(n) for n in child.stdout.readline().split())
    by_fd = {info.fd: info for info in read_fds(child.pid, peers=PeerIndex()).fds}
    assert [(p.pid, p.fd, p.access) for p in by_fd[read_end].peers] == [(child.pid, write_end, "write")]
    assert [(p.pid, p.fd, p.access) for p in by_fd[write_end].peers] == [(child.pid, read_end, "read")]


def test_peers_unknown_when_the_scan_is_bounded(holder):
    child, fds, _ = holder
    table = read_fds(child.pid, peers=PeerIndex(max_links=0))
    pipe = {info.fd: info for info in table.fds}[fds["pipe"]]
    assert pipe.peers is None  # unknown, not "nobody"
    assert any("peers unknown" in note for note in table.notes)


def test_big_tables_defer_flags_to_the_rows_shown(spawn, tmp_path):
    # Above DETAIL_LIMIT fds: kinds, targets, pipe directions are still complete (a dir opened
    # without O_DIRECTORY is found by one stat per distinct path); flags/pos wait for fill_details.
    count = DETAIL_LIMIT + 100
    child = spawn(
        "import os, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({count + 100}, {count + 100}))\n"
        f"fds = [os.open('/etc/hostname', os.O_RDONLY) for _ in range({count})]\n"
        "os.lseek(fds[-1], 3, os.SEEK_SET)\n"
        f"d = os.open({str(tmp_path)!r}, os.O_RDONLY)\n"
        "r, w = os.pipe()\n"
        "print(fds[-1], d, r, w, flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    last, directory, read_end, write_end = (int(v) for v in child.stdout.readline().split())
    table = read_fds(child.pid, peers=PeerIndex())
    assert not table.detailed and table.kinds_exact
    assert any("read only for the rows shown" in note for note in table.notes)
    assert len(table.fds) >= count + 3
    assert [info.fd for info in table.fds] == sorted(info.fd for info in table.fds)
    by_fd = {info.fd: info for info in table.fds}
    assert by_fd[directory].kind is FdKind.DIR
    assert table.count_by_kind()[FdKind.FILE] >= count
    assert by_fd[last].flags is None and by_fd[last].pos is None
    assert (by_fd[read_end].access, by_fd[write_end].access) == ("read", "write")  # from the link's mode
    assert [(p.fd, p.access) for p in by_fd[read_end].peers] == [(write_end, "write")]

    filled = fill_details(child.pid, table, [last, read_end])
    rows = {info.fd: info for info in filled.fds}
    assert (rows[last].pos, rows[last].flags_text, rows[last].size) == (3, "O_RDONLY|O_LARGEFILE|O_CLOEXEC", os.path.getsize("/etc/hostname"))
    assert rows[read_end].flags_text == "O_RDONLY|O_CLOEXEC" and rows[read_end].peers == by_fd[read_end].peers
    assert rows[directory].flags is None  # only the rows asked for are read
    # Read in full (as `syswatch inspect --json` does): one stat per path stands for its fds.
    full = read_fds(child.pid, detailed=True)
    rows = {info.fd: info for info in full.fds}
    assert full.detailed and rows[directory].kind is FdKind.DIR and rows[directory].flags is not None
    assert (rows[last].pos, rows[last].size) == (3, os.path.getsize("/etc/hostname"))
    assert all(info.flags is not None for info in full.fds)


def test_decode_open_flags_names_every_bit():
    assert decode_open_flags(0o2000002) == "O_RDWR|O_CLOEXEC"
    assert decode_open_flags(os.O_WRONLY | os.O_SYNC) == "O_WRONLY|O_SYNC"  # one name, not O_DSYNC too
    assert decode_open_flags(os.O_DSYNC) == "O_RDONLY|O_DSYNC"
    assert decode_open_flags(os.O_RDWR | os.O_TMPFILE) == "O_RDWR|O_TMPFILE"
    assert decode_open_flags(0o3) == "0o3"  # access mode 3 has no name
    assert decode_open_flags(0o40000000000) == "O_RDONLY|0o40000000000"  # unknown bits are not dropped


def test_gone_process_raises(spawn):
    child = spawn("pass")
    child.wait()
    with pytest.raises(FileNotFoundError):
        read_fds(child.pid)
