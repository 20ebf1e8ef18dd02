"""`syswatch inspect PID --json` and the Inspection behind it, on real processes: secrets masked
unless --show-secrets, a clear error for a missing pid, and honest failure (permission denied,
zombies, kernel threads, a process exiting mid-read)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import require
from syswatch.probes.fds import PeerIndex
from syswatch.probes.procfs import PF_KTHREAD, parse_stat, read_bytes

from syswatch.inspect import ProcessNotFound, inspect_process
from syswatch.secrets import MASK

SYSWATCH = str(Path(sys.executable).with_name("syswatch"))  # the venv's real entry point
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CARD = "5555666677778888"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SYSWATCH, "inspect", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def secret_child():
    env = {"SECRET": CARD, "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "GREETING": "hello"}
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "--password=hunter2"],
        stdin=subprocess.PIPE,
        env=env,
    )
    yield child
    child.kill()
    child.wait()


def test_json_masks_secrets_by_default(secret_child):
    result = _run(str(secret_child.pid), "--json")
    assert result.returncode == 0, result.stderr
    for secret in (CARD, AWS_SECRET, "hunter2"):
        assert secret not in result.stdout  # nowhere: not in env, not in the cmdline, not in notes
    data = json.loads(result.stdout)
    env = {var["name"]: var for var in data["env"]}
    assert env["SECRET"]["value"] == f"{MASK} ({len(CARD)} chars)" and env["SECRET"]["masked"]
    assert env["AWS_SECRET_ACCESS_KEY"]["value"] == f"{MASK} ({len(AWS_SECRET)} chars)"
    assert env["GREETING"] == {"name": "GREETING", "value": "hello", "secret": None, "masked": False}
    assert data["info"]["cmdline"][-1] == f"--password={MASK}" and data["info"]["cmdline_masked"]
    assert data["secrets_shown"] is False
    assert (data["pid"], data["kind"], data["exited"]) == (secret_child.pid, "process", False)
    assert data["fds"]["fds"][0]["fd"] == 0 and data["fds"]["fds"][0]["kind"] == "pipe"
    assert data["info"]["uids"]["names"][0] == "root" or os.geteuid() != 0


def test_show_secrets_reveals(secret_child):
    result = _run(str(secret_child.pid), "--json", "--show-secrets")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    env = {var["name"]: var for var in data["env"]}
    assert env["SECRET"]["value"] == CARD and env["AWS_SECRET_ACCESS_KEY"]["value"] == AWS_SECRET
    assert env["SECRET"]["secret"] == "name SECRET" and not env["SECRET"]["masked"]
    assert data["info"]["cmdline"][-1] == "--password=hunter2" and data["secrets_shown"] is True


def test_missing_pid_is_one_line_and_exit_1():
    pid = int((read_bytes("/proc/sys/kernel/pid_max") or b"4194304").strip()) + 1  # can never exist
    result = _run(str(pid), "--json")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"syswatch inspect: no process with pid {pid}\n"
    with pytest.raises(ProcessNotFound):
        inspect_process(pid)


def test_json_is_required_for_now():
    result = _run(str(os.getpid()))
    assert result.returncode == 2 and "--json" in result.stderr


def test_zombie_is_explained(spawn):
    child = spawn("pass")
    deadline = time.monotonic() + 5
    while parse_stat(read_bytes(f"/proc/{child.pid}/stat") or b"").state != "Z":  # exited, not reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    inspection = inspect_process(child.pid)
    assert inspection.kind == "zombie" and not inspection.exited
    assert inspection.fds == "none (zombie)" and inspection.env == "none (zombie)"
    assert inspection.info.state == "Z" and inspection.info.errors["exe"] == "none (zombie)"
    assert any(note.startswith("zombie:") and f"pid {os.getpid()}" in note for note in inspection.notes)


def _a_kernel_thread() -> int:
    for name in os.listdir("/proc"):
        stat = parse_stat(read_bytes(f"/proc/{name}/stat") or b"") if name.isdigit() else None
        if stat is not None and stat.flags & PF_KTHREAD:
            return int(name)
    raise AssertionError("no kernel thread visible in /proc")


def test_kernel_thread_is_explained():
    data = json.loads(_run(str(_a_kernel_thread()), "--json").stdout)
    assert data["kind"] == "kernel thread"
    assert data["fds"] == {"error": "none (kernel thread)"} and data["env"] == {"error": "none (kernel thread)"}
    assert data["info"]["kernel_thread"] and data["info"]["cmdline"] == []
    assert data["notes"][0].startswith("kernel thread:")


def test_permission_denied_per_section_for_an_unprivileged_inspector(secret_child):
    if os.geteuid() != 0:
        pytest.skip("this test drops root to inspect a root process; run as root")
    # A real unprivileged inspector: a Python process that imports everything, drops to nobody,
    # then inspects the root-owned child (the venv lives under /root, which nobody cannot read).
    code = textwrap.dedent(
        f"""
        import json, os
        from syswatch.inspect import inspect_process
        from syswatch.outputs.inspect_json import inspection_to_json
        os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
        print(json.dumps(inspection_to_json(inspect_process({secret_child.pid}))))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["env"] == {"error": "permission denied"} and data["fds"] == {"error": "permission denied"}
    assert data["info"]["errors"]["exe"] == "permission denied"
    assert data["info"]["uids"]["names"][0] == "root" and data["info"]["limits"]  # what is readable still shows
    assert data["exited"] is False


