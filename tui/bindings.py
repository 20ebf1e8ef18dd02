"""Keys handled in the order they were typed.

Textual forwards a key to the focused widget through a queue, so a binding that opens a prompt
or a dialog would act after keys typed right behind it (a paste, a fast typist, tmux send-keys).
Priority bindings run as each key arrives; screens turn them off with `check_action` while a
prompt or a dialog owns the keyboard (see SyswatchApp).
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding


def in_typed_order(bindings: list[Binding]) -> list[Binding]:
    return [replace(binding, priority=True) for binding in bindings]
