"""Container detection from /proc/PID/cgroup: each runtime's real line shapes, and a real cgroup move.

The unit cases are whole /proc/PID/cgroup files as each runtime leaves them on real hosts (hybrid v1
hosts list every controller; pure v2 hosts have the single `0::` line). Docker itself is tested against
the real engine in test_docker.py.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from conftest import require

from syswatch.probes.containers import container_from_cgroup, container_from_path
from syswatch.probes.procfs import ProcScanner

ID = "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
ID2 = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
POD = "74c13223-5a00-11e9-b385-42010a80018d"
POD_ = POD.replace("-", "_")  # systemd escapes '-' in unit names

V1_CONTROLLERS = ("12:pids", "11:hugetlb", "10:net_prio,net_cls", "9:perf_event", "8:blkio", "7:freezer",
                  "6:devices", "5:memory", "4:cpuacct,cpu", "3:cpuset", "2:rdma")


def v1(path: str, systemd: str | None = None) -> tuple[str, ...]:
    """A hybrid v1 host's cgroup file: every controller in `path`, plus name=systemd and the empty v2 line."""
    lines = [f"{c}:{path}" for c in V1_CONTROLLERS]
    lines.append(f"1:name=systemd:{systemd or path}")
    lines.append("0::/")
    return tuple(lines)


def v2(path: str) -> tuple[str, ...]:
    return (f"0::{path}",)


