"""Peek into a regular file a process holds open: its printable strings, as `strings -t x`
shows them, read lazily a page at a time on a worker thread (never the whole file), with
secret-looking values masked unless --show-secrets. `/` searches forward, reading on as far
as SEARCH_BYTES per press; `n` continues.
"""

from __future__ import annotations

from functools import partial
from itertools import islice

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from syswatch.probes.fdpeek import NotARegularFile, PeekString, iter_strings
from syswatch.probes.procinfo import describe_error

from .line_prompt import LinePrompt
from .tab_list import LineList
from .bindings import in_typed_order

PAGE = 2000  # strings read per step while scrolling
SEARCH_BYTES = 64 << 20  # bytes a search reads past what is loaded before it stops and says so


class PeekList(LineList):
    def header_text(self, width: int) -> Text:
        return Text(f"{'OFFSET':>10}  STRING")

    def row_key(self, row: PeekString) -> int:
        return row.offset

    def row_text(self, row: PeekString, width: int) -> Text:
        text = Text(f"{row.offset:>10x}  ", style="dim")
        text.append(row.text, style="red" if row.masked else "")
        return text


class PeekScreen(Screen):
    AUTO_FOCUS = None
    DEFAULT_CSS = """
    PeekScreen > #peek-title { height: 1; background: $accent; color: $background; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    PeekScreen > #peek-status { height: 1; background: $panel; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back"),
        Binding("up", "move(-1)", "Up"),
        Binding("down", "move(1)", "Down"),
        Binding("pageup", "move(-1, True)", "Page up"),
        Binding("pagedown", "move(1, True)", "Page down"),
        Binding("home", "home", "First"),
        Binding("slash,f3", "search", "Search"),
        Binding("n", "search_next", "Next match"),
    ]
    BINDINGS = in_typed_order(BINDINGS)

    def __init__(self, pid: int, fd: int, target: str, show_secrets: bool = False) -> None:
        super().__init__()
        self.pid, self.fd, self.target, self.show_secrets = pid, fd, target, show_secrets
        self.next_offset = 0  # where reading resumes
        self.eof = False
        self.error: str | None = None
        self.busy = False
        self.search_text = ""
        self.notice = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(f"strings of pid {self.pid} fd {self.fd}: {self.target}   (Esc: back)",
                          no_wrap=True, overflow="ellipsis"), id="peek-title")  # fmt: skip
        yield PeekList(id="peek-list")
        yield LinePrompt(id="peek-prompt")
        yield Static(id="peek-status")

    @property
    def strings(self) -> PeekList:
        return self.query_one(PeekList)

    @property
    def prompt(self) -> LinePrompt:
        return self.query_one(LinePrompt)

    def on_mount(self) -> None:
        self.strings.empty_text = "reading…"
        self._read(until=None)

    # ----- reading (worker thread) ------------------------------------------------------------

    def _read(self, until: str | None) -> None:
        """Read the next page; with `until`, read on until a string contains it (bounded)."""
        if self.busy or self.eof or self.error:
            return
        self.busy = True
        self._status()
        self.run_worker(partial(self._read_worker, self.next_offset, until), thread=True, exit_on_error=False)

    def _read_worker(self, offset: int, until: str | None) -> None:
        found: list[PeekString] = []
        error = None
        eof = False
        needle = until.lower() if until else None
        try:
            strings = iter_strings(self.pid, self.fd, offset, show_secrets=self.show_secrets)
            try:
                if needle is None:
                    found = list(islice(strings, PAGE))
                    eof = len(found) < PAGE
                else:
                    for item in strings:
                        found.append(item)
                        if needle in item.text.lower() or item.end - offset > SEARCH_BYTES:
                            break
                    else:
                        eof = True
            finally:
                strings.close()
        except NotARegularFile as failure:
            error = str(failure)
        except OSError as failure:
            error = describe_error(failure)
        try:
            self.app.call_from_thread(self._loaded, found, eof, error, until)
        except RuntimeError:
            pass  # the app is shutting down

    def _loaded(self, found: list[PeekString], eof: bool, error: str | None, until: str | None) -> None:
        self.busy = False
        self.error = error
        self.eof = eof
        if found:
            self.next_offset = found[-1].end
        strings = self.strings
        strings.empty_text = error or "no printable strings"
        strings.set_rows(strings.rows + found)
        if until is not None:
            if not self._find_from(len(strings.rows) - len(found)):
                self.notice = (f"“{until}” not found" if eof
                               else f"“{until}” not in the next {SEARCH_BYTES >> 20} MiB; n searches on")  # fmt: skip
        self._status()

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

    def action_move(self, step: int, page: bool = False) -> None:
        strings = self.strings
        strings.move_cursor(strings.cursor + (step * strings.page_rows if page else step))
        if strings.cursor >= len(strings.rows) - 2 * strings.page_rows:
            self._read(until=None)  # near the end of what is loaded: read the next page

    def action_home(self) -> None:
        self.strings.move_cursor(0)

    def action_search(self) -> None:
        def closed(value: str, cancelled: bool) -> None:
            if not cancelled and value:
                self.search_text = value
                self.action_search_next()

        self.prompt.open("Search strings", self.search_text, "Enter searches · Esc cancels", None, closed)

    def action_search_next(self) -> None:
        if not self.search_text:
            return
        self.notice = ""
        if not self._find_from(self.strings.cursor + 1):
            if self.eof or self.error:
                self.notice = f"“{self.search_text}” not found after the cursor"
            else:
                self._read(until=self.search_text)
        self._status()

    def _find_from(self, start: int) -> bool:
        needle = self.search_text.lower()
        rows = self.strings.rows
        for index in range(max(start, 0), len(rows)):
            if needle in rows[index].text.lower():
                self.strings.move_cursor(index)
                return True
        return False

    def _status(self) -> None:
        parts = [f"{len(self.strings.rows)} strings"]
        if self.error:
            parts.append(self.error)
        elif self.eof:
            parts.append("end of file")
        else:
            parts.append(f"read to offset {self.next_offset:#x}")
        if self.busy:
            parts.append("reading…")
        parts.append("secrets shown" if self.show_secrets else "secrets masked")
        if self.notice:
            parts.append(self.notice)
        parts.append("/ search · n next · ↑↓ PgUp PgDn")
        self.query_one("#peek-status", Static).update(Text(" · ".join(parts), no_wrap=True, overflow="ellipsis"))
