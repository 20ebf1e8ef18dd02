"""The main screen driven with Textual's pilot, on the live monitor and real child processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from dataclasses import replace

import pytest

from syswatch.config import Config
from syswatch.demo import DemoSource
from syswatch.monitor import Monitor
from syswatch.tui.app import SyswatchApp
from syswatch.tui.dialogs import ConfirmScreen, HelpScreen, PickScreen

FAST = replace(Config(), interval=0.2)


async def first_snapshot(app: SyswatchApp, pilot, pid: int | None = None) -> None:
    """Wait until the app has shown a snapshot (containing `pid`, when given)."""
    for _ in range(100):
        await pilot.pause(0.05)
        if app.snapshot is not None and (pid is None or pid in app.snapshot.processes):
            return
    raise AssertionError("no snapshot reached the UI")


def shown_pids(app: SyswatchApp) -> list[int]:
    return [row.record.pid for row in app.table.rows]


@pytest.fixture
def marked_child():
    """A real sleeping process with a unique word in its command line."""
    marker = f"syswatch-test-{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])
    yield child, marker
    if child.poll() is None:
        child.kill()
    child.wait()


async def test_filter_search_and_kill_a_real_process(marked_child):
    child, marker = marked_child
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        # filter: only the marked child (and, in the tree, its ancestors as context) remain
        await pilot.press("backslash", *marker, "enter")
        await pilot.pause(0.1)
        matching = [row for row in app.table.rows if not row.context_only]
        assert [row.record.pid for row in matching] == [child.pid]
        assert app.table.selected is not None
        # flat view drops the context rows
        await pilot.press("t")
        assert shown_pids(app) == [child.pid]
        # kill: signal menu, SIGTERM first, then a confirmation that names the process
        await pilot.press("k")
        assert isinstance(app.screen, PickScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert str(child.pid) in "\n".join(app.screen.details)
        await pilot.press("y")
        assert child.wait(timeout=5) == -signal.SIGTERM


async def test_kill_needs_confirmation(marked_child):
    child, marker = marked_child
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        await pilot.press("t")  # flat
        for digit in str(child.pid):
            await pilot.press(digit)
        assert app.table.selected.pid == child.pid
        await pilot.press("f9", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert child.poll() is None, "Esc at the confirmation must not send the signal"


async def test_read_only_removes_kill(marked_child):
    child, _ = marked_child
    app = SyswatchApp(replace(FAST, read_only=True), Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        app.table.select_pid(child.pid)
        await pilot.press("k")
        await pilot.press("f9")
        assert not isinstance(app.screen, (PickScreen, ConfirmScreen))
        assert child.poll() is None


async def test_search_moves_to_matches_and_wraps(marked_child):
    child, marker = marked_child
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        await pilot.press("slash", *marker, "enter")
        assert app.table.selected.pid == child.pid
        await pilot.press("down", "down", "n")  # next match wraps back to the only match
        assert app.table.selected.pid == child.pid


async def test_tree_shows_real_parent_child_links(spawn):
    parent = spawn(
        "import subprocess, sys, time\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']) for _ in range(2)]\n"
        "time.sleep(60)\n"
    )
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            snap = app.snapshot
            if snap and sum(1 for p in snap.processes.values() if p.ppid == parent.pid) == 2:
                break
        rows = app.table.rows
        index = next(i for i, row in enumerate(rows) if row.record.pid == parent.pid)
        kids = rows[index + 1 : index + 3]
        assert all(row.record.ppid == parent.pid for row in kids)
        assert kids[0].prefix.endswith("├─") and kids[1].prefix.endswith("└─")


async def test_sort_keys_and_invert():
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        await pilot.press("t")  # flat
        cpu = [row.record.cpu_percent for row in app.table.rows]
        assert cpu == sorted(cpu, reverse=True)
        await pilot.press("I")
        cpu = [row.record.cpu_percent for row in app.table.rows]
        assert cpu == sorted(cpu)
        await pilot.press("less_than_sign")  # one column left of CPU%: S
        assert app.options.sort_column == "state"
        await pilot.press("f6")
        assert isinstance(app.screen, PickScreen)
        await pilot.press("home", "enter")
        assert app.options.sort_column == "pid"
        assert shown_pids(app) == sorted(shown_pids(app))


async def test_user_filter_tag_and_follow():
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        await pilot.press("u")
        menu = app.screen
        assert isinstance(menu, PickScreen)
        users = [option_id for option_id, _ in menu.options]
        await pilot.press(*["down"] * users.index("www-data"), "enter")
        assert {row.record.user for row in app.table.rows if not row.context_only} == {"www-data"}
        await pilot.press("u", "home", "enter")  # all users again
        await pilot.press("t")
        await pilot.press("space")
        assert len(app.table.tagged) == 1
        await pilot.press("U")
        assert not app.table.tagged
        app.table.move_cursor(3)
        followed = app.table.selected.pid
        await pilot.press("F")
        await pilot.press("I")  # re-sort: the followed process keeps the cursor
        assert app.table.selected.pid == followed


async def test_containers_are_labelled_and_shims_point_at_them():
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(160, 40)) as pilot:
        await first_snapshot(app, pilot)
        table = app.table
        api = next(row.record for row in table.rows if row.record.pid == 1230)
        assert table._cell_text(api, "container") == "api"
        shim = next(row.record for row in table.rows if row.record.pid == 1102)
        assert table._cell_text(shim, "container").startswith("↳")
        line = table.render_line(1 + table.index_of(1230) - round(table.scroll_y)).text
        assert "s3cr3t" not in line, "a password in a command line must be masked on screen"


async def test_help_and_too_small_terminal():
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(50, 12)) as pilot:
        await first_snapshot(app, pilot)
        notice = app.query_one("#too-small")
        assert notice.display and "too small" in str(notice.render())
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(80, 24)) as pilot:
        await first_snapshot(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_threads_toggle_reads_threads(spawn):
    child = spawn(
        "import threading, time\n"
        "for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "time.sleep(60)\n"
    )
    app = SyswatchApp(FAST, Monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot, child.pid)
        await pilot.press("H")
        for _ in range(100):
            await pilot.pause(0.05)
            threads = [row.record for row in app.table.rows if row.record.is_thread and row.record.tgid == child.pid]
            if len(threads) == 3:
                break
        assert len(threads) == 3
        assert all(t.ppid == child.pid for t in threads)


async def test_ten_thousand_rows_reach_the_end():
    """10,000 processes: End reaches the last row and only the visible lines are drawn (bench/ times it)."""
    from syswatch.demo import demo_snapshot

    base = demo_snapshot()
    template = base.processes[1160]
    many = {pid: replace(template, pid=pid, tgid=pid, ppid=1125) for pid in range(10_000, 20_000)}
    snapshot = replace(base, processes={**base.processes, **many})

    class Source(DemoSource):
        def tick(self):
            return snapshot

    app = SyswatchApp(FAST, Source())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        assert len(app.table.rows) > 10_000
        await pilot.press("end")
        assert app.table.cursor == len(app.table.rows) - 1
        rendered = [app.table.render_line(y) for y in range(app.table.size.height)]
        assert len(rendered) == app.table.size.height


async def test_keys_typed_in_a_burst_keep_their_order():
    """A paste or a fast typist: `\\nginx<Enter>t` filters on "nginx", closes the prompt, then flips to flat.
    (Keys posted at once, as a terminal delivers them in one read; pilot.press would wait between keys.)"""
    from textual import events

    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        for key, character in [("backslash", "\\"), *[(c, c) for c in "nginx"], ("enter", "\r"), ("t", "t")]:
            app.post_message(events.Key(key, character))
        await pilot.pause(0.3)
        assert app.options.filter_text == "nginx"
        assert app.prompt_mode is None
        assert app.options.tree is False
        assert {row.record.comm for row in app.table.rows} == {"nginx"}
        assert not app.table.tagged, "no key of the burst may leak into list actions (c tags, k kills)"


async def test_config_keymap_remaps_a_binding_by_id():
    from types import MappingProxyType

    app = SyswatchApp(replace(FAST, keymap=MappingProxyType({"toggle_tree": "z"})), DemoSource())
    async with app.run_test(size=(120, 40)) as pilot:
        await first_snapshot(app, pilot)
        assert app.options.tree
        await pilot.press("z")
        assert not app.options.tree
        await pilot.press("t")  # the old key no longer toggles
        assert not app.options.tree


async def test_80_columns_keep_the_command_visible():
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(80, 24)) as pilot:
        await first_snapshot(app, pilot)
        table = app.table
        header = table.render_line(0).text
        assert "COMMAND" in header and "CPU%" in header and "SYSC/s" in header
        assert "TOP SYSCALL" not in header  # the first to give way
        first_row = table.render_line(1).text
        assert "/sbin/init" in first_row
    app = SyswatchApp(FAST, DemoSource())
    async with app.run_test(size=(200, 40)) as pilot:
        await first_snapshot(app, pilot)
        assert "TOP SYSCALL" in app.table.render_line(0).text  # wide: every column