CASES = [
    # (name, cgroup file, id, runtime, pod uid, qos)
    ("docker v1 cgroupfs", v1(f"/docker/{ID}"), ID, "docker", None, None),
    ("docker v1 systemd", v1(f"/system.slice/docker-{ID}.scope"), ID, "docker", None, None),
    ("docker v2 systemd", v2(f"/system.slice/docker-{ID}.scope"), ID, "docker", None, None),
    ("docker v2 cgroupfs", v2(f"/docker/{ID}"), ID, "docker", None, None),
    ("docker rootless", v2(f"/user.slice/user-1000.slice/user@1000.service/docker.service/docker-{ID}.scope"),
     ID, "docker", None, None),
    ("docker in docker", v1(f"/docker/{ID2}/docker/{ID}"), ID, "docker", None, None),
    ("containerd CRI v2 systemd",
     v2(f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{POD_}.slice/cri-containerd-{ID}.scope"),
     ID, "containerd", POD, "burstable"),
    ("containerd CRI v1 systemd (colon form)",
     v1(f"/system.slice/containerd.service/kubepods-besteffort-pod{POD_}.slice:cri-containerd:{ID}",
        f"/kubepods-besteffort-pod{POD_}.slice:cri-containerd:{ID}"),
     ID, "containerd", POD, "besteffort"),
    ("containerd CRI v2 colon form", v2(f"/kubepods-burstable-pod{POD_}.slice:cri-containerd:{ID}"),
     ID, "containerd", POD, "burstable"),
    ("cri-o v2", v2(f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{POD_}.slice/crio-{ID}.scope"),
     ID, "cri-o", POD, "besteffort"),
    ("cri-o seen through a cgroup namespace", v2(f"/../crio-{ID}.scope"), ID, "cri-o", None, None),
    ("podman root v2", v2(f"/machine.slice/libpod-{ID}.scope/container"), ID, "podman", None, None),
    ("podman rootless v2",
     v2(f"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"), ID, "podman", None, None),
    ("podman cgroupfs v1", v1(f"/libpod_parent/libpod-{ID}"), ID, "podman", None, None),
    ("kubernetes cgroupfs burstable", v1(f"/kubepods/burstable/pod{POD}/{ID}"), ID, "kubepods", POD, "burstable"),
    ("kubernetes cgroupfs besteffort v2", v2(f"/kubepods/besteffort/pod{POD}/{ID}"), ID, "kubepods", POD,
     "besteffort"),
    ("kubernetes cgroupfs guaranteed", v1(f"/kubepods/pod{POD}/{ID}"), ID, "kubepods", POD, "guaranteed"),
    ("kubernetes systemd guaranteed",
     v2(f"/kubepods.slice/kubepods-pod{POD_}.slice/cri-containerd-{ID}.scope"), ID, "containerd", POD, "guaranteed"),
    ("kubernetes systemd docker (dockershim)",
     v1(f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{POD_}.slice/docker-{ID}.scope"),
     ID, "docker", POD, "burstable"),
    ("kind node v1: pod inside a docker container", v1(f"/docker/{ID2}/kubepods/besteffort/pod{POD}/{ID}"),
     ID, "kubepods", POD, "besteffort"),
    ("kind node v2 seen from the host",
     v2(f"/system.slice/docker-{ID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
        f"kubelet-kubepods-besteffort-pod{POD_}.slice/cri-containerd-{ID}.scope"),
     ID, "containerd", POD, "besteffort"),
    ("kind node process itself", v1(f"/docker/{ID2}/system.slice/containerd.service"), ID2, "docker", None, None),
    ("pod cgroup, outside any container", v1(f"/kubepods/burstable/pod{POD}"), f"pod{POD}", "kubepods", POD,
     "burstable"),
]


@pytest.mark.parametrize("name, lines, cid, runtime, pod, qos", CASES, ids=[c[0] for c in CASES])
def test_runtime_line_shapes(name, lines, cid, runtime, pod, qos):
    container = container_from_cgroup(lines)
    assert container is not None
    assert (container.id, container.runtime, container.pod_uid, container.qos) == (cid, runtime, pod, qos)
    assert container.short_id == cid[:12]
    assert container.label == cid[:12]  # no name until the runtime's API tells us one


HOST_CASES = [
    ("this host (hybrid, memory under a sandbox)", ("4:memory:/process_api/84ae3ac72a3e950f95fc6cb08cfafc2b",
                                                     "1:cpu:/", "0::/")),
    ("systemd service", v2("/system.slice/docker.service")),
    ("user session", v2("/user.slice/user-1000.slice/session-3.scope")),
    ("cri-o conmon is a host-side monitor", v2(f"/machine.slice/crio-conmon-{ID}.scope")),
    ("podman conmon likewise", v2(f"/machine.slice/libpod-conmon-{ID}.scope")),
    ("containerd shim", v2("/system.slice/containerd.service")),
    ("the docker parent cgroup itself", v1("/docker")),
    ("a short hex name is not an id", v1("/docker/4f797c539e6c")),
    ("uppercase hex is not an id", v1(f"/docker/{ID.upper()}")),
    ("kubepods root, no pod", v2("/kubepods.slice/kubepods-burstable.slice")),
    ("malformed lines", ("garbage", "", "1:cpu")),
]


@pytest.mark.parametrize("name, lines", HOST_CASES, ids=[c[0] for c in HOST_CASES])
def test_host_processes_have_no_container(name, lines):
    assert container_from_cgroup(lines) is None


def test_crio_conmon_in_a_pod_belongs_to_the_pod_not_a_container():
    path = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{POD_}.slice/crio-conmon-{ID}.scope"
    container = container_from_path(path)
    assert container is not None and container.id == f"pod{POD}" and container.runtime == "kubepods"


# --- a real process moved into a docker-named cgroup -------------------------------------------------


def _move(pid: int, cgroup_dir: Path) -> None:
    (cgroup_dir / "cgroup.procs").write_text(f"{pid}\n")


@pytest.fixture
def sleeper(spawn):
    child = spawn("import time; print('ready', flush=True); time.sleep(300)", stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    return child


@pytest.mark.parametrize(
    "root, relative, runtime",
    [
        ("/sys/fs/cgroup/pids", "docker/{id}", "docker"),  # cgroup v1, docker's cgroupfs layout
        ("/sys/fs/cgroup/unified", "system.slice/docker-{id}.scope", "docker"),  # cgroup v2, systemd layout
        ("/sys/fs/cgroup/unified", "machine.slice/libpod-{id}.scope", "podman"),
    ],
)
def test_real_process_moved_into_container_cgroup(sleeper, root, relative, runtime):
    require(os.geteuid() == 0, "moving a process between cgroups needs root")
    require(os.path.isfile(f"{root}/cgroup.procs"), f"no cgroup hierarchy at {root}")
    container_id = secrets.token_hex(32)
    target = Path(root) / relative.format(id=container_id)
    created = [p for p in [*reversed(target.relative_to(root).parents), target.relative_to(root)]
               if str(p) != "." and not (Path(root) / p).exists()]
    original = _current_cgroup(sleeper.pid, root)
    scanner = ProcScanner(revalidate_ticks=3)
    try:
        target.mkdir(parents=True, exist_ok=True)
        assert scanner.scan().processes[sleeper.pid].container is None
        _move(sleeper.pid, target)

        fresh = ProcScanner().scan().processes[sleeper.pid]  # a new scanner reads it at once
        assert fresh.container is not None
        assert (fresh.container.id, fresh.container.short_id, fresh.container.runtime) == (
            container_id, container_id[:12], runtime)
        assert any(line.endswith(f"/{target.relative_to(root)}") for line in fresh.cgroup)

        moved = [scanner.scan().processes[sleeper.pid].container for _ in range(3)]  # revalidation
        assert moved[-1] is not None and moved[-1].id == container_id
    finally:
        _move(sleeper.pid, Path(root) / original.lstrip("/"))
        for relative_dir in reversed(created):
            (Path(root) / relative_dir).rmdir()
    assert not target.exists()


def _current_cgroup(pid: int, root: str) -> str:
    """This pid's path in the hierarchy mounted at `root` (matched by controller name or v2's 0::)."""
    controller = os.path.basename(root)
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        if (controller == "unified" and hierarchy == "0") or controller in controllers.split(","):
            return path
    raise AssertionError(f"{pid} has no line for {root}")
