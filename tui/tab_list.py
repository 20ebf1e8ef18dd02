"""A scrolling list that formats only the rows on screen: the base of the FDs, Env, Threads,
Children and Peek views. 20,000 rows cost what 20 do, because `render_line` is called for
visible lines only (a DataTable builds every row up front).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineList(ScrollView, can_focus=True):
    """Line 0 is a pinned column header; the rest are rows drawn by `row_text`.

    Subclasses set `rows` through `set_rows` and implement `header_text` and `row_text`.
    `show_cursor` is off in the main screen's preview pane (the keys move the process list there).
    """

    COMPONENT_CLASSES = {"line-list--header", "line-list--cursor", "line-list--empty"}
    DEFAULT_CSS = """
    LineList { height: 1fr; scrollbar-size-horizontal: 0; scrollbar-size-vertical: 1; }
    LineList > .line-list--header { background: $panel; color: $foreground; text-style: bold; }
    LineList > .line-list--cursor { background: $primary; color: $background; }
    LineList > .line-list--empty { color: $foreground 60%; text-style: italic; }
    """

    def __init__(self, show_cursor: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list = []
        self.cursor = 0
        self.show_cursor = show_cursor
        self.empty_text = ""

    # ----- to implement -----------------------------------------------------------------------

    def header_text(self, width: int) -> Text:
        raise NotImplementedError

    def row_text(self, row, width: int) -> Text:
        raise NotImplementedError

    # ----- data and cursor --------------------------------------------------------------------

    def set_rows(self, rows: list, keep=None) -> None:
        """Show rows; the cursor stays on the row equal to `keep` when it is still there."""
        self.rows = rows
        if keep is not None:
            for index, row in enumerate(rows):
                if self.row_key(row) == keep:
                    self.cursor = index
                    break
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        self.virtual_size = Size(self.content_width(), len(rows) + 1)
        self._scroll_cursor_into_view()
        self.refresh()

    def content_width(self) -> int:
        """How wide the rows are; wider than the widget scrolls sideways."""
        return self.size.width

    def row_key(self, row):
        """What identifies a row across refreshes (its fd, its name, ...)."""
        return row

    @property
    def selected(self):
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def page_rows(self) -> int:
        return max(1, self.size.height - 1)

    def move_cursor(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._scroll_cursor_into_view()
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.page_rows:
            self.scroll_to(y=self.cursor - self.page_rows + 1, animate=False, immediate=True)

    def visible_rows(self) -> list:
        top = round(self.scroll_y)
        return self.rows[top : top + self.page_rows]

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.content_width(), len(self.rows) + 1)
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        if event.y > 0 and self.show_cursor:
            self.move_cursor(round(self.scroll_y) + event.y - 1)

    # ----- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            style = self.get_component_rich_style("line-list--header")
            return self._strip(self.header_text(width), width, style)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if index == 0 and self.empty_text:
                return self._strip(Text(self.empty_text), width, self.get_component_rich_style("line-list--empty"))
            return Strip.blank(width, self.rich_style)
        text = self.row_text(self.rows[index], width)
        style = self.rich_style
        if self.show_cursor and index == self.cursor:
            style = self.get_component_rich_style("line-list--cursor")
            text.stylize(style)
        return self._strip(text, width, style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis")
        segments = [Segment(s.text, style + s.style if s.style else style) for s in text.render(self.app.console)]
        return Strip(segments).extend_cell_length(width, style).crop(0, width)


def cell(text: str, width: int, right: bool = False) -> str:
    """text fitted into a fixed-width column, cut with an ellipsis when too long."""
    if len(text) > width:
        text = text[: width - 1] + "…" if width > 1 else text[:1]
    return text.rjust(width) if right else text.ljust(width)
