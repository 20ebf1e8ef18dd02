"""A fixed, realistic host for screenshots, docs and UI tests: the same pixels on every machine.

It models what a CKS user sees on a Kubernetes node: sshd and a root shell, dockerd with an nginx
container, a containerd pod with a Python API whose command line carries a password (shown masked)
and a shell someone opened inside it, plus kernel threads.
"""

from __future__ import annotations

from types import MappingProxyType

from syswatch.model import (
    Container,
    EbpfStatus,
    ProcessRecord,
    Snapshot,
    SyscallCount,
    SyscallStats,
    SystemStats,
)

DEMO_TIME = 1_796_000_000.0  # a fixed "now" (2026-11-30), so ages and clocks never move
NGINX_ID = "4f1c9e2ab7d3" + "5e" * 26
API_ID = "9a7be31f0c42" + "d1" * 26
PAUSE_ID = "0c5d2e8f1a90" + "3c" * 26
POD_UID = "6f1e5a2c-3b7d-4e9a-8c1f-2d4b6a8e0f13"

NGINX = Container(NGINX_ID, "docker", name="web", image="nginx:1.25")
API = Container(API_ID, "containerd", pod_uid=POD_UID, qos="burstable", name="api",
                image="registry.local/shop/api:2.4", pod_name="api-7d9f", namespace="prod")
PAUSE = Container(PAUSE_ID, "containerd", pod_uid=POD_UID, qos="burstable", name="POD",
                  image="registry.k8s.io/pause:3.9", pod_name="api-7d9f", namespace="prod")

# pid, ppid, user, uid, comm, state, cpu%, rss MiB, threads, cpu seconds, tty, container, cmdline
_PROCESSES: tuple[tuple, ...] = (
    (1, 0, "root", 0, "systemd", "S", 0.0, 12, 1, 4.2, None, None, ("/sbin/init",)),
    (2, 0, "root", 0, "kthreadd", "S", 0.0, 0, 1, 0.0, None, None, ()),
    (14, 2, "root", 0, "ksoftirqd/0", "S", 0.1, 0, 1, 1.3, None, None, ()),
    (15, 2, "root", 0, "rcu_preempt", "I", 0.0, 0, 1, 2.1, None, None, ()),
    (412, 1, "root", 0, "systemd-journal", "S", 0.0, 48, 1, 3.4, None, None,
     ("/lib/systemd/systemd-journald",)),
    (623, 1, "root", 0, "sshd", "S", 0.0, 9, 1, 0.2, None, None, ("sshd: /usr/sbin/sshd -D",)),
    (1301, 623, "root", 0, "sshd", "S", 0.0, 10, 1, 0.1, None, None, ("sshd: alice [priv]",)),
    (1320, 1301, "alice", 1000, "sshd", "S", 0.3, 7, 1, 0.4, None, None, ("sshd: alice@pts/0",)),
    (1321, 1320, "alice", 1000, "bash", "S", 0.0, 5, 1, 0.1, "pts/0", None, ("-bash",)),
    (1402, 1321, "root", 0, "sudo", "S", 0.0, 6, 1, 0.0, "pts/0", None, ("sudo", "syswatch")),
    (1403, 1402, "root", 0, "syswatch", "S", 2.1, 96, 4, 3.9, "pts/0", None,
     ("/usr/bin/python3", "/usr/local/bin/syswatch")),
    (780, 1, "root", 0, "containerd", "S", 0.7, 61, 14, 96.0, None, None, ("/usr/bin/containerd",)),
    (905, 1, "root", 0, "dockerd", "S", 0.3, 88, 18, 41.7, None, None,
     ("/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock")),
    (1102, 1, "root", 0, "containerd-shim", "S", 0.0, 14, 11, 2.2, None, None,
     ("/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", NGINX_ID, "-address",
      "/run/containerd/containerd.sock")),
    (1125, 1102, "root", 0, "nginx", "S", 0.0, 11, 1, 0.3, None, NGINX,
     ("nginx: master process nginx -g daemon off;",)),
    (1160, 1125, "www-data", 33, "nginx", "S", 1.2, 9, 1, 12.8, None, NGINX, ("nginx: worker process",)),
    (1161, 1125, "www-data", 33, "nginx", "R", 3.4, 9, 1, 13.1, None, NGINX, ("nginx: worker process",)),
    (1180, 1, "root", 0, "containerd-shim", "S", 0.0, 13, 12, 1.9, None, None,
     ("/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", PAUSE_ID, "-address",
      "/run/containerd/containerd.sock")),
    (1201, 1180, "65535", 65535, "pause", "S", 0.0, 1, 1, 0.0, None, PAUSE, ("/pause",)),
    (1230, 1180, "10001", 10001, "python3", "S", 24.6, 212, 9, 318.4, None, API,
     ("python3", "app.py", "--port", "8080", "--db-password=s3cr3t-Passw0rd")),
    (2301, 1180, "root", 0, "sh", "S", 0.0, 1, 1, 0.0, "pts/0", API, ("sh",)),
    (2318, 2301, "root", 0, "cat", "S", 0.0, 1, 1, 0.0, "pts/0", API, ("cat", "/etc/shadow")),
    (1550, 1, "postgres", 105, "postgres", "S", 0.4, 142, 1, 22.0, None, None,
     ("/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main")),
    (1560, 1550, "postgres", 105, "postgres", "S", 0.1, 38, 1, 3.1, None, None,
     ("postgres: checkpointer",)),
    (1790, 1, "root", 0, "kubelet", "S", 1.8, 104, 22, 211.5, None, None,
     ("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml")),
)

