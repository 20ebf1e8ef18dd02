"""The Env tab: NAME=value per line, sorted, searchable; secret values masked unless revealed.

A masked value is replaced by the data layer before it reaches the UI; revealing one reads it
afresh (`reveal_env`) after a confirmation, and only that value is kept, for this process.
"""

from __future__ import annotations

from rich.text import Text

from syswatch.probes.environ import EnvVar

from .tab_list import LineList


class EnvList(LineList):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.env: tuple[EnvVar, ...] = ()
        self.revealed: dict[str, str] = {}  # name -> clear value, after a confirmed reveal
        self.text = ""

    def show_env(self, env: tuple[EnvVar, ...], revealed: dict[str, str]) -> None:
        self.env = env
        self.revealed = revealed
        self._rebuild()

    def set_text(self, text: str) -> None:
        self.text = text
        self._rebuild()

    def row_key(self, row: EnvVar) -> str:
        return row.name

    def _rebuild(self) -> None:
        keep = self.selected.name if self.selected is not None else None
        rows = list(self.env)
        if self.text:
            needle = self.text.lower()
            rows = [v for v in rows if needle in v.name.lower() or needle in self.value_of(v).lower()]
        self.empty_text = "no variables match" if self.env else "empty environment"
        self.set_rows(rows, keep)

    def value_of(self, var: EnvVar) -> str:
        return self.revealed.get(var.name, var.value)

    def summary(self) -> str:
        masked = sum(1 for v in self.env if v.masked and v.name not in self.revealed)
        parts = [f"{len(self.env)} variables", f"{masked} masked" if masked else "none masked"]
        if self.revealed:
            parts.append(f"{len(self.revealed)} revealed")
        if self.text:
            parts.append(f"matching “{self.text}”")
        return " · ".join(parts)

    def header_text(self, width: int) -> Text:
        return Text("NAME=value")

    def row_text(self, row: EnvVar, width: int) -> Text:
        text = Text(row.name, style="bold")
        text.append("=")
        if row.name in self.revealed:
            text.append(self.revealed[row.name], style="bold yellow")
            text.append(f"  (revealed; {row.secret})", style="dim")
        elif row.masked:
            text.append(row.value, style="red")
            text.append(f"  ({row.secret})", style="dim")
        else:
            text.append(row.value)
        return text
