"""`Y`: the system-wide syscall view: top syscalls over all processes and the top processes by
syscall rate in the last interval, redrawn at each snapshot from the eBPF counters it carries."""

from __future__ import annotations


from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from syswatch.model import Snapshot

from .tab_syscalls import system_syscalls
from .bindings import in_typed_order


class SyscallsScreen(Screen):
    AUTO_FOCUS = None
    DEFAULT_CSS = """
    SyscallsScreen > #sys-title { height: 1; background: $accent; color: $background; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    SyscallsScreen > VerticalScroll { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,backspace,q,Y", "back", "Back"),
        Binding("up", "scroll(-1)", "Up"),
        Binding("down", "scroll(1)", "Down"),
        Binding("pageup", "scroll(-10)", "Page up"),
        Binding("pagedown", "scroll(10)", "Page down"),
    ]
    BINDINGS = in_typed_order(BINDINGS)

    def __init__(self, snapshot: Snapshot | None) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        yield Static(Text("syscalls, all processes (eBPF counters)   (Esc: back)", no_wrap=True), id="sys-title")
        with VerticalScroll():
            yield Static(id="sys-body")

    def on_mount(self) -> None:
        self.show_snapshot(self.snapshot)

    def show_snapshot(self, snapshot: Snapshot | None) -> None:
        self.snapshot = snapshot
        self.query_one("#sys-body", Static).update(system_syscalls(snapshot))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