_SYSCALLS: dict[int, tuple[tuple[str, int, int, int, int], ...]] = {
    # pid: (name, nr, calls in the last second, errors, ns)
    1230: (("recvfrom", 45, 5120, 12, 9_300_000), ("epoll_wait", 232, 2400, 0, 610_000_000),
           ("sendto", 44, 2210, 0, 14_200_000), ("openat", 257, 310, 41, 2_100_000)),
    1161: (("epoll_wait", 232, 880, 0, 420_000_000), ("writev", 20, 610, 0, 3_900_000)),
    1160: (("epoll_wait", 232, 640, 0, 390_000_000), ("writev", 20, 410, 0, 2_500_000)),
    1790: (("futex", 202, 1900, 210, 880_000_000), ("epoll_pwait", 281, 620, 0, 300_000_000)),
    780: (("futex", 202, 840, 60, 500_000_000), ("nanosleep", 35, 100, 0, 990_000_000)),
    1403: (("read", 0, 3100, 0, 21_000_000), ("openat", 257, 820, 4, 3_000_000)),
    2318: (("read", 0, 3, 0, 12_000), ("openat", 257, 2, 0, 9_000)),
}


def _record(row: tuple) -> ProcessRecord:
    pid, ppid, user, uid, comm, state, cpu, rss_mib, threads, seconds, tty, container, cmdline = row
    kernel_thread = pid == 2 or ppid == 2
    rss = rss_mib * 1024 * 1024
    return ProcessRecord(
        pid=pid, tgid=pid, ppid=ppid, comm=comm, state=state, uid=uid, euid=uid, user=user,
        tty_nr=34816 if tty else 0, tty=tty, start_time=DEMO_TIME - 86_400 + pid, cpu_percent=cpu,
        cpu_time=seconds, rss=rss, mem_percent=rss * 100 / (8 * 1024**3), threads=threads, nice=0,
        priority=20, exe=None if kernel_thread else (cmdline[0] if cmdline else None), cmdline=cmdline,
        cgroup=(), container=container, is_kernel_thread=kernel_thread,
    )


def _syscall_stats(pid: int) -> SyscallStats:
    counts = tuple(SyscallCount(nr, name, calls, errors, ns) for name, nr, calls, errors, ns in _SYSCALLS[pid])
    return SyscallStats(pid, counts, counts, 1.0)


def demo_snapshot(seq: int = 1) -> Snapshot:
    processes = {row[0]: _record(row) for row in _PROCESSES}
    system = SystemStats(
        hostname="node-1", kernel="6.1.0-27-amd64", uptime=3 * 86_400 + 4 * 3600 + 5 * 60,
        load=(0.42, 0.37, 0.31), cpu_percent=(23.5, 11.0), mem_total=8 * 1024**3, mem_used=3 * 1024**3 + 2**29,
        swap_total=2 * 1024**3, swap_used=0, tasks=len(processes), threads=112, kernel_threads=3, running=1,
    )
    return Snapshot(
        seq=seq, time=DEMO_TIME, interval=1.0, system=system, processes=MappingProxyType(processes),
        syscalls=MappingProxyType({pid: _syscall_stats(pid) for pid in _SYSCALLS}),
        ebpf=EbpfStatus("on", events_per_second=1843.0),
    )


class DemoSource:
    """A SnapshotSource that always shows the demo host."""

    def __init__(self) -> None:
        self.include_threads = False
        self._seq = 0

    def start(self) -> None:
        """Nothing to load: the demo host has no probes."""

    def tick(self) -> Snapshot:
        self._seq += 1
        return demo_snapshot(self._seq)

    def inspect(self, pid: int, section: str, show_secrets: bool = False) -> object:
        """The inspector's reading of a demo process: fixed data, never this machine's /proc."""
        from syswatch.demo_inspect import demo_section

        return demo_section(pid, section, show_secrets)
