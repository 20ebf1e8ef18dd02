"""A real Docker container, seen by the scanner, named by the Docker API, and reported by the CLI."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from typing import Iterator

import pytest
from conftest import require

from syswatch.model import Container
from syswatch.monitor import Monitor
from syswatch.probes.docker_api import DockerNames
from syswatch.probes.procfs import ProcScanner

IMAGE = "syswatch-busybox"  # built locally by .ci/start-docker (no registry here)
SYSWATCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin", "syswatch")


def docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def container() -> Iterator[dict]:
    require(docker_ready(), f"dockerd with image {IMAGE} (run .ci/start-docker)")
    name = f"syswatch-test-{secrets.token_hex(4)}"
    run = subprocess.run(["docker", "run", "-d", "--name", name, IMAGE, "sleep", "300"],
                         capture_output=True, text=True, check=True)
    container_id = run.stdout.strip()
    try:
        pid = int(subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", container_id],
                                 capture_output=True, text=True, check=True).stdout)
        yield {"id": container_id, "name": name, "pid": pid}
    finally:
        subprocess.run(["docker", "rm", "-f", container_id], capture_output=True)


def test_container_process_has_full_id_and_shim_parent(container):
    scan = ProcScanner().scan().processes
    record = scan[container["pid"]]
    assert record.cmdline == ("sleep", "300") and record.comm == "sleep"
    assert record.container is not None
    assert record.container.id == container["id"] and len(container["id"]) == 64
    assert record.container.short_id == container["id"][:12]
    assert record.container.runtime == "docker"
    # Walk up: the container's init is a child of containerd-shim-runc-v2 -namespace moby -id <id>.
    chain, pid = [], record.ppid
    while pid > 1 and pid in scan and len(chain) < 10:
        chain.append(scan[pid])
        pid = scan[pid].ppid
    shim = chain[0]
    assert shim.comm.startswith("containerd-shim"), [p.comm for p in chain]
    assert container["id"] in shim.cmdline
    assert shim.container is None  # the shim runs on the host


def test_docker_names_from_the_real_api(container):
    names = DockerNames(background=False)
    assert names.refresh() is True and names.error is None
    base = Container(id=container["id"], runtime="docker")
    named = names.enrich(base)
    assert (named.name, named.image) == (container["name"], IMAGE)
    assert named.label == container["name"]
    assert names.enrich(base) is named  # cached per container: the same object each tick
    assert base.name is None  # the scanner's Container is never mutated


def test_monitor_records_carry_name_and_image(container):
    monitor = Monitor()
    first = monitor.tick().processes[container["pid"]]
    assert first.container is not None and first.container.id == container["id"]
    monitor.container_names.wait(timeout=2.0)  # the lookup runs on a thread: the tick did not wait
    second = monitor.tick().processes[container["pid"]]
    assert second.container.name == container["name"] and second.container.image == IMAGE
    assert second.container.runtime == "docker" and second.container.id == container["id"]
    third = monitor.tick().processes[container["pid"]]
    assert third.container is second.container  # no fresh copies while nothing changed


def test_snapshot_cli_reports_the_container(container):
    out = subprocess.run([SYSWATCH, "snapshot", "--json", "--duration", "0.2"],
                         capture_output=True, text=True, timeout=60, check=True)
    processes = {p["pid"]: p for p in json.loads(out.stdout)["processes"]}
    reported = processes[container["pid"]]["container"]
    assert reported["id"] == container["id"] and reported["short_id"] == container["id"][:12]
    assert (reported["runtime"], reported["name"], reported["image"]) == ("docker", container["name"], IMAGE)


def test_no_socket_means_ids_only(tmp_path):
    names = DockerNames(socket_path=str(tmp_path / "docker.sock"), background=False)
    base = Container(id="a" * 64, runtime="docker")
    assert names.enrich(base) is base
    assert names.refresh() is False
    assert names.error == f"no Docker socket at {tmp_path / 'docker.sock'}"


def test_not_a_docker_daemon_is_an_error_not_a_crash(tmp_path):
    # A socket that answers with something other than HTTP: refresh fails with a reason.
    path = str(tmp_path / "docker.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen()

    def answer_garbage() -> None:
        conn, _ = server.accept()
        conn.recv(4096)
        conn.sendall(b"not http at all\r\n\r\n")
        conn.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    names = DockerNames(socket_path=path, background=False, timeout=2.0)
    try:
        assert names.refresh() is False
        assert names.error is not None and path in names.error
    finally:
        server.close()


def test_hung_daemon_never_blocks_the_caller(tmp_path):
    # The socket accepts but never answers. enrich() must return at once; the worker gives up at timeout.
    path = str(tmp_path / "docker.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen()
    names = DockerNames(socket_path=path, timeout=0.5)
    base = Container(id="b" * 64, runtime="docker")
    try:
        started = time.monotonic()
        assert names.enrich(base) is base
        assert time.monotonic() - started < 0.4  # returned before the request could time out
        names.wait(timeout=5)
        assert names.error is not None and "timed out" in names.error.lower()
        # Rate-limited: asking again right away starts no second request.
        names.enrich(base)
        assert not any(t.name == "syswatch-docker-names" and t.is_alive() for t in threading.enumerate())
    finally:
        server.close()

