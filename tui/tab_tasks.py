"""The drill-down's Threads and Children tabs.

Threads are read from /proc/PID/task by `read_threads` (on the inspector's worker thread);
children come from the snapshot the monitor already took.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text

from syswatch.model import ProcessRecord, Snapshot
from syswatch.probes.procfs import CLOCK_TICKS, parse_stat, read_bytes

from .tab_list import LineList, cell
from .view import command_text, cpu_time, human_bytes


@dataclass(frozen=True, slots=True)
class ThreadRow:
    tid: int
    comm: str
    state: str
    cpu_seconds: float
    nice: int


def read_threads(pid: int, proc_root: str = "/proc") -> list[ThreadRow]:
    """The threads of pid, by tid. Raises FileNotFoundError / PermissionError like /proc does."""
    rows = []
    for name in os.listdir(f"{proc_root}/{pid}/task"):
        data = read_bytes(f"{proc_root}/{pid}/task/{name}/stat")
        stat = parse_stat(data) if data else None
        if stat is not None:  # None: the thread ended since the listing
            rows.append(ThreadRow(int(name), stat.comm, stat.state, stat.cpu_ticks / CLOCK_TICKS, stat.nice))
    return sorted(rows, key=lambda row: row.tid)


class ThreadList(LineList):
    def row_key(self, row: ThreadRow) -> int:
        return row.tid

    def header_text(self, width: int) -> Text:
        return Text(f"{cell('TID', 8, True)} S {cell('TIME+', 10, True)} {cell('NI', 3, True)} NAME")

    def row_text(self, row: ThreadRow, width: int) -> Text:
        return Text(f"{cell(str(row.tid), 8, True)} {row.state} {cell(cpu_time(row.cpu_seconds), 10, True)} "
                    f"{cell(str(row.nice), 3, True)} {row.comm}")  # fmt: skip


def descendants(snapshot: Snapshot, pid: int) -> list[tuple[int, ProcessRecord]]:
    """(depth, record) for every descendant of pid, depth-first, children by pid."""
    children = snapshot.children_of()
    out: list[tuple[int, ProcessRecord]] = []
    pending = [(1, child) for child in sorted(children.get(pid, ()), reverse=True)]
    while pending:
        depth, child = pending.pop()
        record = snapshot.processes.get(child)
        if record is None:
            continue
        out.append((depth, record))
        pending.extend((depth + 1, grandchild) for grandchild in sorted(children.get(child, ()), reverse=True))
    return out


class ChildList(LineList):
    def row_key(self, row: tuple[int, ProcessRecord]) -> int:
        return row[1].pid

    def header_text(self, width: int) -> Text:
        pid, user, cpu, rss = cell("PID", 8, True), cell("USER", 9), cell("CPU%", 5, True), cell("RSS", 6, True)
        return Text(f"{pid} {user} S {cpu} {rss} COMMAND")

    def row_text(self, row: tuple[int, ProcessRecord], width: int) -> Text:
        depth, record = row
        return Text(
            f"{cell(str(record.pid), 8, True)} {cell(record.user, 9)} {record.state} "
            f"{cell(f'{record.cpu_percent:.1f}', 5, True)} {cell(human_bytes(record.rss), 6, True)} "
            f"{'  ' * (depth - 1)}{command_text(record)}"
        )
