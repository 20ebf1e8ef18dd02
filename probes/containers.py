"""Which container (and Kubernetes pod) a process lives in, read from its /proc/PID/cgroup lines.

Every runtime names the cgroup of a container after its id; the shapes differ by runtime
and by cgroup driver (cgroupfs vs systemd) and version (v1 vs v2):

    docker      v1 /docker/<id>                 v2/systemd .../docker-<id>.scope
    containerd  .../cri-containerd-<id>.scope   systemd driver ...slice:cri-containerd:<id>
    cri-o       .../crio-<id>.scope             (crio-conmon-<id> is the monitor, not the container)
    podman      .../libpod-<id>.scope           (libpod-conmon-<id> likewise)
    kubepods    /kubepods/<qos>/pod<uid>/<id>   /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/...
                (guaranteed pods have no <qos> level; kind nodes use kubelet.slice/kubelet-kubepods...)

The innermost match wins (a pod inside a kind node is inside a docker container too).
"""

from __future__ import annotations

import re
from functools import lru_cache

from syswatch.model import Container

_ID = r"([0-9a-f]{64})"
# (pattern for one path component, runtime); tried in order on each component.
_COMPONENT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^docker-{_ID}\.scope$"), "docker"),
    (re.compile(rf"^cri-containerd-{_ID}\.scope$"), "containerd"),
    (re.compile(rf"^crio-{_ID}(?:\.scope)?$"), "cri-o"),
    (re.compile(rf"^libpod-{_ID}(?:\.scope)?$"), "podman"),
    (re.compile(rf"^.*:cri-containerd:{_ID}$"), "containerd"),
    (re.compile(rf"^.*:crio:{_ID}$"), "cri-o"),
    (re.compile(rf"^.*:docker:{_ID}$"), "docker"),
)
_BARE_ID = re.compile(rf"^{_ID}$")
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
_QOS = re.compile(r"kubepods[-/](burstable|besteffort)")


def _match_component(component: str, parent: str, in_kubepods: bool) -> tuple[str, str] | None:
    for pattern, runtime in _COMPONENT_PATTERNS:
        match = pattern.match(component)
        if match:
            return match.group(1), runtime
    bare = _BARE_ID.match(component)
    if bare:
        if parent == "docker":
            return bare.group(1), "docker"
        if in_kubepods:
            return bare.group(1), "kubepods"
    return None


def container_from_path(path: str) -> Container | None:
    """The container a cgroup path (the part after the second ':') belongs to, or None for the host."""
    components = [c for c in path.split("/") if c]
    in_kubepods = any("kubepods" in c for c in components)  # kind's nodes name them kubelet-kubepods…
    for index in range(len(components) - 1, -1, -1):
        parent = components[index - 1] if index > 0 else ""
        found = _match_component(components[index], parent, in_kubepods)
        if found is None:
            continue
        container_id, runtime = found
        pod_uid, qos = _pod_of(path) if in_kubepods else (None, None)
        return Container(id=container_id, runtime=runtime, pod_uid=pod_uid, qos=qos)
    if in_kubepods:
        pod_uid, qos = _pod_of(path)
        if pod_uid:  # a process in the pod's own cgroup, outside any container
            return Container(id=f"pod{pod_uid}", runtime="kubepods", pod_uid=pod_uid, qos=qos)
    return None


def _pod_of(path: str) -> tuple[str | None, str | None]:
    pod = _POD.search(path)
    pod_uid = pod.group(1).replace("_", "-") if pod else None
    qos_match = _QOS.search(path)
    qos = qos_match.group(1) if qos_match else ("guaranteed" if pod_uid else None)
    return pod_uid, qos


@lru_cache(maxsize=4096)
def container_from_cgroup(lines: tuple[str, ...]) -> Container | None:
    """The container named by any line of /proc/PID/cgroup (`hierarchy:controllers:path`)."""
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        container = container_from_path(parts[2])
        if container is not None:
            return container
    return None
