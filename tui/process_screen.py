"""Enter on a process: the full-screen drill-down with the inspector's tabs plus Threads and
Children. Here the keys work inside the tabs: move through fds and variables, filter fds by
kind, search, reveal one secret after a confirmation, peek into a regular file.
Backspace, Esc or q go back to the list.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from syswatch.inspect import reveal_env
from syswatch.model import ProcessRecord, Snapshot
from syswatch.probes.fds import FdKind, PeerIndex

from .dialogs import ConfirmScreen
from .inspector import DRILL_TABS, Inspector
from .line_prompt import LinePrompt
from .peek_screen import PeekScreen
from .bindings import in_typed_order

PEEKABLE = (FdKind.FILE, FdKind.MEMFD)
TAB_HINTS = {
    "fds": "↑↓ move · f kind · s sort · / search · p/Enter peek",
    "env": "↑↓ move · / search · r reveal the selected value",
    "info": "↑↓ scroll",
    "syscalls": "↑↓ scroll",
    "threads": "↑↓ move",
    "children": "↑↓ move",
}


class ProcessScreen(Screen):
    AUTO_FOCUS = None  # keys go to this screen's bindings, not to a scroll view
    DEFAULT_CSS = """
    ProcessScreen > #ps-title { height: 1; background: $accent; color: $background; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ProcessScreen > #ps-keys { height: 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back"),
        *(Binding(tab.key, f"tab('{tab.id}')", tab.title) for tab in DRILL_TABS),
        Binding("up", "move(-1)", "Up"),
        Binding("down", "move(1)", "Down"),
        Binding("pageup", "move(-1, True)", "Page up"),
        Binding("pagedown", "move(1, True)", "Page down"),
        Binding("home", "move_to(False)", "First"),
        Binding("end", "move_to(True)", "Last"),
        Binding("f", "kind", "Kind"),
        Binding("s", "sort", "Sort"),
        Binding("slash,f3", "search", "Search"),
        Binding("r", "reveal", "Reveal"),
        Binding("p,enter", "peek", "Peek"),
    ]
    BINDINGS = in_typed_order(BINDINGS)

    def __init__(self, record: ProcessRecord, snapshot: Snapshot | None, tab: str, peers: PeerIndex,
                 show_secrets: bool, reader=None) -> None:  # fmt: skip
        super().__init__()
        self.reader = reader
        self.record = record
        self.first_snapshot = snapshot
        self.first_tab = tab
        self.peers = peers
        self.show_secrets = show_secrets

    def compose(self) -> ComposeResult:
        yield Static(id="ps-title")
        yield Inspector(DRILL_TABS, self.peers, self.show_secrets, interactive=True, reader=self.reader, id="drill")
        yield LinePrompt(id="ps-prompt")
        yield Static(id="ps-keys")

    @property
    def inspector(self) -> Inspector:
        return self.query_one(Inspector)

    @property
    def prompt(self) -> LinePrompt:
        return self.query_one(LinePrompt)

    def on_mount(self) -> None:
        inspector = self.inspector
        inspector.tab = self.first_tab
        if self.first_snapshot is not None:
            inspector.snapshot = self.first_snapshot
        inspector.follow(self.record)
        inspector.set_tab(self.first_tab)
        self.query_one("#ps-title", Static).update(
            Text(f"pid {self.record.pid} · {self.record.comm} · {self.record.user}   (Esc/Backspace: back to the list)",
                 no_wrap=True, overflow="ellipsis")  # fmt: skip
        )
        self._update_keys()

    def on_screen_resume(self) -> None:
        self.inspector.load()  # back from a peek or a confirmation: refresh what is shown

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.inspector.show_snapshot(snapshot)

    def _update_keys(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        for tab in DRILL_TABS:
            line.append(tab.key, style="reverse bold")
            line.append(f"{tab.title} ")
        line.append(" " + TAB_HINTS.get(self.inspector.tab, ""), style="dim")
        line.append("  ")
        line.append("Esc", style="reverse bold")
        line.append("Back")
        self.query_one("#ps-keys", Static).update(line)

    # ----- keys -------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.prompt.is_open:
            event.stop()
            self.prompt.key(event)
            return
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.prompt.is_open

    def action_back(self) -> None:
        self.dismiss(None)

    def on_tab_strip_chosen(self) -> None:
        self._update_keys()

    def action_tab(self, tab: str) -> None:
        self.inspector.set_tab(tab)
        self._update_keys()

    def action_move(self, step: int, page: bool = False) -> None:
        self.inspector.move(step, page)

    def action_move_to(self, end: bool) -> None:
        self.inspector.move_to(end)

    def _in_fds(self) -> bool:
        if self.inspector.tab != "fds":
            self.notify("f, s and p work in the FDs tab (l)", timeout=3)
            return False
        return True

    def action_kind(self) -> None:
        if self._in_fds():
            self.inspector.fd_list.cycle_kind()
            self.inspector.load()

    def action_sort(self) -> None:
        if self._in_fds():
            self.inspector.fd_list.cycle_sort()
            self.inspector.load()

    def action_search(self) -> None:
        inspector = self.inspector
        if inspector.tab not in ("fds", "env"):
            self.notify("/ searches in the FDs (l) and Env (e) tabs", timeout=3)
            return
        widget = inspector.fd_list if inspector.tab == "fds" else inspector.env_list

        def changed(value: str) -> None:
            widget.set_text(value)
            inspector.load()

        def closed(value: str, cancelled: bool) -> None:
            if cancelled:
                changed("")

        self.prompt.open("Search", widget.text, "Enter keeps · Esc clears", changed, closed)

    def _live(self) -> bool:
        """Reveal and peek read /proc afresh: not for the demo host, whose pids are not this machine's."""
        if self.reader is not None:
            self.notify("not available on the demo host", timeout=3)
        return self.reader is None

    def action_reveal(self) -> None:
        inspector = self.inspector
        if not self._live():
            return
        if inspector.tab != "env":
            self.notify("r reveals a secret in the Env tab (e)", timeout=3)
            return
        var = inspector.env_list.selected
        if var is None or not var.masked or var.name in inspector.revealed:
            self.notify("the selected value is not masked", timeout=3)
            return
        pid, key = inspector.pid, inspector.key
        question = f"Reveal {var.name} of pid {pid} ({self.record.comm})?"
        details = [f"It looks like a secret: {var.secret}.", "Its value will be shown here in clear text."]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(partial(self._reveal, key, var.name), thread=True, exit_on_error=False)

        self.app.push_screen(ConfirmScreen(question, details), confirmed)

    def _reveal(self, key: tuple[int, float], name: str) -> None:
        """On a worker thread: read the one value afresh."""
        try:
            value = reveal_env(key[0], name)
            error = None if value is not None else f"{name} is no longer in the environment"
        except OSError as failure:
            value, error = None, f"cannot read the environment: {failure.strerror or failure}"
        try:
            self.app.call_from_thread(self._revealed, key, name, value, error)
        except RuntimeError:
            pass  # the app is shutting down

    def _revealed(self, key: tuple[int, float], name: str, value: str | None, error: str | None) -> None:
        if error is not None:
            self.notify(error, severity="error")
        elif key == self.inspector.key and value is not None:
            self.inspector.reveal(name, value)

    def action_peek(self) -> None:
        if not self._in_fds() or not self._live():
            return
        info = self.inspector.fd_list.selected
        if info is None or info.kind not in PEEKABLE:
            self.notify("peek works on regular files (kind file or memfd)", timeout=3)
            return
        if self.inspector.exited:
            self.notify("the process has exited: its files are closed", severity="warning")
            return
        self.app.push_screen(PeekScreen(self.record.pid, info.fd, info.target, self.show_secrets))
