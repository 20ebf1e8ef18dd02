"""Names for Docker containers: container id -> name, image (and pod labels) from Docker's API.

Optional enrichment on top of the cgroup detection in `containers`: one `GET /containers/json` over
/var/run/docker.sock lists every running container, so one request per refresh serves them all.
The request runs on a short-lived background thread, at most every `min_interval` seconds and only
when an unknown docker id shows up (or the list is older than `max_age`), so a tick never waits
for the daemon; names appear on the tick after the answer. No socket, no permission, a hung or
stopped daemon: the containers simply keep their ids, and `error` says why.

containerd and CRI-O are identified by cgroup only for now (their APIs are gRPC: not wired yet).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

from syswatch.model import Container

DEFAULT_SOCKET = "/var/run/docker.sock"
API_VERSION = "v1.41"  # Docker 20.10; newer engines answer it too


@dataclass(frozen=True, slots=True)
class DockerInfo:
    name: str
    image: str
    pod_name: str | None
    namespace: str | None


class DockerNames:
    """Enriches `Container`s with what Docker knows about them; cached per container id."""

    def __init__(
        self,
        socket_path: str = DEFAULT_SOCKET,
        min_interval: float = 2.0,
        max_age: float = 30.0,
        timeout: float = 1.0,
        background: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.socket_path = socket_path
        self.min_interval = min_interval
        self.max_age = max_age
        self.timeout = timeout
        self.background = background
        self.error: str | None = None  # why the last refresh failed, for `syswatch doctor` and the header
        self._clock = clock
        self._info: dict[str, DockerInfo] = {}
        self._enriched: dict[Container, Container] = {}  # same input, same output object: cheap reuse
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._worker: threading.Thread | None = None

    def enrich(self, container: Container) -> Container:
        """`container` with name/image filled in when Docker knows it; never blocks on the daemon."""
        info = self._info.get(container.id)
        if info is None:
            if container.runtime == "docker":
                self._request_refresh()
            return container
        if self._fetched_at is not None and self._clock() - self._fetched_at > self.max_age:
            self._request_refresh()  # renames, restarts: keep the names honest
        enriched = self._enriched.get(container)
        if enriched is None:
            enriched = replace(container, name=info.name, image=info.image,
                               pod_name=info.pod_name or container.pod_name,
                               namespace=info.namespace or container.namespace)
            self._enriched[container] = enriched
        return enriched

    def wait(self, timeout: float) -> None:
        """Let a refresh in flight finish (for one-shot users like `syswatch snapshot`)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _request_refresh(self) -> None:
        now = self._clock()
        if self._attempted_at is not None and now - self._attempted_at < self.min_interval:
            return
        if self._worker is not None and self._worker.is_alive():
            return
        self._attempted_at = now
        if not self.background:
            self.refresh()
            return
        self._worker = threading.Thread(target=self.refresh, name="syswatch-docker-names", daemon=True)
        self._worker.start()

    def refresh(self) -> bool:
        """Fetch the container list now (synchronously). False, with `error` set, when unavailable."""
        if not os.path.exists(self.socket_path):
            self.error = f"no Docker socket at {self.socket_path}"
            return False
        import httpx  # here, not at import time: most ticks never need it, and it costs startup time

        try:
            transport = httpx.HTTPTransport(uds=self.socket_path)
            with httpx.Client(transport=transport, timeout=self.timeout, base_url="http://docker") as client:
                response = client.get(f"/{API_VERSION}/containers/json")
                response.raise_for_status()
                listing = response.json()
        except (httpx.HTTPError, OSError, ValueError) as error:
            self.error = f"Docker API at {self.socket_path}: {error or type(error).__name__}"
            return False
        info: dict[str, DockerInfo] = {}
        for entry in listing if isinstance(listing, list) else []:
            parsed = _parse_entry(entry)
            if parsed is not None:
                info[parsed[0]] = parsed[1]
        self._info, self._enriched = info, {}  # swapped whole: the tick thread never sees half a list
        self._fetched_at = self._clock()
        self.error = None
        return True


def _parse_entry(entry: object) -> tuple[str, DockerInfo] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("Id"), str):
        return None
    names = entry.get("Names") or []
    name = names[0].lstrip("/") if names and isinstance(names[0], str) else entry["Id"][:12]
    labels = entry.get("Labels") if isinstance(entry.get("Labels"), dict) else {}
    return entry["Id"], DockerInfo(
        name=name,
        image=str(entry.get("Image") or ""),
        pod_name=labels.get("io.kubernetes.pod.name"),
        namespace=labels.get("io.kubernetes.pod.namespace"),
    )
