"""What the inspector shows for the demo host (syswatch.demo): fixed fds, environments and
facts, so screenshots of the inspector are the same on every machine and never show this
machine's real processes. The Python API in the pod is the detailed one: a listener and a
client connection, a deleted credentials file, a memfd, and secrets in its environment.
"""

from __future__ import annotations

import os
from types import MappingProxyType

from syswatch.demo import DEMO_TIME, demo_snapshot
from syswatch.inspect import Inspection, ProcessNotFound, _notes
from syswatch.model import ProcessRecord
from syswatch.probes.environ import EnvVar
from syswatch.probes.fds import FdInfo, FdKind, FdTable, Peer
from syswatch.probes.procinfo import STATE_NAMES, CapSet, Capabilities, Ids, Limit, Namespace, ProcInfo
from syswatch.probes.sockets import SocketInfo
from syswatch.secrets import mask, mask_cmdline, secret_reason

_R, _W, _RW, _CLOEXEC = os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_CLOEXEC
_API_ENV = (
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("DB_HOST", "postgres.prod.svc.cluster.local"),
    ("DB_PASSWORD", "s3cr3t-Passw0rd"),
    ("HOME", "/home/app"),
    ("HOSTNAME", "api-7d9f"),
    ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
    ("KUBERNETES_SERVICE_PORT", "443"),
    ("LANG", "C.UTF-8"),
    ("PATH", "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("PYTHONUNBUFFERED", "1"),
    ("STRIPE_API_KEY", "sk_live_51H8xQ2eZvKYlo2C0n3fT9aBcDeF"),
)


def _api_fds() -> FdTable:
    shim = Peer(1180, "containerd-shim", 14, "read")
    fds = (
        FdInfo(0, FdKind.DEVICE, "/dev/null", "/dev/null", flags=_R, access="read", pos=0),
        FdInfo(1, FdKind.PIPE, "pipe:[48213]", flags=_W, access="write", pos=0, inode=48213, peers=(shim,)),
        FdInfo(2, FdKind.PIPE, "pipe:[48214]", flags=_W, access="write", pos=0, inode=48214,
               peers=(Peer(1180, "containerd-shim", 16, "read"),)),
        FdInfo(3, FdKind.SOCKET, "socket:[51820]", flags=_RW | _CLOEXEC, access="read-write", pos=0, inode=51820,
               socket=SocketInfo("tcp", 51820, "0.0.0.0:8080", "*:*", "LISTEN", 8080)),
        FdInfo(4, FdKind.EVENTPOLL, "anon_inode:[eventpoll]", flags=_RW | _CLOEXEC, access="read-write", pos=0,
               detail="watches 3 fd(s): 3,7,9"),
        FdInfo(5, FdKind.FILE, "/app/data/orders.sqlite", "/app/data/orders.sqlite", flags=_RW | _CLOEXEC,
               access="read-write", pos=1_126_400, size=4_194_304),
        FdInfo(6, FdKind.FILE, "/tmp/creds.json (deleted)", "/tmp/creds.json", deleted=True, flags=_R | _CLOEXEC,
               access="read", pos=0, size=412),
        FdInfo(7, FdKind.SOCKET, "socket:[51902]", flags=_RW | _CLOEXEC, access="read-write", pos=0, inode=51902,
               socket=SocketInfo("tcp", 51902, "10.244.1.7:8080", "10.244.1.1:51234", "ESTABLISHED", 8080, 51234)),
        FdInfo(8, FdKind.SOCKET, "socket:[51977]", flags=_RW | _CLOEXEC, access="read-write", pos=0, inode=51977,
               socket=SocketInfo("tcp", 51977, "10.244.1.7:40112", "10.96.14.2:5432", "ESTABLISHED", 40112, 5432)),
        FdInfo(9, FdKind.EVENTFD, "anon_inode:[eventfd]", flags=_RW | _CLOEXEC | os.O_NONBLOCK, access="read-write",
               pos=0, detail="count 0"),
        FdInfo(10, FdKind.MEMFD, "/memfd:jit-cache (deleted)", "memfd:jit-cache", flags=_RW | _CLOEXEC,
               access="read-write", pos=0, size=65536),
        FdInfo(11, FdKind.SOCKET, "socket:[52011]", flags=_RW | _CLOEXEC, access="read-write", pos=0, inode=52011,
               socket=SocketInfo("unix", 52011, "/run/app/metrics.sock", "", "LISTEN", socket_type="STREAM")),
    )
    return FdTable(fds, detailed=True, kinds_exact=True)


def _env(pairs: tuple[tuple[str, str], ...], show_secrets: bool) -> tuple[EnvVar, ...]:
    out = []
    for name, value in sorted(pairs):
        reason = secret_reason(name, value)
        hide = reason is not None and not show_secrets
        out.append(EnvVar(name, mask(value) if hide else value, reason, hide))
    return tuple(out)


def _ids(uid: int, name: str) -> Ids:
    return Ids(uid, uid, uid, uid, (name, name, name, name))


def _info(record: ProcessRecord, show_secrets: bool) -> ProcInfo:
    in_pod = record.container is not None
    caps = CapSet(0xA80425FB if in_pod else (1 << 41) - 1)
    namespaces = tuple(
        Namespace(kind, 4026531830 + index + (400 if in_pod and kind not in ("user", "time") else 0),
                  in_pod and kind not in ("user", "time"))  # fmt: skip
        for index, kind in enumerate(("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"))
    )
    container = record.container
    return ProcInfo(
        pid=record.pid, comm=record.comm, state=record.state, state_name=STATE_NAMES.get(record.state, "?"),
        ppid=record.ppid, pgrp=record.pid, session=record.pid, tty=record.tty,
        kernel_thread=record.is_kernel_thread,
        start_time=record.start_time, age=DEMO_TIME - record.start_time, nice=record.nice,
        priority=record.priority, threads=record.threads, exe=record.exe,
        errors=MappingProxyType({"exe": "none (kernel thread)"} if record.is_kernel_thread else {}),
        cwd="/app" if in_pod else "/",
        root="/" if not in_pod else f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{container.id}/rootfs",
        cmdline=record.cmdline if show_secrets else mask_cmdline(record.cmdline),
        cmdline_masked=not show_secrets and mask_cmdline(record.cmdline) != record.cmdline,
        uids=_ids(record.uid, record.user), gids=_ids(record.uid, record.user),
        groups=(), capabilities=Capabilities(caps, caps, CapSet(0), caps, CapSet(0)),
        no_new_privs=in_pod, seccomp="filter" if in_pod else "disabled", seccomp_filters=1 if in_pod else 0,
        namespaces=namespaces,
        cgroup=(f"0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-{container.id}.scope",) if in_pod
        else ("0::/system.slice",),  # fmt: skip
        container=container,
        limits=(Limit("Max open files", "1048576", "1048576", "files"),
                Limit("Max processes", "unlimited", "unlimited", "processes")),
        oom_score=668 if in_pod else 0, oom_score_adj=969 if in_pod else 0,
        memory=MappingProxyType({"rss": record.rss, "shared": record.rss // 8, "swap": 0, "virtual": record.rss * 4}),
    )


def demo_section(pid: int, section: str, show_secrets: bool = False) -> Inspection | list:
    """One section of a demo process, as `inspect_process(pid, sections=(section,))` would give it."""
    record = demo_snapshot().processes.get(pid)
    if record is None:
        raise ProcessNotFound(f"no process with pid {pid}")
    if section == "threads":
        from syswatch.tui.tab_tasks import ThreadRow

        return [ThreadRow(pid + n, record.comm if n == 0 else f"worker-{n}", "S", record.cpu_time / (n + 1), 0)
                for n in range(record.threads)]  # fmt: skip
    kind = "kernel thread" if record.is_kernel_thread else "process"
    none = f"none ({kind})" if record.is_kernel_thread else None
    values: dict[str, object] = {"info": None, "fds": None, "env": None}
    if section == "info":
        values["info"] = _info(record, show_secrets)
    elif section == "fds":
        null = FdInfo(0, FdKind.DEVICE, "/dev/null", "/dev/null", flags=_R, access="read", pos=0)
        values["fds"] = none or (_api_fds() if pid == 1230 else FdTable((null,), True, True))
    elif section == "env":
        pairs = _API_ENV if pid == 1230 else (("PATH", "/usr/sbin:/usr/bin"),)
        values["env"] = none or _env(pairs, show_secrets)
    return Inspection(pid=pid, comm=record.comm, kind=kind, time=DEMO_TIME, elapsed=0.001, exited=False,
                      show_secrets=show_secrets, notes=_notes(kind, record.ppid, False), **values)  # fmt: skip
