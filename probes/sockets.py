"""Socket inodes resolved to protocol, endpoints and state, from a process's own network namespace.

`/proc/PID/net/*` shows the tables of PID's network namespace (a container's sockets are not in
the host's /proc/net/tcp). Each table is parsed once per `SocketTables` and indexed by inode, so
resolving 20,000 socket fds costs one pass over each table, not one per fd.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import threading
from dataclasses import dataclass

from .procfs import read_bytes

# include/net/tcp_states.h
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
}
# Datagram and raw sockets reuse the numbers: 7 is "not connected", 1 "connected" (ss prints UNCONN/ESTAB).
DGRAM_STATES = {1: "ESTABLISHED", 7: "UNCONN"}
UNIX_TYPES = {1: "STREAM", 2: "DGRAM", 5: "SEQPACKET"}
UNIX_STATES = {0: "FREE", 1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}
UNIX_LISTENING = 0x10000  # __SO_ACCEPTCON in the Flags column
INET_TABLES = ("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6")
NETLINK_FAMILIES = {
    0: "ROUTE", 2: "USERSOCK", 4: "SOCK_DIAG", 6: "XFRM", 7: "SELINUX", 9: "AUDIT",
    10: "FIB_LOOKUP", 11: "CONNECTOR", 12: "NETFILTER", 15: "KOBJECT_UEVENT", 16: "GENERIC",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SocketInfo:
    """One socket as its namespace's tables describe it."""

    protocol: str  # tcp tcp6 udp udp6 udplite raw raw6 unix netlink packet, or the kernel's name
    inode: int
    local: str = ""  # "127.0.0.1:8080", "[::1]:53", a unix path, "" when unbound
    remote: str = ""  # "*:*" when not connected
    state: str | None = None  # LISTEN, ESTABLISHED, UNCONN, CONNECTED, ...
    local_port: int | None = None
    remote_port: int | None = None
    socket_type: str | None = None  # unix: STREAM DGRAM SEQPACKET
    peer_inode: int | None = None  # unix: the inode of the connected socket at the other end
    tx_queue: int | None = None
    rx_queue: int | None = None

    @property
    def summary(self) -> str:
        """One line as lsof would put it: `TCP 127.0.0.1:80->10.0.0.2:5000 (ESTABLISHED)`."""
        label = self.protocol.upper() + (f" {self.socket_type}" if self.socket_type else "")
        ends = self.local or "(unbound)"
        if self.remote and self.remote != "*:*":
            ends += f"->{self.remote}"
        elif self.peer_inode:
            ends += f"->socket:[{self.peer_inode}]"
        return f"{label} {ends}" + (f" ({self.state})" if self.state else "")


def _ipv4(hex_addr: str) -> str:
    return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hex_addr, 16)))


def _ipv6(hex_addr: str) -> str:
    # Four 32-bit words, each printed in host (little-endian) byte order.
    words = [int(hex_addr[i : i + 8], 16) for i in range(0, 32, 8)]
    return socket.inet_ntop(socket.AF_INET6, struct.pack("<4I", *words))


def _endpoint(field: str, six: bool) -> tuple[str, int]:
    address, _, port_hex = field.partition(":")
    port = int(port_hex, 16)
    host = _ipv6(address) if six else _ipv4(address)
    if host in ("0.0.0.0", "::") and port == 0:
        return "*:*", 0
    if host in ("0.0.0.0", "::"):
        host = "*"
    elif six:
        host = f"[{host}]"
    return f"{host}:{port if port else '*'}", port


def parse_inet_table(data: bytes, protocol: str) -> dict[int, SocketInfo]:
    """Parse /proc/net/{tcp,udp,raw,...}[6]: `sl local rem st tx:rx tr tm retr uid timeout inode ...`."""
    six = protocol.endswith("6")
    states = TCP_STATES if protocol.startswith("tcp") else DGRAM_STATES
    found: dict[int, SocketInfo] = {}
    for line in data.decode("ascii", "replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        inode = int(fields[9])
        if inode == 0:  # TIME_WAIT and other orphaned sockets belong to no fd
            continue
        local, local_port = _endpoint(fields[1], six)
        remote, remote_port = _endpoint(fields[2], six)
        tx_hex, _, rx_hex = fields[4].partition(":")
        state_nr = int(fields[3], 16)
        found[inode] = SocketInfo(
            protocol=protocol,
            inode=inode,
            local=local,
            remote=remote,
            state=states.get(state_nr, f"state {state_nr}"),
            local_port=local_port,
            remote_port=remote_port,
            tx_queue=int(tx_hex, 16),
            rx_queue=int(rx_hex, 16),
        )
    return found


def parse_unix_table(data: bytes, peers: dict[int, int] | None = None) -> dict[int, SocketInfo]:
    """Parse /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`; '@' marks abstract names.
    peers: inode -> peer inode (from sock_diag), which the table itself does not show."""
    peers = peers or {}
    found: dict[int, SocketInfo] = {}
    for line in data.decode("utf-8", "replace").splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) < 7:
            continue
        inode = int(fields[6])
        flags = int(fields[3], 16)
        state = "LISTEN" if flags & UNIX_LISTENING else UNIX_STATES.get(int(fields[5], 16), fields[5])
        found[inode] = SocketInfo(
            protocol="unix",
            inode=inode,
            local=fields[7] if len(fields) > 7 else "",
            state=state,
            socket_type=UNIX_TYPES.get(int(fields[4], 16), fields[4]),
            peer_inode=peers.get(inode),
        )
    return found


