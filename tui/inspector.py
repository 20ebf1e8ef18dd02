"""The inspector: tabs Syscalls, FDs, Env, Info (and in the drill-down, Threads and Children)
for one process, following the process list's selection.

Only the tab on screen is read, on a Textual thread worker (`inspect_process` with that one
section), when the selection settles (debounced) and again at each snapshot tick while the
inspector is visible. Widgets never read /proc. A section that cannot be read says why in
place of its data; a process that exits keeps its last data under an "exited" banner.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static

from syswatch.inspect import Inspection, ProcessNotFound, inspect_process
from syswatch.model import ProcessRecord, Snapshot
from syswatch.probes.fds import FdTable, PeerIndex, fill_details

from .tab_env import EnvList
from .tab_fds import FdList
from .tab_info import info_renderable
from .tab_list import LineList
from .tab_syscalls import process_syscalls
from .tab_tasks import ChildList, ThreadList, descendants, read_threads
from .view import command_text


@dataclass(frozen=True, slots=True)
class Tab:
    id: str
    title: str
    key: str  # the letter that opens it


PANE_TABS = (Tab("syscalls", "Syscalls", "y"), Tab("fds", "FDs", "l"), Tab("env", "Env", "e"), Tab("info", "Info", "i"))
DRILL_TABS = PANE_TABS + (Tab("threads", "Threads", "h"), Tab("children", "Children", "c"))
READ_SECTIONS = ("fds", "env", "info", "threads")  # read on a worker; syscalls and children come from the snapshot
DEBOUNCE = 0.15  # seconds the selection must rest before it is read (holding ↓ reads nothing)
# (pid, section, show_secrets) -> an Inspection (threads: a list of ThreadRow); raises ProcessNotFound
SectionReader = Callable[[int, str, bool], object]


def read_section(pid: int, section: str, show_secrets: bool, peers: PeerIndex | None = None) -> object:
    """The live reader: /proc through the data layer."""
    if section == "threads":
        return read_threads(pid)
    return inspect_process(pid, show_secrets, (section,), peers=peers)


class TabStrip(Static):
    """The tab titles; a click on one opens it, like its letter."""

    class Chosen(Message):
        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spans: list[tuple[int, int, str]] = []  # (first column, end column, tab id)

    def on_click(self, event: events.Click) -> None:
        for start, end, tab in self.spans:
            if start <= event.x < end:
                self.post_message(self.Chosen(tab))


class Inspector(Vertical):
    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    Inspector > #insp-tabs { height: 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    Inspector > #insp-banner { height: auto; max-height: 3; display: none; }
    Inspector > #insp-banner.visible { display: block; }
    Inspector > #insp-summary { height: 1; color: $foreground 75%; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    Inspector ContentSwitcher { height: 1fr; }
    Inspector VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; padding: 0 1; }
    """

    def __init__(self, tabs: tuple[Tab, ...] = PANE_TABS, peers: PeerIndex | None = None,
                 show_secrets: bool = False, interactive: bool = False, reader: SectionReader | None = None,
                 **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.tabs = tabs
        self.peers = peers or PeerIndex()
        self.reader = reader or partial(read_section, peers=self.peers)  # the demo host brings its own
        self.show_secrets = show_secrets
        self.interactive = interactive  # the drill-down: lists show a cursor and take keys
        self.tab = "fds"
        self.record: ProcessRecord | None = None
        self.key: tuple[int, float] | None = None  # (pid, start time): a reused pid is another process
        self.snapshot: Snapshot | None = None
        self.data: dict[str, object] = {}  # section -> its data, or the reason it is missing
        self.kind = "process"
        self.notes: tuple[str, ...] = ()
        self.exited = False
        self.revealed: dict[str, str] = {}  # env name -> clear value after a confirmed reveal
        self._loading: set[tuple[tuple[int, float], str]] = set()  # (key, section) being read
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield TabStrip(id="insp-tabs")
        yield Static(id="insp-banner")
        yield Static(id="insp-summary")
        with ContentSwitcher(initial=self.tab):
            with VerticalScroll(id="syscalls"):
                yield Static(id="syscalls-body")
            yield FdList(id="fds", show_cursor=self.interactive)
            yield EnvList(id="env", show_cursor=self.interactive)
            with VerticalScroll(id="info"):
                yield Static(id="info-body")
            if any(t.id == "threads" for t in self.tabs):
                yield ThreadList(id="threads", show_cursor=self.interactive)
                yield ChildList(id="children", show_cursor=self.interactive)

    def on_mount(self) -> None:
        self._redraw()

    # ----- what to show -----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.key[0] if self.key else None

    @property
    def fd_list(self) -> FdList:
        return self.query_one(FdList)

    @property
    def env_list(self) -> EnvList:
        return self.query_one(EnvList)

    def active_widget(self):
        return self.query_one(f"#{self.tab}")

    def follow(self, record: ProcessRecord | None) -> None:
        """Show this process (the list's selection); reading waits until the selection rests."""
        key = (record.pid, record.start_time) if record else None
        self.record = record
        if key == self.key:
            return
        self.key = key
        self.data = {}
        self.revealed = {}
        self.exited = False
        self.kind, self.notes = "process", ()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._settled)
        self._redraw()

    def _settled(self) -> None:
        self._timer = None
        self.load()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """A new tick: the snapshot-fed tabs redraw, the shown section is read again."""
        self.snapshot = snapshot
        if self.key is not None and not self.exited:
            live = snapshot.processes.get(self.key[0]) or snapshot.threads.get(self.key[0])  # a thread row (H)
            if live is None or abs(live.start_time - self.key[1]) > 0.5:
                self.exited = True  # the drill-down holds a pid the list no longer has
            else:
                self.record = live
        if self._timer is None:
            self.load()

    def set_tab(self, tab: str) -> None:
        if tab not in {t.id for t in self.tabs}:
            return
        self.tab = tab
        self.query_one(ContentSwitcher).current = tab
        self._redraw()
        self.load()

    @property
    def visible(self) -> bool:
        return self.display and self.is_attached and self.app.screen is self.screen

    # ----- reading ----------------------------------------------------------------------------

    def load(self) -> None:
        """Read the shown tab's section on a worker thread (unless one is on its way, or it is exited)."""
        if not self.visible or self.key is None:
            self._redraw()
            return
        section = self.tab
        if section in READ_SECTIONS and not self.exited and (self.key, section) not in self._loading:
            self._loading.add((self.key, section))
            self.run_worker(partial(self._read, self.key, section), thread=True, group=f"inspect-{section}",
                            exit_on_error=False)  # fmt: skip
        self._redraw()

    def _read(self, key: tuple[int, float], section: str) -> None:
        """On the worker thread: read one section, hand it to the UI thread."""
        pid = key[0]
        result: object
        try:
            result = self.reader(pid, section, self.show_secrets)
        except ProcessNotFound:
            result = None
        except FileNotFoundError:
            result = None
        except OSError as error:
            result = f"{error.strerror or error}"
        except Exception as error:  # a parser meeting something new costs this section, not the UI
            result = f"error: {type(error).__name__}: {error}"
        self._hand_over(self._apply, key, section, result)

    def _hand_over(self, callback, *args) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app is shutting down

    def _apply(self, key: tuple[int, float], section: str, result: object) -> None:
        self._loading.discard((key, section))
        if key != self.key:
            return  # the selection moved on while this was read
        if result is None:
            self.exited = True
        elif isinstance(result, Inspection):
            if result.exited or (result.kind == "zombie" and self.kind == "process" and self.data):
                self.exited = True  # it exited while viewed (a zombie now, or gone)
            self.kind, self.notes = result.kind, result.notes
            value = getattr(result, section)
            if not (self.exited and section in self.data and isinstance(value, str)):
                self.data[section] = value  # an exited process keeps what was read before
        elif not (self.exited and section in self.data):
            self.data[section] = result
        self._redraw()

    def on_tab_strip_chosen(self, message: TabStrip.Chosen) -> None:
        self.set_tab(message.tab)  # the message bubbles on: the drill-down redraws its key hints

    def on_fd_list_need_details(self, message: FdList.NeedDetails) -> None:
        table = self.data.get("fds")
        if isinstance(table, FdTable) and self.key is not None and not self.exited:
            self.run_worker(partial(self._fill, self.key, table, message.fds), thread=True,
                            group="inspect-details", exit_on_error=False)  # fmt: skip

    def _fill(self, key: tuple[int, float], table: FdTable, fds: list[int]) -> None:
        try:
            filled = fill_details(key[0], table, fds)
        except OSError:
            return  # gone or closed: the next refresh says so
        self._hand_over(self._apply_details, key, table, filled)

    def _apply_details(self, key: tuple[int, float], old: FdTable, filled: FdTable) -> None:
        if key == self.key and self.data.get("fds") is old:
            self.data["fds"] = filled
            self.fd_list.show_table(filled)

    def reveal(self, name: str, value: str) -> None:
        self.revealed[name] = value
        self._redraw()

    # ----- drawing ----------------------------------------------------------------------------

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        self._render_tabs()
        self._render_banner()
        summary = self._render_section()
        self.query_one("#insp-summary", Static).update(Text(summary, no_wrap=True, overflow="ellipsis"))

    def _render_tabs(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        strip = self.query_one(TabStrip)
        strip.spans = []
        for tab in self.tabs:
            label = f" {tab.key} {tab.title} "
            strip.spans.append((len(line), len(line) + len(label), tab.id))
            line.append(label, style="reverse bold" if tab.id == self.tab else "")
        record = self.record
        if record is not None:
            line.append(f"  pid {record.pid} ", style="bold")
            line.append(f"{record.user} ", style="dim")
            line.append(command_text(record))
        else:
            line.append("  no process selected", style="dim")
        strip.update(line)

    def _render_banner(self) -> None:
        banner = self.query_one("#insp-banner", Static)
        text = Text()
        if self.exited and self.key is not None:
            text.append(f" EXITED: pid {self.key[0]} is gone; showing the last data read ", style="bold white on red")
        for note in self.notes:
            if note.startswith("exited while"):
                continue  # the banner says it
            if text:
                text.append("\n")
            text.append(note, style="yellow" if self.kind != "process" else "dim")
        banner.update(text)
        banner.set_class(bool(text), "visible")

    def _reason(self, section: str, title: str) -> str | None:
        """None when the section's data is there; else what to say instead."""
        value = self.data.get(section)
        if isinstance(value, str):
            return f"{title}: {value}"
        if value is None:
            if self.key is None:
                return ""
            return f"{title}: {'not read (process exited)' if self.exited else 'reading…'}"
        return None

    def _render_section(self) -> str:
        """Draw the shown tab; returns its one-line summary."""
        tab = self.tab
        if tab == "syscalls":
            body = process_syscalls(self.snapshot, self.key[0]) if self.key else Text("")
            self.query_one("#syscalls-body", Static).update(body)
            return "like strace -c -w: time spent in each syscall, from eBPF counters" if self.key else ""
        if tab == "children":
            rows = descendants(self.snapshot, self.key[0]) if self.snapshot and self.key else []
            self._list_rows(ChildList, rows, "no children")
            return f"{len(rows)} descendant(s)"
        if tab == "info":
            reason = self._reason("info", "Info")
            if reason is None:
                body = info_renderable(self.data["info"])
            else:
                body = Text(reason, style=self._reason_style(reason))
            self.query_one("#info-body", Static).update(body)
            return "" if reason is None else reason
        if tab == "threads":
            reason = self._reason("threads", "Threads")
            rows = self.data.get("threads") if reason is None else []
            self._list_rows(ThreadList, rows, reason or "no threads")
            return reason if reason is not None else f"{len(rows)} thread(s)"
        reason = self._reason(tab, "FDs" if tab == "fds" else "Env")
        if tab == "fds":
            fd_list = self.fd_list
            fd_list.show_table(self.data["fds"] if reason is None else None)
            fd_list.empty_text = reason or fd_list.empty_text
            fd_list.refresh()
            return reason if reason is not None else fd_list.summary()
        env_list = self.env_list
        env_list.show_env(self.data["env"] if reason is None else (), self.revealed)
        env_list.empty_text = reason or env_list.empty_text
        env_list.refresh()
        return reason if reason is not None else env_list.summary()

    @staticmethod
    def _reason_style(reason: str) -> str:
        return "bold red" if "denied" in reason else "italic"

    def _list_rows(self, kind: type[LineList], rows: list, empty: str) -> None:
        widget = self.query_one(kind)
        widget.empty_text = empty
        widget.set_rows(list(rows), widget.row_key(widget.selected) if widget.selected is not None else None)

    # ----- keys the drill-down forwards -------------------------------------------------------

    def move(self, step: int, page: bool = False) -> None:
        widget = self.active_widget()
        if isinstance(widget, LineList):
            amount = step * widget.page_rows if page else step
            widget.move_cursor(widget.cursor + amount)
        else:
            amount = step * max(1, widget.size.height - 1) if page else step
            widget.scroll_relative(y=amount, animate=False)

    def move_to(self, end: bool) -> None:
        widget = self.active_widget()
        if isinstance(widget, LineList):
            widget.move_cursor(len(widget.rows) - 1 if end else 0)
        elif end:
            widget.scroll_end(animate=False)
        else:
            widget.scroll_home(animate=False)
