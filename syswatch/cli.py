"""Command line: `syswatch` (the TUI) and its headless subcommands.

Subcommands import only what they need, so `syswatch snapshot` never loads Textual.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from typing import Sequence

from syswatch import __version__
from syswatch.config import THEME_NAMES


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def write_stdout(text: str) -> None:
    """All of `text` to stdout, or BrokenPipeError. sys.stdout silently drops the rest of a large
    write once the reader has gone (a short write, then nothing), so loop on os.write ourselves."""
    sys.stdout.flush()
    view = memoryview(text.encode())
    while view:
        view = view[os.write(sys.stdout.fileno(), view):]


def _add_tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--theme", choices=THEME_NAMES, help="colour theme: dark, light or mono (NO_COLOR selects mono)"
    )
    parser.add_argument("--read-only", action="store_true", default=None, help="no kill or other changes")
    parser.add_argument("--interval", type=_seconds, help="refresh interval in seconds (default 1.0)")
    parser.add_argument("--config", help="config file (default ~/.config/syswatch/config.toml)")
    parser.add_argument(
        "--show-secrets", action="store_true", default=None,
        help="show secret-looking values (environment, file strings) in clear; masked by default",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syswatch", description="htop-style runtime security monitor")
    parser.add_argument("--version", action="version", version=f"syswatch {__version__}")
    _add_tui_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    snapshot = sub.add_parser("snapshot", help="print the process table once (headless)")
    snapshot.add_argument("--json", action="store_true", help="one JSON document (the only format so far)")
    snapshot.add_argument(
        "--duration", type=float, default=0.5, help="seconds to measure CPU%% over (default 0.5)"
    )
    snapshot.add_argument("--threads", action="store_true", help="include threads")

    sub.add_parser("doctor", help="check that eBPF works here; prints the fix for each failure")

    inspect = sub.add_parser("inspect", help="print what /proc knows about one process: info, fds, env")
    inspect.add_argument("pid", type=int, help="process id")
    inspect.add_argument("--json", action="store_true", help="one JSON document (the only format so far)")
    inspect.add_argument(
        "--show-secrets", action="store_true", help="print secret-looking values in clear (masked by default)"
    )
    return parser


def cmd_snapshot(args: argparse.Namespace) -> int:
    from syswatch.monitor import Monitor
    from syswatch.outputs.snapshot_json import snapshot_to_json

    if not args.json:
        print("syswatch snapshot: only --json is supported; add --json", file=sys.stderr)
        return 2
    if args.duration < 0:
        print("syswatch snapshot: --duration must be >= 0", file=sys.stderr)
        return 2
    from syswatch.probes.ebpf.counters import SyscallCounter

    counter = SyscallCounter()
    counter.start(background=False)  # loaded (or off with its reason) before measuring
    try:
        monitor = Monitor(syscalls=counter)
        monitor.start()  # the counter is loaded already: this only lets ticks read it
        monitor.include_threads = args.threads
        monitor.tick()
        time.sleep(args.duration)
        monitor.container_names.wait(timeout=1.0)  # names asked for at the first tick
        write_stdout(json.dumps(snapshot_to_json(monitor.tick()), indent=1) + "\n")
    finally:
        counter.close()
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from syswatch.inspect import ProcessNotFound, inspect_process
    from syswatch.outputs.inspect_json import inspection_to_json

    if not args.json:
        print("syswatch inspect: only --json is supported; add --json", file=sys.stderr)
        return 2
    try:
        inspection = inspect_process(args.pid, show_secrets=args.show_secrets, full_fds=True)
    except ProcessNotFound as error:
        print(f"syswatch inspect: {error}", file=sys.stderr)
        return 1
    write_stdout(json.dumps(inspection_to_json(inspection), indent=1) + "\n")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from syswatch.doctor import main as doctor_main

    return doctor_main()


def cmd_tui(args: argparse.Namespace) -> int:
    from syswatch.config import load_config

    config, errors = load_config(args.config)
    for error in errors:
        print(f"syswatch: {error}", file=sys.stderr)
    config = config.with_overrides(
        theme=args.theme, read_only=args.read_only, interval=args.interval, show_secrets=args.show_secrets
    )
    from syswatch.tui.app import run_app

    return run_app(config, config_errors=errors)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"snapshot": cmd_snapshot, "doctor": cmd_doctor, "inspect": cmd_inspect, None: cmd_tui}
    try:
        return handlers[args.command](args)
    except BrokenPipeError:
        # The reader went away (`syswatch snapshot --json | head`): exit quietly as SIGPIPE would.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