def parse_netlink_table(data: bytes) -> dict[int, SocketInfo]:
    """Parse /proc/net/netlink: `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`."""
    found: dict[int, SocketInfo] = {}
    for line in data.decode("ascii", "replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        family = int(fields[1])
        found[int(fields[9])] = SocketInfo(
            protocol="netlink",
            inode=int(fields[9]),
            local=f"{NETLINK_FAMILIES.get(family, family)} portid {fields[2]}",
        )
    return found


def parse_packet_table(data: bytes) -> dict[int, SocketInfo]:
    """Parse /proc/net/packet: `sk RefCnt Type Proto Iface R Rmem User Inode`."""
    found: dict[int, SocketInfo] = {}
    for line in data.decode("ascii", "replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 9:
            continue
        found[int(fields[8])] = SocketInfo(
            protocol="packet", inode=int(fields[8]), local=f"proto 0x{fields[3]} ifindex {fields[4]}"
        )
    return found


# sock_diag (linux/sock_diag.h, linux/unix_diag.h): the kernel's answer to "who is the peer of
# this unix socket", which /proc/net/unix does not say. `ss -x` asks the same way.
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_DUMP_REQUEST = 0x1 | 0x300  # NLM_F_REQUEST | NLM_F_DUMP
NLMSG_ERROR, NLMSG_DONE = 2, 3
UDIAG_SHOW_PEER = 0x4
UNIX_DIAG_PEER = 2
CLONE_NEWNET = 0x40000000


def _sock_diag_socket(netns: str | None) -> socket.socket:
    """A sock_diag socket in the network namespace at path `netns` (None: ours). setns() moves
    only the calling thread, so a short-lived thread enters the namespace to open the socket,
    which stays in that namespace after the thread is gone."""
    if netns is None:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    made: list[socket.socket | OSError] = []

    def enter_and_open() -> None:
        try:
            fd = os.open(netns, os.O_RDONLY)
            try:
                if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, os.strerror(error))
                made.append(socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG))
            finally:
                os.close(fd)
        except OSError as error:
            made.append(error)

    thread = threading.Thread(target=enter_and_open, name="syswatch-netns")
    thread.start()
    thread.join()
    if isinstance(made[0], OSError):
        raise made[0]
    return made[0]


def unix_peers(netns: str | None = None) -> dict[int, int]:
    """Every unix socket's peer inode, by inode, in a network namespace. Raises OSError."""
    with _sock_diag_socket(netns) as diag:
        # struct unix_diag_req: family, protocol, pad, states (all), ino, show, cookie[2]
        request = struct.pack("=BBHIII2I", socket.AF_UNIX, 0, 0, 0xFFFFFFFF, 0, UDIAG_SHOW_PEER, 0, 0)
        diag.sendall(struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_DUMP_REQUEST, 1, 0) + request)
        peers: dict[int, int] = {}
        while True:
            data = diag.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == NLMSG_DONE:
                    return peers
                if kind == NLMSG_ERROR:
                    error = -struct.unpack_from("=i", data, offset + 16)[0]
                    raise OSError(error, os.strerror(error))
                inode = struct.unpack_from("=I", data, offset + 20)[0]  # unix_diag_msg.udiag_ino
                attribute, end = offset + 32, offset + length  # after nlmsghdr (16) and unix_diag_msg (16)
                while attribute + 4 <= end:
                    attr_length, attr_type = struct.unpack_from("=HH", data, attribute)
                    if attr_length < 4:
                        break
                    if attr_type == UNIX_DIAG_PEER:
                        peers[inode] = struct.unpack_from("=I", data, attribute + 4)[0]
                    attribute += (attr_length + 3) & ~3
                offset += (length + 3) & ~3
            if not data:
                return peers


class SocketTables:
    """The socket tables of one network namespace, read lazily and at most once each.

    Build one per refresh (sockets come and go); `lookup` parses the tables on first use.
    """

    def __init__(self, pid: int | str, proc_root: str = "/proc") -> None:
        self._net = f"{proc_root}/{pid}/net"
        self._netns = f"{proc_root}/{pid}/ns/net"
        self._by_inode: dict[int, SocketInfo] | None = None
        self.unreadable: list[str] = []  # tables that could not be read (namespace gone, EACCES)

    def _load(self) -> dict[int, SocketInfo]:
        index: dict[int, SocketInfo] = {}
        tables = [(name, lambda data, name=name: parse_inet_table(data, name)) for name in INET_TABLES]
        tables += [
            ("unix", lambda data: parse_unix_table(data, self._unix_peers())),
            ("netlink", parse_netlink_table),
            ("packet", parse_packet_table),
        ]
        for name, parse in tables:
            data = read_bytes(f"{self._net}/{name}")
            if data is None:
                if os.path.exists("/proc/net/" + name):  # absent tables (no IPv6) are not errors
                    self.unreadable.append(name)
                continue
            index.update(parse(data))
        return index

    def _unix_peers(self) -> dict[int, int]:
        try:
            ours = os.stat("/proc/self/ns/net").st_ino == os.stat(self._netns).st_ino
            return unix_peers(None if ours else self._netns)
        except OSError:
            self.unreadable.append("unix peers (sock_diag)")
            return {}

    def lookup(self, inode: int) -> SocketInfo | None:
        if self._by_inode is None:
            self._by_inode = self._load()
        return self._by_inode.get(inode)


def protocol_of_fd(fd_path: str) -> str | None:
    """The kernel's name for a socket's protocol (TCP, UNIX, NETLINK, VSOCK, ...), for sockets
    that are in no table (AF_ALG, vsock, bluetooth, ...). The same xattr lsof relies on."""
    try:
        return os.getxattr(fd_path, "system.sockprotoname").rstrip(b"\0").decode("ascii", "replace")
    except OSError:
        return None
