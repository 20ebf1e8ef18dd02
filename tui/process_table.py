"""The process list: a Line-API widget that formats only the rows on screen.

Ordering (tree, sort, filters) lives in `view.py`; this widget keeps the cursor, the tagged
set and the scroll position, and turns visible rows into styled strips. 10,000 rows cost
what 50 do, because `render_line` is called for visible lines only.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip

from syswatch.model import ProcessRecord, Snapshot

from .tab_list import LineList, cell
from .view import COLUMNS, columns_for_width, Row, ViewContext, ViewOptions, build_rows, command_text, shim_container_id

COMMAND_WIDTH_CAP = 600  # horizontal scroll reaches this far into long command lines


class ProcessTable(LineList):
    """Rows of processes; line 0 is the column header, pinned while the rows scroll.

    LineList keeps the cursor and the scrolling; this class orders rows, follows a pid, tags,
    and draws each row column by column (and scrolls sideways into long command lines)."""

    COMPONENT_CLASSES = {
        "process-table--header",
        "process-table--header-sorted",
        "process-table--cursor",
        "process-table--tagged",
        "process-table--container",
        "process-table--kernel",
        "process-table--thread",
        "process-table--context",
        "process-table--tree",
        "process-table--busy",
        "process-table--root",
    }

    DEFAULT_CSS = """
    ProcessTable { height: 1fr; scrollbar-size-horizontal: 0; }
    ProcessTable > .process-table--header { background: $panel; color: $foreground; text-style: bold; }
    ProcessTable > .process-table--header-sorted { background: $accent; color: $background; text-style: bold; }
    ProcessTable > .process-table--cursor { background: $primary; color: $background; }
    ProcessTable > .process-table--tagged { color: $warning; text-style: bold; }
    ProcessTable > .process-table--container { color: $secondary; }
    ProcessTable > .process-table--kernel { color: $foreground 50%; }
    ProcessTable > .process-table--thread { color: $success; }
    ProcessTable > .process-table--context { color: $foreground 45%; }
    ProcessTable > .process-table--tree { color: $foreground 60%; }
    ProcessTable > .process-table--busy { color: $error; text-style: bold; }
    ProcessTable > .process-table--root { color: $error 80%; }
    """


    class Highlighted(Message):
        """The cursor moved to another process (or the process under it changed)."""

        def __init__(self, record: ProcessRecord | None) -> None:
            super().__init__()
            self.record = record

    class HeaderClicked(Message):
        def __init__(self, column_id: str) -> None:
            super().__init__()
            self.column_id = column_id

    def __init__(self, options: ViewOptions, **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.tagged: set[int] = set()
        self.follow_pid: int | None = None
        self._snapshot: Snapshot | None = None
        self._ctx = ViewContext({}, False)
        self._highlighted_pid: int | None = None

    # ----- data -------------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        """Take a new snapshot: re-order the rows, keep the cursor where htop would."""
        self._snapshot = snapshot
        self._ctx = ViewContext(snapshot.syscalls, snapshot.ebpf.state == "on")
        self.rebuild()

    def rebuild(self, keep_pid: int | None = None) -> None:
        """Re-order after an option change. The cursor stays on the same row unless following a pid."""
        if self._snapshot is None:
            return
        self.rows = build_rows(self._snapshot, self.options)
        if self.tagged:  # forget tags of processes that are gone (skipped when nothing is tagged)
            self.tagged &= {row.record.pid for row in self.rows} | self._live_pids()
        target = keep_pid if keep_pid is not None else self.follow_pid
        if target is not None:
            index = self.index_of(target)
            if index is not None:
                self.cursor = index
            elif keep_pid is None:
                self.follow_pid = None  # the followed process is gone
        self.set_rows(self.rows)
        self._announce()

    def _live_pids(self) -> set[int]:
        return set(self._snapshot.processes) if self._snapshot else set()

    def index_of(self, pid: int) -> int | None:
        for index, row in enumerate(self.rows):
            if row.record.pid == pid:
                return index
        return None

    @property
    def selected(self) -> ProcessRecord | None:
        row = super().selected
        return row.record if row is not None else None

    def _announce(self) -> None:
        record = self.selected
        pid = record.pid if record else None
        if pid != self._highlighted_pid or record is not None:
            self._highlighted_pid = pid
            self.post_message(self.Highlighted(record))

    # ----- cursor -----------------------------------------------------------------------------

    def move_cursor(self, index: int, follow: bool = False) -> None:
        """Put the cursor on row `index`. With `follow`, the cursor then stays with that process
        when the list re-sorts (htop's F); a plain movement ends following, as in htop."""
        if not self.rows:
            return
        super().move_cursor(index)
        self.follow_pid = self.rows[self.cursor].record.pid if follow else None
        self._announce()

    def select_pid(self, pid: int) -> bool:
        """Go to a process found by pid or search, and stay with it while the list re-sorts."""
        index = self.index_of(pid)
        if index is None:
            return False
        self.move_cursor(index, follow=True)
        return True

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column_id = self._column_at(event.x + round(self.scroll_x))
            if column_id:
                self.post_message(self.HeaderClicked(column_id))
            return
        self.move_cursor(round(self.scroll_y) + event.y - 1)

    # ----- drawing ----------------------------------------------------------------------------

    def visible_columns(self) -> list[str]:
        return columns_for_width(self.options.columns, self.size.width)

    def content_width(self) -> int:
        fixed = sum(COLUMNS[c].width + 1 for c in self.visible_columns() if COLUMNS[c].width)
        return max(fixed + COMMAND_WIDTH_CAP, self.size.width)

    def _column_at(self, x: int) -> str | None:
        position = 0
        for column_id in self.visible_columns():
            width = COLUMNS[column_id].width or COMMAND_WIDTH_CAP
            if position <= x < position + width + 1:
                return column_id
            position += width + 1
        return None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = round(self.scroll_x)
        if y == 0:
            strip = self._header_strip()
        else:
            index = round(self.scroll_y) + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(self.rows[index], index == self.cursor)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self.rich_style)

    def _header_strip(self) -> Strip:
        plain = self.get_component_rich_style("process-table--header")
        sorted_style = self.get_component_rich_style("process-table--header-sorted")
        segments: list[Segment] = []
        for column_id in self.visible_columns():
            column = COLUMNS[column_id]
            title = column.title
            if column_id == self.options.sort_column:
                title += "▼" if self.options.descending() else "▲"
            text = cell(title, column.width, column.right) if column.width else title.ljust(COMMAND_WIDTH_CAP)
            segments.append(Segment(text, sorted_style if column_id == self.options.sort_column else plain))
            segments.append(Segment(" ", plain))
        return Strip(segments)

    def _row_strip(self, row: Row, is_cursor: bool) -> Strip:
        record = row.record
        base = self._row_style(row)
        tree_style = base + self.get_component_rich_style("process-table--tree")
        if is_cursor:
            base = base + self.get_component_rich_style("process-table--cursor")
            tree_style = base
        segments: list[Segment] = []
        for column_id in self.visible_columns():
            column = COLUMNS[column_id]
            if column_id == "command":
                if self.options.tree and row.prefix:
                    segments.append(Segment(row.prefix, tree_style))
                segments.append(Segment(command_text(record), base))
                continue
            text = self._cell_text(record, column_id)
            style = base
            if column_id == "cpu" and record.cpu_percent >= 90 and not is_cursor:
                style = base + self.get_component_rich_style("process-table--busy")
            elif column_id == "user" and record.uid == 0 and not is_cursor and not row.context_only:
                style = base + self.get_component_rich_style("process-table--root")
            segments.append(Segment(cell(text, column.width, column.right), style))
            segments.append(Segment(" ", base))
        return Strip(segments)

    def _cell_text(self, record: ProcessRecord, column_id: str) -> str:
        if column_id == "container" and record.container is None:
            shim_of = shim_container_id(record)
            return f"↳{shim_of}" if shim_of else ""
        return COLUMNS[column_id].text(record, self._ctx)

    def _row_style(self, row: Row) -> Style:
        record = row.record
        if record.pid in self.tagged:
            return self.get_component_rich_style("process-table--tagged")
        if row.context_only:
            return self.get_component_rich_style("process-table--context")
        if record.is_thread:
            return self.get_component_rich_style("process-table--thread")
        if record.is_kernel_thread:
            return self.get_component_rich_style("process-table--kernel")
        if record.container is not None:
            return self.get_component_rich_style("process-table--container")
        return self.rich_style

