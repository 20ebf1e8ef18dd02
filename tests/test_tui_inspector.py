"""The inspector pane, the drill-down, peek and the syscall views, driven with Textual's pilot on
the live Monitor and real child processes (real files, sockets, pipes, environments)."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import require

from syswatch.cli import build_parser
from syswatch.config import Config
from syswatch.monitor import Monitor
from syswatch.tui.app import SyswatchApp
from syswatch.tui.dialogs import ConfirmScreen
from syswatch.tui.peek_screen import PeekScreen
from syswatch.tui.process_screen import ProcessScreen
from syswatch.tui.syscalls_screen import SyscallsScreen
from test_tui_main import FAST, first_snapshot

CARD = "5555666677778888"
AWS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# A child holding a known temp file, a TCP listener on 127.0.0.1 and a pipe to a `sleep` it
# started; it prints the listener's port when all are open, then waits.
HOLDER = """
import socket, subprocess, sys, time
held = open(sys.argv[1], "rb")
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
sleeper = subprocess.Popen(["sleep", "120"], stdin=subprocess.PIPE)
print(listener.getsockname()[1], sleeper.pid, flush=True)
time.sleep(120)
"""


def screen_text(app: SyswatchApp) -> str:
    """What the terminal shows, as plain text. (The compositor's strips: what Textual paints;
    there is no public plain-text export in Textual 8.)"""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


async def wait_for(pilot, predicate, what: str, timeout: float = 10.0):
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        result = predicate()
        if result:
            return result
    raise AssertionError(f"never happened: {what}\nscreen:\n{screen_text(pilot.app)}")


async def wait_for_text(pilot, text: str, timeout: float = 10.0) -> str:
    def shown() -> str | None:
        screen = screen_text(pilot.app)
        return screen if text in screen else None

    return await wait_for(pilot, shown, f"{text!r} on screen", timeout)


async def select(app: SyswatchApp, pilot, pid: int) -> None:
    await first_snapshot(app, pilot, pid)
    await pilot.press("t")  # flat: the child is one row, not inside a deep tree
    await wait_for(pilot, lambda: app.table.select_pid(pid), f"pid {pid} in the list")


@pytest.fixture
def holder(tmp_path):
    path = tmp_path / "held-by-child.dat"
    path.write_bytes(b"header\0\0 hello-peek-marker \0\0 password=hunter2-Secret-Value-99\0 tail-string\n")
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    port, sleeper = (int(v) for v in child.stdout.readline().split())
    yield child, str(path), port, sleeper
    child.kill()
    child.wait()
    try:
        os.kill(sleeper, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def secret_child():
    # A short environment, so every variable fits on screen whatever the caller's (CI's) holds.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET": CARD, "AWS_SECRET_ACCESS_KEY": AWS_KEY}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=env)
    yield child
    child.kill()
    child.wait()


async def test_fds_tab_shows_file_listener_and_pipe(holder):
    child, path, port, sleeper = holder
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(200, 50)) as pilot:
        await select(app, pilot, child.pid)
        await pilot.press("l")
        screen = await wait_for_text(pilot, path)
        await wait_for_text(pilot, f"TCP 127.0.0.1:{port} (LISTEN)")
        screen = await wait_for_text(pilot, f"sleep[{sleeper}] fd 0 read")  # the pipe, paired with its reader
        assert "O_RDONLY" in screen  # flags decoded (the pane is wide enough for the column)
        # the kind filter (drill-down): sockets only
        await pilot.press("enter")
        assert isinstance(app.screen, ProcessScreen)
        fd_list = app.screen.inspector.fd_list
        await wait_for(pilot, lambda: fd_list.rows, "fd rows in the drill-down")
        while fd_list.kind is None or fd_list.kind.value != "socket":
            await pilot.press("f")
        assert {row.kind.value for row in fd_list.rows} == {"socket"}
        screen = screen_text(app)
        assert f"127.0.0.1:{port}" in screen and path not in screen


async def test_env_masked_until_a_confirmed_reveal(secret_child):
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await select(app, pilot, secret_child.pid)
        await pilot.press("e")
        screen = await wait_for_text(pilot, "AWS_SECRET_ACCESS_KEY=••••")
        assert AWS_KEY not in screen
        await pilot.press("enter")  # drill down, on the Env tab
        assert isinstance(app.screen, ProcessScreen)
        await pilot.press("slash", *"SECRET", "enter")  # filter to the two secrets
        env_list = app.screen.inspector.env_list
        assert [v.name for v in env_list.rows] == ["AWS_SECRET_ACCESS_KEY", "SECRET"]
        screen = await wait_for_text(pilot, "\nSECRET=••••")
        assert "AWS_SECRET_ACCESS_KEY=••••" in screen and CARD not in screen and AWS_KEY not in screen
        # a cancelled confirmation reveals nothing
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause(0.5)
        assert AWS_KEY not in screen_text(app)
        # confirmed: only the selected value appears
        await pilot.press("r", "y")
        screen = await wait_for_text(pilot, AWS_KEY)
        assert CARD not in screen
        await pilot.press("down", "r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for_text(pilot, CARD)
        # back on the list, the pane still masks (reveals belong to the drill-down that confirmed them)
        await pilot.press("escape")
        screen = await wait_for_text(pilot, "AWS_SECRET_ACCESS_KEY=••••")
        assert CARD not in screen and AWS_KEY not in screen


async def test_show_secrets_flag_starts_revealed(secret_child):
    config = Config().with_overrides(show_secrets=build_parser().parse_args(["--show-secrets"]).show_secrets)
    assert config.show_secrets and not Config().show_secrets
    app = SyswatchApp(replace(FAST, show_secrets=True), Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await select(app, pilot, secret_child.pid)
        await pilot.press("e", "enter")
        await wait_for_text(pilot, f"SECRET={CARD}")


async def test_info_tab_shows_exe_and_user(secret_child):
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 50)) as pilot:
        await select(app, pilot, secret_child.pid)
        await pilot.press("i")
        await pilot.press("enter")  # the drill-down has room for every fact
        screen = await wait_for_text(pilot, os.path.realpath(sys.executable))
        user = pwd.getpwuid(os.getuid()).pw_name
        assert f"uid                   {os.getuid()} ({user})" in screen
        assert "capabilities" in screen and "namespaces" in screen and "cgroup" in screen


async def test_drill_down_threads_children_and_back(holder):
    child, path, port, sleeper = holder
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await select(app, pilot, child.pid)
        await pilot.press("enter")
        assert isinstance(app.screen, ProcessScreen)
        await pilot.press("c")
        await wait_for_text(pilot, "sleep 120")  # the child's own child
        await pilot.press("h")
        await wait_for_text(pilot, "1 thread(s)")
        await pilot.press("escape")
        assert not isinstance(app.screen, ProcessScreen)
        assert app.table.selected.pid == child.pid
        await pilot.press("enter")
        assert isinstance(app.screen, ProcessScreen)
        await pilot.press("backspace")
        assert not isinstance(app.screen, ProcessScreen)


async def test_exit_while_viewed_keeps_last_data_under_a_banner(holder):
    child, path, port, sleeper = holder
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(200, 50)) as pilot:
        await select(app, pilot, child.pid)
        await pilot.press("l", "enter")
        await wait_for_text(pilot, path)
        child.kill()
        child.wait()
        screen = await wait_for_text(pilot, f"EXITED: pid {child.pid} is gone")
        assert path in screen  # the last fds read are still shown


async def test_zombie_and_kernel_thread_are_explained(spawn):
    parent = spawn(
        "import os, sys, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    os._exit(0)\n"
        "print(pid, flush=True)\n"
        "time.sleep(120)\n",
        stdout=subprocess.PIPE, text=True,
    )
    zombie = int(parent.stdout.readline())
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await select(app, pilot, zombie)
        await pilot.press("l")
        await wait_for_text(pilot, f"waits for its parent (pid {parent.pid})")
        await wait_for_text(pilot, "FDs: none (zombie)")
        kthreadd = 2
        await wait_for(pilot, lambda: app.table.select_pid(kthreadd), "kthreadd in the list")
        await wait_for_text(pilot, "FDs: none (kernel thread)")
        await pilot.press("i")
        await wait_for_text(pilot, "none (kernel thread)")


async def test_peek_shows_strings_with_secrets_masked(holder):
    child, path, port, sleeper = holder
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(200, 50)) as pilot:
        await select(app, pilot, child.pid)
        await pilot.press("l", "enter")
        await wait_for_text(pilot, path)
        await pilot.press("slash", *os.path.basename(path), "enter")  # the one fd on that file
        await pilot.press("p")
        assert isinstance(app.screen, PeekScreen)
        screen = await wait_for_text(pilot, "hello-peek-marker")
        assert "tail-string" in screen and "end of file" in screen
        assert "hunter2-Secret-Value-99" not in screen and "password=••••" in screen
        await pilot.press("home", "slash", *"tail", "enter")
        assert app.screen.strings.selected.text.strip() == "tail-string"
        await pilot.press("escape")
        assert isinstance(app.screen, ProcessScreen)


async def test_twenty_thousand_fds_render_and_fill_visible_rows(spawn):
    # The hard RLIMIT_NOFILE here is 20,000: the child fills its table up to just below it.
    child = spawn(
        "import os, resource, sys, time\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "limit = min(hard, 20000)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))\n"
        "fd = os.open('/dev/null', os.O_RDONLY)\n"
        "while True:\n"
        "    if os.dup(fd) >= limit - 8: break\n"
        "print(len(os.listdir('/proc/self/fd')) - 1, flush=True)\n"
        "time.sleep(120)\n",
        stdout=subprocess.PIPE, text=True,
    )
    count = int(child.stdout.readline())
    require(count >= 19000, f"RLIMIT_NOFILE allows only {count} fds here")
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, child.pid)
        await pilot.press("l")
        fd_list = app.inspector.fd_list
        await wait_for(pilot, lambda: len(fd_list.rows) == count, f"{count} fd rows")
        await wait_for_text(pilot, f"{count} fds")
        # above the detail limit the table comes without flags; the rows on screen get them
        assert not fd_list.table.detailed
        await wait_for(pilot, lambda: all(f.flags is not None for f in fd_list.visible_rows()), "visible flags")
        await pilot.press("enter", "end")
        drilled = app.screen.inspector.fd_list
        await wait_for(pilot, lambda: drilled.selected.fd > 19000 and drilled.selected.flags is not None,
                       "flags of the last rows after End")  # fmt: skip
        assert sum(1 for f in drilled.table.fds if f.flags is not None) < 2000  # only what was shown


async def test_syscalls_tab_and_system_view_count_getppid(spawn):
    from syswatch.probes.ebpf.counters import SyscallCounter
    from syswatch.probes.ebpf.loader import unavailable_reason

    reason = unavailable_reason()
    require(reason is None, f"eBPF unavailable: {reason}")
    counter = SyscallCounter()
    counter.start(background=False)
    try:
        assert counter.status().state == "on", counter.status().reason
        child = spawn("import os, time\nwhile True:\n    for _ in range(20000):\n        os.getppid()\n"
                      "    time.sleep(0.05)\n")
        app = SyswatchApp(FAST, Monitor(syscalls=counter))
        async with app.run_test(size=(140, 45)) as pilot:
            await select(app, pilot, child.pid)
            await pilot.press("y")
            screen = await wait_for_text(pilot, "getppid")
            assert "usecs/call" in screen and "since syswatch started" in screen
            await pilot.press("Y")
            assert isinstance(app.screen, SyscallsScreen)
            screen = await wait_for_text(pilot, "top processes by syscall rate")
            assert "getppid" in screen and str(child.pid) in screen
            await pilot.press("escape")
            assert not isinstance(app.screen, SyscallsScreen)
    finally:
        counter.close()


async def test_syscalls_tab_says_why_when_ebpf_is_off(secret_child):
    app = SyswatchApp(FAST, Monitor())  # no counter: eBPF is "off: not started"
    async with app.run_test(size=(120, 40)) as pilot:
        await select(app, pilot, secret_child.pid)
        await pilot.press("y")
        await wait_for_text(pilot, "eBPF: off")


async def test_pane_toggles_and_fits_80x24(secret_child):
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(80, 24)) as pilot:
        await select(app, pilot, secret_child.pid)
        await pilot.press("e")
        await wait_for_text(pilot, "variables · 2 masked")
        assert app.table.size.height >= 8  # the list keeps rows for processes
        await pilot.press("v")
        await wait_for_text(pilot, "inspector hidden (v)")
        assert "masked" not in screen_text(app)
        await pilot.press("v")
        await wait_for_text(pilot, "variables · 2 masked")


async def test_demo_host_answers_for_its_own_pids_with_secrets_masked():
    """Screenshots use the demo host: its inspector must show the demo's data, not this
    machine's process with the same pid, and must mask like the live path does."""
    from syswatch.demo import DemoSource

    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        await pilot.press(*"1230", "i", "enter")
        screen = await wait_for_text(pilot, "python3 app.py --port 8080 --db-password=••••")
        assert "s3cr3t" not in screen
        await pilot.press("e")
        screen = await wait_for_text(pilot, "AWS_SECRET_ACCESS_KEY=••••")
        assert "wJalrXUtnFEMI" not in screen and "s3cr3t" not in screen
        await pilot.press("r")  # reveal reads /proc afresh: refused on the demo host
        assert isinstance(app.screen, ProcessScreen)


