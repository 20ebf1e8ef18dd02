"""A one-line text prompt edited key by key by the screen that owns it.

Like the main screen's search/filter prompt (see app.py): the screen feeds it keys in the
order they arrive, so a fast "/secret<Enter>" never loses or reorders a key.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.widgets import Static


class LinePrompt(Static):
    DEFAULT_CSS = """
    LinePrompt { height: 1; padding: 0 1; background: $panel; display: none;
        text-wrap: nowrap; text-overflow: ellipsis; }
    LinePrompt.visible { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = ""
        self.value = ""
        self.hint = ""
        self.on_change: Callable[[str], None] | None = None
        self.on_close: Callable[[str, bool], None] | None = None

    @property
    def is_open(self) -> bool:
        return self.has_class("visible")

    def open(self, label: str, value: str, hint: str, on_change: Callable[[str], None] | None,
             on_close: Callable[[str, bool], None] | None = None) -> None:  # fmt: skip
        """on_change(value) after each edit; on_close(value, cancelled) on Enter or Esc."""
        self.label, self.hint, self.on_change, self.on_close = label, hint, on_change, on_close
        self.add_class("visible")
        self._changed(value)

    def key(self, event: events.Key) -> None:
        if event.key in ("enter", "escape"):
            self.remove_class("visible")
            if self.on_close:
                self.on_close(self.value, event.key == "escape")
        elif event.key in ("backspace", "ctrl+h"):
            self._changed(self.value[:-1])
        elif event.key == "ctrl+u":
            self._changed("")
        elif event.is_printable and event.character:
            self._changed(self.value + event.character)

    def _changed(self, value: str) -> None:
        self.value = value
        line = Text(f"{self.label}: ", style="bold")
        line.append(value)
        line.append("▏", style="blink")
        line.append(f"   {self.hint}", style="dim")
        self.update(line)
        if self.on_change:
            self.on_change(value)
