"""syswatch's colour themes, as Textual themes. `mono` is chosen when NO_COLOR is set.

Widgets style themselves with the theme variables ($primary, $secondary, $warning, ...), so a
theme here is the whole palette: containers use $secondary, tagged rows $warning, alerts $error.
"""

from __future__ import annotations

import os

from textual.theme import Theme

THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="syswatch-dark",
        primary="#3b82c4",
        secondary="#56b6c2",
        accent="#3b82c4",
        warning="#e5c07b",
        error="#e06c75",
        success="#98c379",
        foreground="#d7dae0",
        background="#101418",
        surface="#161b22",
        panel="#1f2630",
        dark=True,
    ),
    "light": Theme(
        name="syswatch-light",
        primary="#1f5fa8",
        secondary="#00707a",
        accent="#1f5fa8",
        warning="#8a5a00",
        error="#b4232c",
        success="#2c7a2c",
        foreground="#1b1f24",
        background="#fafafa",
        surface="#f0f0f0",
        panel="#dde3ea",
        dark=False,
    ),
    # Black and white only: emphasis comes from reverse video (cursor) and bold, never from hue.
    "mono": Theme(
        name="syswatch-mono",
        primary="#ffffff",
        secondary="#ffffff",
        accent="#ffffff",
        warning="#ffffff",
        error="#ffffff",
        success="#ffffff",
        foreground="#ffffff",
        background="#000000",
        surface="#000000",
        panel="#000000",
        dark=True,
    ),
}
DEFAULT_THEME = "dark"


def choose_theme(requested: str | None) -> str:
    """The theme to use: NO_COLOR wins (https://no-color.org), then --theme/config, then dark."""
    if os.environ.get("NO_COLOR"):
        return "mono"
    if requested in THEMES:
        return requested
    return DEFAULT_THEME
