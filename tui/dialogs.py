"""Modal screens: help, pick from a list (signal, user, sort column), and confirm."""

from __future__ import annotations

import signal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

# The signals worth offering first, in htop's spirit; the rest follow by number.
COMMON_SIGNALS = ("SIGTERM", "SIGKILL", "SIGHUP", "SIGINT", "SIGQUIT", "SIGSTOP", "SIGCONT", "SIGUSR1", "SIGUSR2")


def signal_choices() -> list[tuple[str, int]]:
    common = [(name, int(getattr(signal, name))) for name in COMMON_SIGNALS]
    seen = {number for _, number in common}
    rest = sorted(
        (s.name, int(s)) for s in signal.Signals if int(s) not in seen and not s.name.startswith("SIGRT")
    )
    unique_rest: list[tuple[str, int]] = []
    for name, number in rest:
        if number not in seen:
            seen.add(number)
            unique_rest.append((name, number))
    return common + unique_rest


class PickScreen(ModalScreen):
    """A titled list; dismisses with the chosen option's id, or None on Esc."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical { width: 50; max-width: 90%; height: auto; max-height: 80%;
                            border: round $primary; background: $surface; padding: 0 1; }
    PickScreen OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]], highlighted: int = 0) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*(Option(label, id=option_id) for option_id, label in self.options))

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = self.highlighted
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; only `y` (or Enter on the highlighted Yes) confirms; anything else cancels."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 70; max-width: 95%; height: auto; max-height: 80%;
                               border: thick $error; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape,q", "answer(False)", "No"),
    ]

    def __init__(self, question: str, details: list[str]) -> None:
        super().__init__()
        self.question = question
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question, style="bold"))
            shown = self.details[:12]
            more = len(self.details) - len(shown)
            yield Static("\n".join(shown + ([f"… and {more} more"] if more > 0 else [])))
            yield Label(Text("y = yes, n/Esc = no", style="dim"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("F1 ?", "this help"),
    ("F3 /", "search (Enter keeps the match; n / N next / previous)"),
    ("F4 \\", "filter: show only matching processes (Esc clears)"),
    ("F5 t", "tree / flat view"),
    ("F6", "choose the sort column"),
    ("< >", "sort by the previous / next column"),
    ("I", "invert the sort order"),
    ("u", "show one user's processes"),
    ("H", "show threads"),
    ("K", "hide / show kernel threads"),
    ("space", "tag / untag the process (kill applies to all tagged)"),
    ("c", "tag the process and its children"),
    ("U", "untag all"),
    ("F9 k", "send a signal (asks first; off with --read-only)"),
    ("F", "follow the selected process when the list re-sorts"),
    ("0-9", "jump to a pid"),
    ("y l e i", "inspector tab: syscalls, open files, environment, info"),
    ("v", "hide / show the inspector"),
    ("Enter", "the process full screen (Esc / Backspace back): h threads, c children, f fd kind, "
              "s sort, / search, r reveal a masked value (asks first), p peek into a file"),
    ("Y", "syscalls of all processes: top syscalls and top processes"),
    ("↑ ↓ PgUp PgDn Home End", "move; ← → scroll the command line"),
    ("F10 q", "quit"),
)


class HelpScreen(ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80; max-width: 100%; height: auto; max-height: 100%;
                                  border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,f1,question_mark,enter", "dismiss_help", "Close")]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for keys, meaning in HELP_KEYS:
            table.add_row(keys, meaning)
        with VerticalScroll():  # ↑↓ scroll it when the terminal is shorter than the list
            yield Label(Text("syswatch keys (Esc closes)", style="bold"))
            yield Static(table)
            yield Label(Text("CPU%: 100 = one core fully busy. Every F-key has a letter alias.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