async def test_clicking_a_tab_title_opens_it():
    from syswatch.demo import DemoSource

    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        await pilot.press(*"1230")
        strip = app.inspector.query_one("#insp-tabs")
        start = next(first for first, _, tab in strip.spans if tab == "env")
        await pilot.click(strip, offset=(start + 2, 0))
        assert app.inspector.tab == "env"
        await wait_for_text(pilot, "AWS_SECRET_ACCESS_KEY=••••")
        await pilot.press("enter")
        drill_strip = app.screen.inspector.query_one("#insp-tabs")
        start = next(first for first, _, tab in drill_strip.spans if tab == "children")
        await pilot.click(drill_strip, offset=(start + 2, 0))
        assert app.screen.inspector.tab == "children"
        await wait_for_text(pilot, "↑↓ move  ")


async def test_a_thread_row_is_inspected_not_taken_for_exited(spawn):
    child = spawn("import threading, time\nthreading.Thread(target=time.sleep, args=(120,)).start()\ntime.sleep(120)\n")
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        await pilot.press("H", "t")  # threads shown, flat list
        def second_thread() -> int | None:
            threads = app.snapshot.threads.items()
            return next((tid for tid, r in threads if r.tgid == child.pid and tid != child.pid), None)

        tid = await wait_for(pilot, second_thread, "the child's second thread in a snapshot")
        await wait_for(pilot, lambda: app.table.select_pid(tid), f"thread {tid} in the list")
        await pilot.press("l")
        await wait_for_text(pilot, f"pid {tid} ")
        await wait_for_text(pilot, "fds: ")
        await pilot.pause(1.0)  # a few ticks
        assert "EXITED" not in screen_text(app)
