"""The syswatch Textual app: main screen with header, process list, status line and key bar.

A background thread ticks the snapshot source (the live Monitor, or a fixed demo snapshot
for screenshots) and posts each immutable Snapshot to the UI; widgets never read /proc.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Protocol

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Static

from syswatch.config import Config
from syswatch.model import ProcessRecord, Snapshot
from syswatch.monitor import tick_forever
from syswatch.probes.fds import PeerIndex
from syswatch.themes import THEMES, choose_theme

from .bindings import in_typed_order
from .dialogs import ConfirmScreen, HelpScreen, PickScreen, signal_choices
from .header import HostHeader
from .inspector import PANE_TABS, Inspector
from .keybar import KeyBar
from .process_screen import ProcessScreen
from .process_table import ProcessTable
from .syscalls_screen import SyscallsScreen
from .terminal import screen_on_own_fd
from .view import COLUMNS, ViewOptions, matches

MIN_WIDTH, MIN_HEIGHT = 60, 15
PID_TYPING_WINDOW = 1.5  # seconds within which digits add up to one pid


class SnapshotSource(Protocol):
    include_threads: bool

    def start(self) -> None: ...  # start slow probes (eBPF); called once the first frame is up

    def tick(self) -> Snapshot: ...


class SnapshotReady(Message):
    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


MAIN_SCREEN_ACTIONS = frozenset(
    {"help", "search", "search_step", "filter", "toggle_tree", "sort_menu", "sort_step", "invert_sort",
     "user_menu", "toggle_threads", "toggle_kernel_threads", "tag", "tag_children", "untag_all", "kill",
     "follow", "quit", "cursor", "page", "cursor_to", "scroll_columns", "pid_digit", "inspector_tab",
     "toggle_inspector", "drill_down", "syscalls_screen"}
)


class SyswatchApp(App):
    TITLE = "syswatch"
    CSS = """
    #main { height: 1fr; }
    #inspector { height: 45%; min-height: 7; max-height: 30; }
    #inspector.hidden { display: none; }
    #status { height: 1; background: $surface; color: $foreground 80%; padding: 0 1; }
    #prompt { height: 1; padding: 0 1; background: $panel; display: none; }
    #prompt.visible { display: block; }
    #too-small { display: none; content-align: center middle; height: 1fr; text-style: bold; }
    """
    # Every key is a priority binding, so the app handles keys in the order they were typed, even
    # in a burst (a paste, a fast typist, tmux send-keys): "\\nginx" must open the filter before "n"
    # arrives, or "n" would be forwarded to the list. While the prompt or a dialog is open,
    # check_action turns these off and keys go to the focused widget.
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("f3,slash", "search", "Search", id="search"),
        Binding("n", "search_step(1)", "Next match", id="search_next"),
        Binding("N,shift+f3", "search_step(-1)", "Previous match", id="search_previous"),
        Binding("f4,backslash", "filter", "Filter", id="filter"),
        Binding("f5,t", "toggle_tree", "Tree", id="toggle_tree"),
        Binding("f6", "sort_menu", "Sort", id="sort_menu"),
        Binding("less_than_sign", "sort_step(-1)", "Sort left", id="sort_left"),
        Binding("greater_than_sign", "sort_step(1)", "Sort right", id="sort_right"),
        Binding("I", "invert_sort", "Invert", id="invert_sort"),
        Binding("u", "user_menu", "User", id="user_filter"),
        Binding("H", "toggle_threads", "Threads", id="toggle_threads"),
        Binding("K", "toggle_kernel_threads", "Kernel threads", id="toggle_kernel_threads"),
        Binding("space", "tag", "Tag", id="tag"),
        Binding("c", "tag_children", "Tag children", id="tag_children"),
        Binding("U", "untag_all", "Untag all", id="untag_all"),
        Binding("f9,k", "kill", "Kill", id="kill"),
        Binding("F", "follow", "Follow", id="follow"),
        Binding("f10,q", "quit", "Quit", id="quit"),
        Binding("up", "cursor(-1)", "Up", id="cursor_up"),
        Binding("down", "cursor(1)", "Down", id="cursor_down"),
        Binding("pageup", "page(-1)", "Page up", id="page_up"),
        Binding("pagedown", "page(1)", "Page down", id="page_down"),
        Binding("home", "cursor_to(0)", "First", id="first"),
        Binding("end", "cursor_to(-1)", "Last", id="last"),
        Binding("left", "scroll_columns(-8)", "Scroll left", id="scroll_left"),
        Binding("right", "scroll_columns(8)", "Scroll right", id="scroll_right"),
        *(Binding(str(d), f"pid_digit({d})", "Jump to pid", id=f"pid_digit_{d}") for d in range(10)),
        *(Binding(t.key, f"inspector_tab('{t.id}')", t.title, id=f"inspector_{t.id}") for t in PANE_TABS),
        Binding("v", "toggle_inspector", "Inspector", id="toggle_inspector"),
        Binding("enter", "drill_down", "Drill down", id="drill_down"),
        Binding("Y", "syscalls_screen", "Syscalls", id="syscalls_screen"),
    ]
    BINDINGS = in_typed_order(BINDINGS)

    def __init__(self, config: Config, source: SnapshotSource, config_errors: list[str] | None = None) -> None:
        theme_key = choose_theme(config.theme)  # before App.__init__, which consumes NO_COLOR
        super().__init__()
        self.config = config
        self.source = source
        self.config_errors = config_errors or []
        self.options = ViewOptions(columns=tuple(config.columns))
        self.snapshot: Snapshot | None = None
        self.prompt_mode: str | None = None  # "search" | "filter" while the prompt is open
        self.search_text = ""
        self._pid_digits = ""
        self._pid_digits_at = 0.0
        self._stop = threading.Event()
        self.peers = PeerIndex()  # shared by the pane and the drill-down: pipe pairing scans are cached
        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = THEMES[theme_key].name

    # ----- layout and data flow ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="main"):
            yield HostHeader(id="header")
            yield ProcessTable(self.options, id="processes")
            yield Inspector(
                peers=self.peers, show_secrets=self.config.show_secrets, reader=self._reader(), id="inspector"
            )
            yield Static(id="prompt")
            yield Static(id="status")
            yield KeyBar(read_only=self.config.read_only, id="keybar")
        yield Static(id="too-small")

    @property
    def table(self) -> ProcessTable:
        return self.query_one(ProcessTable)

    @property
    def inspector(self) -> Inspector:
        return self.query_one("#inspector", Inspector)

    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
        for error in self.config_errors:
            self.notify(error, title="config", severity="warning", timeout=10)
        self.table.focus()
        threading.Thread(target=self._tick_loop, name="syswatch-monitor", daemon=True).start()

    def _tick_loop(self) -> None:
        tick_forever(
            self.source.tick,
            self.config.interval,
            lambda snapshot: self.post_message(SnapshotReady(snapshot)),
            self._stop,
            lambda error: self.call_from_thread(self.notify, f"refresh failed: {error}", severity="error"),
        )

    def on_unmount(self) -> None:
        self._stop.set()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if self.snapshot is None:
            self.call_after_refresh(self.source.start)  # eBPF loads once the first frame is drawn
        self.snapshot = message.snapshot
        try:
            self.query_one(HostHeader).show(message.snapshot)
            self.table.show(message.snapshot)
            self.inspector.show_snapshot(message.snapshot)
            for screen in self.screen_stack[1:]:
                if isinstance(screen, (ProcessScreen, SyscallsScreen)):
                    screen.show_snapshot(message.snapshot)
            self._update_status()
        except NoMatches:
            pass  # a tick that lands while the app shuts down finds its widgets already removed

    def on_resize(self, event: events.Resize) -> None:
        too_small = event.size.width < MIN_WIDTH or event.size.height < MIN_HEIGHT
        self.query_one("#main").display = not too_small
        notice = self.query_one("#too-small", Static)
        notice.display = too_small
        notice.update(
            f"Terminal too small: {event.size.width}×{event.size.height}.\n"
            f"syswatch needs at least {MIN_WIDTH}×{MIN_HEIGHT}; q quits."
        )

    def _update_status(self, notice: str = "") -> None:
        options = self.options
        parts = []
        column = COLUMNS[options.sort_column]
        parts.append(f"{'tree' if options.tree else 'flat'}, sort {column.title}{'▼' if options.descending() else '▲'}")
        if options.filter_text:
            parts.append(f"filter “{options.filter_text}”")
        if options.user:
            parts.append(f"user {options.user}")
        if options.show_threads:
            parts.append("threads shown")
        if options.hide_kernel_threads:
            parts.append("kernel threads hidden")
        if self.table.follow_pid is not None:
            parts.append(f"following {self.table.follow_pid}")
        if self.table.tagged:
            parts.append(f"{len(self.table.tagged)} tagged")
        if self.inspector.has_class("hidden"):
            parts.append("inspector hidden (v)")
        parts.append(f"{len(self.table.rows)} shown")
        if notice:
            parts.append(notice)
        self.query_one("#status", Static).update(Text(" · ".join(parts), no_wrap=True, overflow="ellipsis"))

    def _rebuild(self, notice: str = "", keep_pid: int | None = None) -> None:
        self.table.rebuild(keep_pid=keep_pid)
        self._update_status(notice)

    # ----- search and filter ------------------------------------------------------------------

    # The search/filter prompt is edited here, key by key, in the order keys arrive (see on_event):
    # a focused Input would receive keys asynchronously and a fast "\\nginx<Enter>t" would lose keys.

    def _open_prompt(self, mode: str, value: str) -> None:
        self.prompt_mode = mode
        self.query_one("#prompt").add_class("visible")
        self._prompt_changed(value)

    def close_prompt(self, cancelled: bool) -> None:
        if cancelled and self.prompt_mode == "filter":
            self.options.filter_text = ""
            self._rebuild(keep_pid=self._selected_pid())
        self.prompt_mode = None
        self.query_one("#prompt").remove_class("visible")

    def _prompt_text(self) -> str:
        return self.search_text if self.prompt_mode == "search" else self.options.filter_text

    def _prompt_changed(self, value: str) -> None:
        label = "Search" if self.prompt_mode == "search" else "Filter"
        hint = "Enter keeps · Esc cancels" if self.prompt_mode == "search" else "Enter keeps · Esc clears"
        line = Text(f"{label}: ", style="bold")
        line.append(value)
        line.append("▏", style="blink")
        line.append(f"   {hint}", style="dim")
        self.query_one("#prompt", Static).update(line)
        if self.prompt_mode == "search":
            self.search_text = value
            self._search_from(self.table.cursor, 1)
        else:
            self.options.filter_text = value
            self._rebuild(keep_pid=self._selected_pid())

    def _prompt_key(self, event: events.Key) -> None:
        text = self._prompt_text()
        if event.key == "enter":
            self.close_prompt(cancelled=False)
        elif event.key == "escape":
            self.close_prompt(cancelled=True)
        elif event.key in ("backspace", "ctrl+h"):
            self._prompt_changed(text[:-1])
        elif event.key == "ctrl+u":
            self._prompt_changed("")
        elif event.key in ("f3", "down") and self.prompt_mode == "search":
            self._search_from(self.table.cursor + 1, 1)
        elif event.is_printable and event.character:
            self._prompt_changed(text + event.character)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.prompt_mode is not None and len(self.screen_stack) == 1:
            self._prompt_key(event)
            return
        await super().on_event(event)

    def action_search(self) -> None:
        self._open_prompt("search", self.search_text)

    def action_filter(self) -> None:
        self._open_prompt("filter", self.options.filter_text)

    def action_search_step(self, step: int) -> None:
        if self.search_text:
            self._search_from(self.table.cursor + step, step)

    def _search_from(self, start: int, step: int) -> None:
        rows = self.table.rows
        if not rows or not self.search_text:
            return
        for offset in range(len(rows)):
            index = (start + offset * step) % len(rows)
            if matches(rows[index].record, self.search_text):
                self.table.move_cursor(index, follow=True)
                self._update_status()
                return
        self._update_status(f"no match for “{self.search_text}”")

    # ----- view options -----------------------------------------------------------------------

    def _selected_pid(self) -> int | None:
        record = self.table.selected
        return record.pid if record else None

    def action_toggle_tree(self) -> None:
        self.options.tree = not self.options.tree
        self._rebuild(keep_pid=self._selected_pid())

    def _sortable_columns(self) -> list[str]:
        return [c for c in self.options.columns if c in COLUMNS]

    def action_sort_step(self, step: int) -> None:
        columns = self._sortable_columns()
        current = columns.index(self.options.sort_column) if self.options.sort_column in columns else 0
        self._set_sort(columns[(current + step) % len(columns)])

    def _set_sort(self, column_id: str) -> None:
        self.options.sort_column = column_id
        self.options.invert = False
        self._rebuild(keep_pid=self._selected_pid())

    def action_sort_menu(self) -> None:
        columns = self._sortable_columns()
        current = columns.index(self.options.sort_column) if self.options.sort_column in columns else 0
        choices = [(c, COLUMNS[c].title) for c in columns]

        def chosen(column_id: str | None) -> None:
            if column_id:
                self._set_sort(column_id)

        self.push_screen(PickScreen("Sort by", choices, current), chosen)

    def on_process_table_header_clicked(self, event: ProcessTable.HeaderClicked) -> None:
        if event.column_id == self.options.sort_column:
            self.action_invert_sort()
        else:
            self._set_sort(event.column_id)

    def action_invert_sort(self) -> None:
        self.options.invert = not self.options.invert
        self._rebuild(keep_pid=self._selected_pid())

    def action_user_menu(self) -> None:
        if self.snapshot is None:
            return
        users = sorted({p.user for p in self.snapshot.processes.values()})
        choices = [("*", "All users")] + [(u, u) for u in users]
        current = users.index(self.options.user) + 1 if self.options.user in users else 0

        def chosen(user: str | None) -> None:
            if user is None:
                return
            self.options.user = None if user == "*" else user
            self._rebuild(keep_pid=self._selected_pid())

        self.push_screen(PickScreen("Show processes of", choices, current), chosen)

    def action_toggle_threads(self) -> None:
        self.options.show_threads = not self.options.show_threads
        self.source.include_threads = self.options.show_threads
        self._update_status("threads appear at the next refresh" if self.options.show_threads else "")

    def action_toggle_kernel_threads(self) -> None:
        self.options.hide_kernel_threads = not self.options.hide_kernel_threads
        self._rebuild(keep_pid=self._selected_pid())

    def action_follow(self) -> None:
        pid = self._selected_pid()
        self.table.follow_pid = None if self.table.follow_pid == pid else pid
        self._update_status()

    # ----- tagging and kill -------------------------------------------------------------------

    def action_tag(self) -> None:
        record = self.table.selected
        if record is None:
            return
        self.table.tagged ^= {record.pid}
        self.table.move_cursor(self.table.cursor + 1)
        self._update_status()

    def action_tag_children(self) -> None:
        record = self.table.selected
        if record is None or self.snapshot is None:
            return
        children = self.snapshot.children_of()
        pending = [record.pid]
        while pending:
            pid = pending.pop()
            self.table.tagged.add(pid)
            pending.extend(children.get(pid, ()))
        self.table.refresh()
        self._update_status()

    def action_untag_all(self) -> None:
        self.table.tagged.clear()
        self.table.refresh()
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "kill" and self.config.read_only:
            return False  # --read-only removes kill entirely: no binding, no key bar entry
        if action in MAIN_SCREEN_ACTIONS and (self.prompt_mode is not None or len(self.screen_stack) > 1):
            return False  # the prompt or a dialog has the keyboard
        return True

    def _kill_targets(self) -> list[ProcessRecord]:
        if self.snapshot is None:
            return []
        if self.table.tagged:
            procs = {**self.snapshot.processes, **self.snapshot.threads}
            return [procs[pid] for pid in sorted(self.table.tagged) if pid in procs]
        record = self.table.selected
        return [record] if record else []

    def action_kill(self) -> None:
        targets = self._kill_targets()
        if not targets:
            return
        signals = signal_choices()
        title = f"Send a signal to {len(targets)} process{'es' if len(targets) > 1 else ''}"
        choices = [(str(number), f"{number:>2} {name}") for name, number in signals]

        def signal_chosen(choice: str | None) -> None:
            if choice is None:
                return
            number = int(choice)
            name = next(n for n, num in signals if num == number)
            details = [f"{r.pid:>7} {r.user:<9} {r.command[:50]}" for r in targets]
            question = f"Send {name} ({number}) to {len(targets)} process{'es' if len(targets) > 1 else ''}?"

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._send_signal(targets, number, name)

            self.push_screen(ConfirmScreen(question, details), confirmed)

        self.push_screen(PickScreen(title, choices, 0), signal_chosen)

    def _send_signal(self, targets: list[ProcessRecord], number: int, name: str) -> None:
        sent, failed = 0, []
        current = self.snapshot.processes if self.snapshot else {}
        for record in targets:
            live = current.get(record.pid)
            # The pid may have been reused since the user looked at it: never signal a stranger.
            if not record.is_thread and (live is None or abs(live.start_time - record.start_time) > 0.5):
                failed.append(f"{record.pid}: exited")
                continue
            try:
                os.kill(record.pid, number)
                sent += 1
            except OSError as error:
                failed.append(f"{record.pid}: {error.strerror}")
        self.table.tagged.clear()
        message = f"{name} sent to {sent} process{'es' if sent != 1 else ''}"
        if failed:
            message += "; failed: " + ", ".join(failed)
        self.notify(message, severity="error" if failed else "information")
        self._update_status()

    # ----- navigation --------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self.table.move_cursor(self.table.cursor + step)

    def action_page(self, direction: int) -> None:
        self.table.move_cursor(self.table.cursor + direction * self.table.page_rows)

    def action_cursor_to(self, index: int) -> None:
        self.table.move_cursor(index if index >= 0 else len(self.table.rows) - 1)

    def action_scroll_columns(self, step: int) -> None:
        self.table.scroll_to(x=max(0, round(self.table.scroll_x) + step), animate=False)

    # ----- inspector ---------------------------------------------------------------------------

    def _reader(self):
        """The demo host answers for its own processes; otherwise the inspector reads /proc."""
        return getattr(self.source, "inspect", None)

    def on_process_table_highlighted(self, event: ProcessTable.Highlighted) -> None:
        self.inspector.follow(event.record)

    def action_inspector_tab(self, tab: str) -> None:
        self.inspector.remove_class("hidden")
        self.inspector.set_tab(tab)
        self._update_status()

    def action_toggle_inspector(self) -> None:
        self.inspector.toggle_class("hidden")
        self.inspector.load()
        self._update_status()

    def action_drill_down(self) -> None:
        record = self.table.selected
        if record is None:
            return
        self.push_screen(
            ProcessScreen(
                record, self.snapshot, self.inspector.tab, self.peers, self.config.show_secrets, self._reader()
            )
        )

    def action_syscalls_screen(self) -> None:
        self.push_screen(SyscallsScreen(self.snapshot))

    # ----- help, pid typing -------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pid_digit(self, digit: int) -> None:
        now = time.monotonic()
        if now - self._pid_digits_at > PID_TYPING_WINDOW:
            self._pid_digits = ""
        self._pid_digits += str(digit)
        self._pid_digits_at = now
        self._jump_to_pid(self._pid_digits)

    def _jump_to_pid(self, digits: str) -> None:
        rows = self.table.rows
        exact = self.table.index_of(int(digits))
        index = exact
        if index is None:
            index = next((i for i, row in enumerate(rows) if str(row.record.pid).startswith(digits)), None)
        if index is None:
            self._update_status(f"no pid {digits}")
            return
        self.table.move_cursor(index, follow=True)
        self._update_status(f"pid {digits}")


def run_app(config: Config, config_errors: list[str] | None = None) -> int:
    from syswatch.monitor import Monitor
    from syswatch.probes.ebpf.counters import SyscallCounter
    from syswatch.probes.ebpf.events import EventStream

    # The app starts both after its first frame; the header says "eBPF: loading…" till then.
    counter, events = SyscallCounter(), EventStream()
    try:
        with screen_on_own_fd():
            SyswatchApp(config, Monitor(syscalls=counter, events=events), config_errors).run()
    finally:
        events.close()
        counter.close()
    return 0
