"""`make screenshots`: SVGs of the main screen from the fixed demo host (syswatch.demo).

The demo never changes, so the pictures change only when the UI does; review them in a diff.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

from syswatch.config import Config
from syswatch.demo import DemoSource

from .app import SyswatchApp

# (file name, terminal size, theme, keys pressed before the shot)
SHOTS: tuple[tuple[str, tuple[int, int], str, tuple[str, ...]], ...] = (
    ("main-120x40.svg", (120, 40), "dark", ()),
    ("main-80x24.svg", (80, 24), "dark", ()),
    ("main-200x60-light.svg", (200, 60), "light", ()),
    ("flat-sorted-by-cpu-mono.svg", (120, 40), "mono", ("t",)),
    ("filter-container.svg", (120, 30), "dark", ("backslash", *"api", "enter")),
    ("kill-confirm.svg", (120, 30), "dark", ("down",) * 10 + ("k", "enter")),
    ("help.svg", (100, 30), "dark", ("question_mark",)),
    ("inspector-fds-120x40.svg", (120, 40), "dark", (*"1230", "l")),
    ("inspector-env-masked-80x24.svg", (80, 24), "dark", (*"1230", "e")),
    ("inspector-syscalls-120x40.svg", (120, 40), "dark", (*"1230", "y")),
    ("drill-down-fds-200x60-light.svg", (200, 60), "light", (*"1230", "l", "enter")),
    ("drill-down-info-120x40.svg", (120, 40), "dark", (*"1230", "i", "enter")),
    ("syscalls-system-120x40.svg", (120, 40), "dark", ("Y",)),
)


async def take(directory: str, name: str, size: tuple[int, int], theme: str, keys: tuple[str, ...]) -> str:
    app = SyswatchApp(replace(Config(), theme=theme), DemoSource())
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.2)
        return app.save_screenshot(filename=name, path=directory)


def main(argv: list[str]) -> int:
    directory = argv[0] if argv else "screenshots"
    os.makedirs(directory, exist_ok=True)
    os.environ.pop("NO_COLOR", None)  # screenshots show each theme as named
    for name, size, theme, keys in SHOTS:
        print(asyncio.run(take(directory, name, size, theme, keys)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
