"""Sockets are resolved from the process's own network namespace, for IPv4, IPv6, UDP and unix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import require
from syswatch.probes.fds import FdKind, PeerIndex, read_fds
from syswatch.probes.procfs import read_bytes
from syswatch.probes.sockets import SocketTables, parse_inet_table

LISTEN_AND_REPORT = r"""
import socket, sys
four = socket.socket()
four.bind(("127.0.0.1", 0))
four.listen()
six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
six.bind(("::1", 0))
six.listen()
named = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
named.bind(sys.argv[1])
print(four.fileno(), four.getsockname()[1], six.fileno(), six.getsockname()[1], named.fileno(), flush=True)
sys.stdin.read()
"""


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_listener_in_its_own_network_namespace(tmp_path):
    require(os.geteuid() == 0 and shutil.which("unshare") is not None, "needs root and unshare(1)")
    path = str(tmp_path / "named.sock")
    # The child brings up lo in its new namespace so ::1 exists there.
    child = _start(["unshare", "-n", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$0" -c "$1" "$2"',
                    sys.executable, LISTEN_AND_REPORT, path])  # fmt: skip
    try:
        line = child.stdout.readline().split()
        require(bool(line), "the child could not listen in a new network namespace (no ip(8)?)")
        four_fd, four_port, six_fd, six_port, named_fd = (int(v) for v in line)
        by_fd = {info.fd: info for info in read_fds(child.pid).fds}
        assert by_fd[four_fd].socket.summary == f"TCP 127.0.0.1:{four_port} (LISTEN)"
        assert by_fd[six_fd].socket.protocol == "tcp6"
        assert by_fd[six_fd].socket.local == f"[::1]:{six_port}"
        named = by_fd[named_fd].socket
        assert (named.protocol, named.local, named.socket_type) == ("unix", path, "DGRAM")
        # The host's own table does not have the namespaced listener: resolving from /proc/net
        # (the way a naive reader would) would have found nothing.
        host = parse_inet_table(read_bytes("/proc/net/tcp") or b"", "tcp")
        assert by_fd[four_fd].inode not in host
    finally:
        child.stdin.close()
        child.wait(timeout=10)


def test_tables_are_parsed_once_and_indexed_by_inode(spawn):
    # An abstract unix name this time (spawn() passes no argv).
    code = LISTEN_AND_REPORT.replace("named.bind(sys.argv[1])", "named.bind('\\0syswatch-test')")
    child = spawn(code, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    four_fd, four_port, _, _, named_fd = (int(v) for v in child.stdout.readline().split())
    tables = SocketTables(child.pid)
    inode = int(os.readlink(f"/proc/{child.pid}/fd/{four_fd}")[8:-1])
    assert tables.lookup(inode).local_port == four_port
    named_inode = int(os.readlink(f"/proc/{child.pid}/fd/{named_fd}")[8:-1])
    assert tables.lookup(named_inode).local == "@syswatch-test"  # abstract names start with '@'
    assert tables.lookup(1) is None and tables.unreadable == []


def test_socket_without_a_table_named_by_the_kernel(spawn):
    # vsock sockets appear in no /proc/net table; the kernel still names their protocol.
    child = spawn(
        "import socket, sys\n"
        "try:\n    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)\n"
        "except OSError:\n    print(-1, flush=True); sys.exit()\n"
        "print(s.fileno(), flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    fd = int(child.stdout.readline())
    require(fd >= 0, "AF_VSOCK sockets are not available in this kernel")
    info = {info.fd: info for info in read_fds(child.pid).fds}[fd]
    assert info.kind is FdKind.SOCKET and info.socket.protocol == "af_vsock"


def test_unix_connection_to_another_process_is_paired(spawn, tmp_path):
    path = str(tmp_path / "server.sock")
    server = spawn(
        "import socket, sys\n"
        f"s = socket.socket(socket.AF_UNIX); s.bind({path!r}); s.listen()\n"
        "print('listening', flush=True)\n"
        "conn, _ = s.accept()\n"
        "print(s.fileno(), conn.fileno(), flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()
    client = spawn(
        "import socket, sys\n"
        f"c = socket.socket(socket.AF_UNIX); c.connect({path!r})\n"
        "print(c.fileno(), flush=True)\nsys.stdin.read()",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    client_fd = int(client.stdout.readline())
    listen_fd, conn_fd = (int(v) for v in server.stdout.readline().split())
    by_fd = {info.fd: info for info in read_fds(server.pid, peers=PeerIndex()).fds}
    assert by_fd[listen_fd].socket.state == "LISTEN" and by_fd[listen_fd].socket.local == path
    accepted = by_fd[conn_fd]
    assert accepted.socket.local == path and accepted.socket.state == "CONNECTED"
    assert [(p.pid, p.fd) for p in accepted.peers] == [(client.pid, client_fd)]
    assert accepted.socket.summary.endswith(f"->socket:[{accepted.socket.peer_inode}] (CONNECTED)")
