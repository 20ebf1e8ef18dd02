"""The FDs tab: a process's open file descriptors, like `lsof -p PID`, filterable by kind.

Above the data layer's DETAIL_LIMIT the table arrives without flags and positions; this list
asks for them (`NeedDetails`) for the rows on screen only, and the inspector reads them on a
worker thread with `fill_details`.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message

from syswatch.probes.fds import FdInfo, FdKind, FdTable

from .tab_list import LineList, cell

SORTS = ("fd", "kind", "target")
KIND_STYLES = {
    FdKind.SOCKET: "cyan",
    FdKind.PIPE: "magenta",
    FdKind.FILE: "",
    FdKind.DIR: "blue",
    FdKind.DEVICE: "yellow",
    FdKind.MEMFD: "bold red",
}


def _peers_text(info: FdInfo) -> str:
    """The other end's holders: `⇄ cat[812] fd 0 read`; for a pipe, also when none or unknown."""
    if info.peers:
        shown = ", ".join(f"{p.comm}[{p.pid}] fd {p.fd} {p.access}" for p in info.peers[:4])
        more = len(info.peers) - 4
        return f"  ⇄ {shown}" + (f" +{more}" if more > 0 else "")
    if info.kind is FdKind.PIPE and info.path is None:
        return "  ⇄ peer unknown" if info.peers is None else "  ⇄ no other end open"
    return ""


def target_text(info: FdInfo) -> Text:
    """What the fd points at: the path (deleted marked), socket endpoints and state, the other end."""
    text = Text()
    if info.socket is not None:
        text.append(info.socket.summary, style="cyan")
    else:
        text.append(info.path if info.path is not None else info.target)
    if info.deleted:
        text.append(" (deleted)", style="bold red")
    text.append(_peers_text(info), style="magenta")
    if info.detail:
        text.append(f"  {info.detail}", style="dim")
    return text


def sort_rows(fds: list[FdInfo], sort: str) -> list[FdInfo]:
    if sort == "kind":
        return sorted(fds, key=lambda f: (f.kind.value, f.fd))
    if sort == "target":
        return sorted(fds, key=lambda f: (f.path or f.target, f.fd))
    return fds  # the table is already by fd number


class FdList(LineList):
    """Rows of FdInfo. `kind` filters (None: all), `sort` orders, `text` filters by substring."""

    class NeedDetails(Message):
        """Rows on screen lack flags/pos (a table above DETAIL_LIMIT): read them for these fds."""

        def __init__(self, fds: list[int]) -> None:
            super().__init__()
            self.fds = fds

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.table: FdTable | None = None
        self.kind: FdKind | None = None
        self.sort = "fd"
        self.text = ""
        self._asked: set[int] = set()
        # The previous reading's filled rows, drawn until this reading's details arrive: a big
        # table is re-read each tick without flags, and the rows should not blink to "…".
        self._previous: dict[tuple[int, str], FdInfo] = {}

    def show_table(self, table: FdTable | None) -> None:
        if table is not self.table and (table is None or self.table is None or table.fds is not self.table.fds):
            self._asked = {f.fd for f in table.fds if f.flags is not None} if table else set()
            if table is not None and self.table is not None and not table.detailed:
                self._previous = {(f.fd, f.target): f for f in self.table.fds if f.flags is not None}
            else:
                self._previous = {}
        self.table = table
        self._rebuild()

    def kinds_present(self) -> list[FdKind]:
        return sorted({f.kind for f in self.table.fds}, key=lambda k: k.value) if self.table else []

    def cycle_kind(self) -> None:
        """all → each kind present → all."""
        kinds = [None, *self.kinds_present()]
        self.kind = kinds[(kinds.index(self.kind) + 1) % len(kinds)] if self.kind in kinds else None
        self._rebuild()

    def cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._rebuild()

    def set_text(self, text: str) -> None:
        self.text = text
        self._rebuild()

    def row_key(self, row: FdInfo) -> int:
        return row.fd

    def _rebuild(self) -> None:
        keep = self.selected.fd if self.selected is not None else None
        fds = list(self.table.fds) if self.table else []
        if self.kind is not None:
            fds = [f for f in fds if f.kind is self.kind]
        if self.text:
            needle = self.text.lower()
            fds = [f for f in fds if needle in f.target.lower() or needle in target_text(f).plain.lower()]
        self.empty_text = "no open files match" if self.table and self.table.fds else "no open files"
        self.set_rows(sort_rows(fds, self.sort), keep)
        self.call_after_refresh(self._ask_details)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if round(old) != round(new):
            self.call_after_refresh(self._ask_details)

    def on_resize(self, event) -> None:
        super().on_resize(event)
        self.call_after_refresh(self._ask_details)

    def _ask_details(self) -> None:
        if self.table is None or self.table.detailed:
            return
        missing = [f.fd for f in self.visible_rows() if f.flags is None and f.fd not in self._asked]
        if missing:
            self._asked.update(missing)
            self.post_message(self.NeedDetails(missing))

    def summary(self) -> str:
        """`42 fds: 30 file, 8 socket, 4 pipe · kind socket · sort fd`."""
        if self.table is None:
            return ""
        counts = sorted(self.table.count_by_kind().items(), key=lambda item: -item[1])
        parts = [f"{len(self.table.fds)} fds: " + ", ".join(f"{n} {k.value}" for k, n in counts)]
        if self.kind is not None:
            parts.append(f"kind {self.kind.value}")
        if self.text:
            parts.append(f"matching “{self.text}”")
        if self.sort != "fd":
            parts.append(f"sort {self.sort}")
        return " · ".join(parts)

    def _flags_width(self, width: int) -> int:
        return 34 if width >= 110 else 0  # narrow panes drop the flags column; the drill-down has room

    def header_text(self, width: int) -> Text:
        flags = self._flags_width(width)
        line = f"{cell('FD', 6, True)} {cell('KIND', 9)} {cell('POS', 9, True)} "
        if flags:
            line += cell("FLAGS", flags) + " "
        return Text(line + "TARGET")

    def row_text(self, row: FdInfo, width: int) -> Text:
        flags = self._flags_width(width)
        if row.flags is None:
            row = self._previous.get((row.fd, row.target), row)
        text = Text(f"{cell(str(row.fd), 6, True)} ")
        text.append(cell(row.kind.value, 9), style=KIND_STYLES.get(row.kind, "dim"))
        text.append(f" {cell('' if row.pos is None else str(row.pos), 9, True)} ")
        if flags:
            text.append(cell(row.flags_text if row.flags is not None else "…", flags) + " ", style="dim")
        text.append_text(target_text(row))
        return text
