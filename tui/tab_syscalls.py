"""Syscall tables from eBPF counters: a pid's `strace -c -w`, and the system-wide top lists.

Everything here is computed from the Snapshot (the counters are read by the monitor each
tick), so rendering never touches the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable, Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from syswatch.model import EbpfStatus, ProcessRecord, Snapshot, SyscallCount, SyscallStats

from .view import command_text, rate


def _usecs(total_ns: int, calls: int) -> str:
    return f"{total_ns / 1000 / calls:.0f}" if calls else ""


def strace_table(counts: Iterable[SyscallCount], title: str) -> Table:
    """The columns of `strace -c -w`, sorted by time, with a total row."""
    rows = sorted(counts, key=lambda c: (-c.total_ns, -c.calls, c.name))
    total_ns = sum(c.total_ns for c in rows)
    table = Table(title=title, title_justify="left", title_style="bold", box=None, padding=(0, 1),
                  header_style="bold", show_footer=bool(rows))  # fmt: skip
    calls = sum(c.calls for c in rows)
    errors = sum(c.errors for c in rows)
    footer = (f"{100.0 if total_ns else 0:.2f}", f"{total_ns / 1e9:.6f}", _usecs(total_ns, calls), str(calls),
              str(errors) if errors else "")  # fmt: skip
    for heading, foot in zip(("% time", "seconds", "usecs/call", "calls", "errors"), footer, strict=True):
        table.add_column(heading, justify="right", footer=foot)
    table.add_column("syscall", footer="total")
    for c in rows:
        share = 100.0 * c.total_ns / total_ns if total_ns else 0.0
        table.add_row(
            f"{share:.2f}", f"{c.total_ns / 1e9:.6f}", _usecs(c.total_ns, c.calls),
            str(c.calls), Text(str(c.errors), style="red") if c.errors else "", c.name,
        )
    return table


def ebpf_unavailable(ebpf: EbpfStatus) -> Text | None:
    """Why there are no syscall counts, or None when the counters are on."""
    if ebpf.state == "on":
        return None
    hint = "  (syscall counting needs root and BCC: run `syswatch doctor`)" if ebpf.state == "off" else ""
    return Text(ebpf.label + hint, style="yellow")


def process_syscalls(snapshot: Snapshot | None, tgid: int) -> RenderableType:
    """The Syscalls tab of one process: the last interval and everything since syswatch started."""
    if snapshot is None:
        return Text("waiting for the first refresh…", style="dim")
    why = ebpf_unavailable(snapshot.ebpf)
    if why is not None:
        return why
    stats = snapshot.syscalls.get(tgid)
    if stats is None:
        return Text(f"no syscalls counted for pid {tgid} since syswatch started", style="dim")
    last = f"last {stats.interval_seconds:.1f} s"
    interval = strace_table(stats.interval, last) if stats.interval else Text(f"no syscalls in the {last}", style="dim")
    return Group(interval, Text(""), strace_table(stats.cumulative, "since syswatch started"))


@dataclass(frozen=True, slots=True)
class SyscallTotal:
    name: str
    calls: int
    errors: int
    total_ns: int
    processes: int  # how many processes made it


def top_syscalls(syscalls: Mapping[int, SyscallStats]) -> list[SyscallTotal]:
    """Each syscall over every process in the last interval, most time first."""
    totals: dict[str, list[int]] = {}
    for stats in syscalls.values():
        for c in stats.interval:
            entry = totals.setdefault(c.name, [0, 0, 0, 0])
            entry[0] += c.calls
            entry[1] += c.errors
            entry[2] += c.total_ns
            entry[3] += 1
    found = [SyscallTotal(name, *values) for name, values in totals.items()]
    return sorted(found, key=lambda t: (-t.calls, -t.total_ns, t.name))


def top_processes(snapshot: Snapshot) -> list[tuple[ProcessRecord | None, SyscallStats]]:
    """Processes by syscall rate in the last interval, busiest first (record None: exited since)."""
    ranked = sorted(snapshot.syscalls.values(), key=lambda s: -s.calls_per_second)
    return [(snapshot.processes.get(s.tgid), s) for s in ranked if s.interval]


def system_syscalls(snapshot: Snapshot | None, limit: int = 25) -> RenderableType:
    """The system-wide screen: top syscalls and top processes by syscall rate."""
    if snapshot is None:
        return Text("waiting for the first refresh…", style="dim")
    why = ebpf_unavailable(snapshot.ebpf)
    if why is not None:
        return why
    seconds = max(next(iter(snapshot.syscalls.values())).interval_seconds if snapshot.syscalls else 0.0, 1e-9)
    calls = Table(title="top syscalls, all processes, last interval", title_justify="left", title_style="bold",
                  box=None, padding=(0, 1), header_style="bold")  # fmt: skip
    for heading in ("calls/s", "errors/s", "% time", "usecs/call", "procs"):
        calls.add_column(heading, justify="right")
    calls.add_column("syscall")
    totals = top_syscalls(snapshot.syscalls)
    all_ns = sum(t.total_ns for t in totals)
    for t in totals[:limit]:
        calls.add_row(
            rate(t.calls / seconds), Text(rate(t.errors / seconds), style="red") if t.errors else "",
            f"{100.0 * t.total_ns / all_ns:.1f}" if all_ns else "", _usecs(t.total_ns, t.calls),
            str(t.processes), t.name,
        )
    procs = Table(title="top processes by syscall rate", title_justify="left", title_style="bold",
                  box=None, padding=(0, 1), header_style="bold")  # fmt: skip
    for heading in ("pid", "user", "sysc/s", "errors/s", "top syscall", "command"):
        right = heading in ("pid", "sysc/s", "errors/s")
        procs.add_column(heading, justify="right" if right else "left", no_wrap=heading != "command")
    for record, stats in top_processes(snapshot)[:limit]:
        errors = sum(c.errors for c in stats.interval) / max(stats.interval_seconds, 1e-9)
        procs.add_row(
            str(stats.tgid), record.user if record else "?", rate(stats.calls_per_second),
            Text(rate(errors), style="red") if errors else "", stats.top_syscall or "",
            command_text(record) if record else "(exited)",
        )
    if not totals:
        return Text("no syscalls counted in the last interval", style="dim")
    return Group(calls, Text(""), procs)
