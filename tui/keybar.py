"""htop's bottom bar: the keys that matter, with the letter alias SSH users can always type."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

# (F-key, letter alias, label)
KEYS: tuple[tuple[str, str, str], ...] = (
    ("F1", "?", "Help"),
    ("F3", "/", "Search"),
    ("F4", "\\", "Filter"),
    ("F5", "t", "Tree"),
    ("F6", "<>", "Sort"),
    ("", "u", "User"),
    ("", "␣", "Tag"),
    ("F9", "k", "Kill"),
    ("", "F", "Follow"),
    ("", "H", "Threads"),
    ("F10", "q", "Quit"),
    ("", "⏎", "Inspect"),
)


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; }
    """

    def __init__(self, read_only: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.read_only = read_only

    def render(self) -> Text:
        keys = [k for k in KEYS if not (self.read_only and k[2] == "Kill")]
        wide = sum(len(f) + len(a) + len(label) + 2 for f, a, label in keys) <= self.size.width
        text = Text(no_wrap=True, overflow="crop")
        for fkey, alias, label in keys:
            key = f"{fkey}{alias}" if wide and fkey else alias
            text.append(key, style="reverse bold")
            text.append(label + " ")
        if self.read_only:
            text.append(" READ-ONLY", style="bold")
        return text
