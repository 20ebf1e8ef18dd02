"""The JSON shape of a Snapshot, for `syswatch snapshot --json` and scripts."""

from __future__ import annotations

from typing import Any

from syswatch.model import Container, ProcessRecord, Snapshot, SyscallStats


def container_to_json(container: Container | None) -> dict[str, Any] | None:
    if container is None:
        return None
    return {
        "id": container.id,
        "short_id": container.short_id,
        "runtime": container.runtime,
        "name": container.name,
        "image": container.image,
        "pod_uid": container.pod_uid,
        "pod_name": container.pod_name,
        "namespace": container.namespace,
        "qos": container.qos,
    }


def process_to_json(record: ProcessRecord) -> dict[str, Any]:
    return {
        "pid": record.pid,
        "tgid": record.tgid,
        "ppid": record.ppid,
        "uid": record.uid,
        "euid": record.euid,
        "user": record.user,
        "comm": record.comm,
        "state": record.state,
        "exe": record.exe,
        "cmdline": list(record.cmdline),
        "tty": record.tty,
        "start_time": round(record.start_time, 2),
        "cpu_percent": round(record.cpu_percent, 2),
        "cpu_time": round(record.cpu_time, 2),
        "rss": record.rss,
        "mem_percent": round(record.mem_percent, 3),
        "threads": record.threads,
        "nice": record.nice,
        "kernel_thread": record.is_kernel_thread,
        "thread": record.is_thread,
        "container": container_to_json(record.container),
    }


def syscalls_to_json(stats: SyscallStats | None) -> list[dict[str, Any]]:
    """The process's syscalls over the snapshot's interval, most called first (time in seconds)."""
    if stats is None:
        return []
    return [
        {"name": c.name, "calls": c.calls, "errors": c.errors, "time": round(c.total_ns / 1e9, 6)}
        for c in stats.interval
    ]


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    system = snapshot.system
    return {
        "time": snapshot.time,
        "interval": round(snapshot.interval, 3),
        "cpu_percent_note": "100 = one core fully busy",
        "host": {
            "hostname": system.hostname,
            "kernel": system.kernel,
            "uptime": round(system.uptime, 1),
            "load": list(system.load),
            "mem_total": system.mem_total,
            "mem_used": system.mem_used,
            "tasks": system.tasks,
            "threads": system.threads,
        },
        "ebpf": {
            "state": snapshot.ebpf.state,
            "reason": snapshot.ebpf.reason,
            "map_full": snapshot.ebpf.map_full,
            "syscalls_note": "per process: syscalls over the interval; null when eBPF is off",
        },
        "processes": [
            {
                **process_to_json(p),
                "syscalls": syscalls_to_json(snapshot.syscalls.get(p.pid)) if snapshot.ebpf.state == "on" else None,
            }
            for p in sorted(snapshot.processes.values(), key=lambda p: p.pid)
        ],
        "threads": [process_to_json(t) for t in sorted(snapshot.threads.values(), key=lambda t: t.pid)],
    }
