"""Decoding raw syscall arguments: flags, sockaddrs, paths against a real cwd and dirfd."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys

from syswatch.probes.ebpf import combined_status
from syswatch.probes.ebpf.decode import (
    AT_FDCWD,
    MFD_FLAGS,
    bit_names,
    is_open_write,
    open_flags,
    resolve_path,
    sockaddr,
)

from syswatch.model import EbpfStatus


def test_open_flags_names():
    assert open_flags(os.O_RDONLY) == "O_RDONLY"
    assert open_flags(os.O_WRONLY | os.O_CREAT | os.O_TRUNC) == "O_WRONLY|O_CREAT|O_TRUNC"
    assert open_flags(os.O_RDWR | os.O_SYNC) == "O_RDWR|O_SYNC"  # O_SYNC includes O_DSYNC: one name
    assert open_flags(os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) == "O_RDONLY|O_DIRECTORY|O_CLOEXEC"
    assert open_flags(os.O_WRONLY | 0x80000000) == "O_WRONLY|0x80000000"
    assert is_open_write(os.O_WRONLY) and is_open_write(os.O_RDONLY | os.O_TRUNC)
    assert not is_open_write(os.O_RDONLY | os.O_CLOEXEC)
    assert bit_names(3, MFD_FLAGS) == "MFD_CLOEXEC|MFD_ALLOW_SEALING"


def test_sockaddr_families():
    ipv4 = struct.pack("<H", socket.AF_INET) + struct.pack(">H", 443) + socket.inet_aton("10.1.2.3") + bytes(8)
    assert sockaddr(ipv4) == {"family": "AF_INET", "ip": "10.1.2.3", "port": 443, "addr": "10.1.2.3:443"}
    ipv6 = struct.pack("<H", socket.AF_INET6) + struct.pack(">H", 53) + bytes(4)
    ipv6 += socket.inet_pton(socket.AF_INET6, "2001:db8::1") + bytes(4)
    assert sockaddr(ipv6)["addr"] == "[2001:db8::1]:53"
    unix = struct.pack("<H", socket.AF_UNIX) + b"/run/docker.sock\0"
    assert sockaddr(unix) == {"family": "AF_UNIX", "addr": "/run/docker.sock"}
    abstract = struct.pack("<H", socket.AF_UNIX) + b"\0hidden"
    assert sockaddr(abstract)["addr"] == "@hidden"
    assert sockaddr(b"")["family"] == "AF_UNSPEC"


def test_resolve_relative_paths_against_a_real_cwd_and_dirfd(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], cwd=tmp_path, stdin=subprocess.PIPE
    )
    try:
        assert resolve_path(child.pid, AT_FDCWD, "a/../b.txt") == (str(tmp_path / "b.txt"), True)
    finally:
        child.communicate()
    assert resolve_path(child.pid, AT_FDCWD, "b.txt") == ("b.txt", False)  # gone: unresolved
    dirfd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert resolve_path(os.getpid(), dirfd, "x") == (str(tmp_path / "x"), True)
    finally:
        os.close(dirfd)
    assert resolve_path(os.getpid(), 12345, "x") == ("x", False)  # no such fd
    assert resolve_path(1, AT_FDCWD, "/etc/passwd") == ("/etc/passwd", True)


def test_combined_status():
    on = EbpfStatus("on", map_full=2)
    assert combined_status(EbpfStatus("off", "no bcc"), on) == EbpfStatus("off", "no bcc")
    merged = combined_status(on, EbpfStatus("on", lost_events=7, events_per_second=3.0))
    assert (merged.state, merged.lost_events, merged.map_full, merged.events_per_second) == ("on", 7, 2, 3.0)
    assert combined_status(on, EbpfStatus("off", "x")).reason == "event stream off: x"
    assert combined_status(on, EbpfStatus("loading")).reason == "event stream loading"
