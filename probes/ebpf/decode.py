"""Turn raw syscall arguments into what a person (and a Falco rule) reads: flag names, modes,
addresses, and paths made absolute against the process's cwd or dirfd."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct

AT_FDCWD = -100

# Single-bit open flags by name (Linux values via the os module); O_SYNC and O_TMPFILE are
# composites that include O_DSYNC and O_DIRECTORY, so they are matched first.
_OPEN_COMPOSITE = [("O_SYNC", os.O_SYNC), ("O_TMPFILE", getattr(os, "O_TMPFILE", 0o20200000))]
_OPEN_BITS = [
    (name, getattr(os, name))
    for name in (
        "O_CREAT",
        "O_EXCL",
        "O_NOCTTY",
        "O_TRUNC",
        "O_APPEND",
        "O_NONBLOCK",
        "O_DSYNC",
        "O_ASYNC",
        "O_DIRECT",
        "O_LARGEFILE",
        "O_DIRECTORY",
        "O_NOFOLLOW",
        "O_NOATIME",
        "O_CLOEXEC",
        "O_PATH",
    )
    if hasattr(os, name)
]
_ACCESS = {os.O_RDONLY: "O_RDONLY", os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}


def open_flags(flags: int) -> str:
    """'O_WRONLY|O_CREAT|O_TRUNC' for 0o1101."""
    names = [_ACCESS.get(flags & os.O_ACCMODE, "O_ACCMODE")]
    rest = flags & ~os.O_ACCMODE
    for name, value in _OPEN_COMPOSITE + _OPEN_BITS:
        if value and rest & value == value:
            names.append(name)
            rest &= ~value
    if rest:
        names.append(hex(rest))
    return "|".join(names)


def is_open_write(flags: int) -> bool:
    return flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR) or bool(flags & (os.O_CREAT | os.O_TRUNC))


MFD_FLAGS = [
    ("MFD_CLOEXEC", 1),
    ("MFD_ALLOW_SEALING", 2),
    ("MFD_HUGETLB", 4),
    ("MFD_NOEXEC_SEAL", 8),
    ("MFD_EXEC", 16),
]


def bit_names(value: int, table: list[tuple[str, int]]) -> str:
    names = [name for name, bit in table if value & bit]
    rest = value & ~sum(bit for _, bit in table)
    return "|".join(names + ([hex(rest)] if rest else [])) or "0"


PTRACE_REQUESTS = {
    0: "PTRACE_TRACEME",
    1: "PTRACE_PEEKTEXT",
    2: "PTRACE_PEEKDATA",
    3: "PTRACE_PEEKUSR",
    4: "PTRACE_POKETEXT",
    5: "PTRACE_POKEDATA",
    6: "PTRACE_POKEUSR",
    7: "PTRACE_CONT",
    8: "PTRACE_KILL",
    9: "PTRACE_SINGLESTEP",
    12: "PTRACE_GETREGS",
    13: "PTRACE_SETREGS",
    14: "PTRACE_GETFPREGS",
    15: "PTRACE_SETFPREGS",
    16: "PTRACE_ATTACH",
    17: "PTRACE_DETACH",
    24: "PTRACE_SYSCALL",
    0x4200: "PTRACE_SETOPTIONS",
    0x4201: "PTRACE_GETEVENTMSG",
    0x4202: "PTRACE_GETSIGINFO",
    0x4203: "PTRACE_SETSIGINFO",
    0x4204: "PTRACE_GETREGSET",
    0x4205: "PTRACE_SETREGSET",
    0x4206: "PTRACE_SEIZE",
    0x4207: "PTRACE_INTERRUPT",
    0x4208: "PTRACE_LISTEN",
}


def sockaddr(raw: bytes) -> dict[str, object]:
    """Decode a struct sockaddr: family, and addr as 'ip:port', '[ip6]:port' or a unix path."""
    if len(raw) < 2:
        return {"family": "AF_UNSPEC", "addr": ""}
    family = struct.unpack_from("<H", raw)[0]
    if family == socket.AF_INET and len(raw) >= 8:
        port = struct.unpack_from(">H", raw, 2)[0]
        ip = str(ipaddress.IPv4Address(raw[4:8]))
        return {"family": "AF_INET", "ip": ip, "port": port, "addr": f"{ip}:{port}"}
    if family == socket.AF_INET6 and len(raw) >= 24:
        port = struct.unpack_from(">H", raw, 2)[0]
        ip = str(ipaddress.IPv6Address(raw[8:24]))
        return {"family": "AF_INET6", "ip": ip, "port": port, "addr": f"[{ip}]:{port}"}
    if family == socket.AF_UNIX:
        path = raw[2:]
        if path[:1] == b"\0":  # abstract socket: shown with a leading @ like ss and lsof do
            return {"family": "AF_UNIX", "addr": "@" + path[1:].split(b"\0", 1)[0].decode(errors="replace")}
        return {"family": "AF_UNIX", "addr": path.split(b"\0", 1)[0].decode(errors="replace")}
    return {"family": str(family), "addr": ""}


def _readlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:  # the process or fd is gone, or not ours to read
        return None


def resolve_path(pid: int, dirfd: int, path: str, proc_root: str = "/proc") -> tuple[str, bool]:
    """`path` made absolute against the process's cwd (AT_FDCWD) or its open `dirfd`.

    Best effort: read after the fact from /proc, so a process that exited or changed directory
    since can't be resolved; then the raw path comes back with False.
    """
    if path.startswith("/"):
        return path, True
    if not path:
        return path, False
    base = _readlink(f"{proc_root}/{pid}/cwd" if dirfd == AT_FDCWD else f"{proc_root}/{pid}/fd/{dirfd}")
    if base is None or not base.startswith("/"):
        return path, False
    return os.path.normpath(os.path.join(base, path)), True