class _KillingPeerIndex(PeerIndex):
    """Kills the inspected process while its fds are being resolved: a real exit mid-read."""

    def holders(self, pid, fds, targets):
        found = super().holders(pid, fds, targets)  # (holders, complete)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}/fd/0") and time.monotonic() < deadline:
            time.sleep(0.01)
        return found


def test_exit_mid_read_keeps_what_was_read(secret_child):
    inspection = inspect_process(secret_child.pid, peers=_KillingPeerIndex())
    secret_child.wait()  # reaped: the pid is gone, the data read before stays
    assert inspection.exited
    assert inspection.info.comm.startswith("python") and inspection.info.cmdline[-1] == f"--password={MASK}"
    assert inspection.fds.fds[0].kind == "pipe"  # read before the exit
    assert inspection.env == "gone (process exited)"  # read after it
    assert inspection.notes[0].startswith("exited while being read")


def test_sections_can_be_read_alone(secret_child):
    inspection = inspect_process(secret_child.pid, sections=["env"])
    assert inspection.info is None and inspection.fds is None
    assert {var.name for var in inspection.env} == {"SECRET", "AWS_SECRET_ACCESS_KEY", "GREETING"}
    with pytest.raises(ValueError):
        inspect_process(secret_child.pid, sections=["nope"])


def test_docker_container_process(tmp_path):
    # A listener inside a real container: its socket is resolved from the container's network
    # namespace, its namespaces differ from ours, its cgroup names the container, its token is masked.
    require(
        shutil.which("docker") is not None
        and subprocess.run(["docker", "image", "inspect", "syswatch-busybox"], capture_output=True).returncode == 0,
        "dockerd with image syswatch-busybox (run .ci/start-docker)",
    )
    token = "ghp_" + "Zx9" * 12
    run = subprocess.run(
        ["docker", "run", "-d", "-e", f"API_TOKEN={token}", "syswatch-busybox", "sh", "-c", "exec nc -l -p 8080"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    container_id = run.stdout.strip()
    try:
        pid = int(subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", container_id],
                                 capture_output=True, text=True, check=True).stdout)  # fmt: skip
        deadline = time.monotonic() + 10
        while True:  # until nc has bound its socket
            inspection = inspect_process(pid, full_fds=True)
            sockets = [f.socket for f in inspection.fds.fds if f.socket is not None]
            if sockets or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [(s.local_port, s.state) for s in sockets] == [(8080, "LISTEN")]
        host_tables = (read_bytes("/proc/net/tcp") or b"") + (read_bytes("/proc/net/tcp6") or b"")
        assert f" {sockets[0].inode} ".encode() not in host_tables  # only the container's netns has it
        info = inspection.info
        assert info.container.id == container_id and info.container.runtime == "docker"
        differs = {ns.kind for ns in info.namespaces if ns.differs}
        assert {"net", "mnt", "pid", "uts", "ipc"} <= differs
        env = {var.name: var for var in inspection.env}
        assert env["API_TOKEN"].masked and token not in env["API_TOKEN"].value
        assert env["HOSTNAME"].value == container_id[:12]
    finally:
        subprocess.run(["docker", "rm", "-f", container_id], capture_output=True)
