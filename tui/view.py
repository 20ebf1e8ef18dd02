"""What the process list shows, decided without Textual: columns, sorting, tree order, filters.

The widget (`process_table.py`) only draws the rows this module orders; keeping the logic
here makes it fast to test and keeps per-frame work to formatting the visible rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from syswatch.model import ProcessRecord, Snapshot, SyscallStats
from syswatch.secrets import mask_cmdline


def human_bytes(value: int) -> str:
    """htop-style compact sizes: 812K, 35.2M, 1.4G."""
    size = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            if unit in ("B", "K"):
                return f"{size:.0f}{unit}"
            return f"{size:.1f}{unit}" if size < 100 else f"{size:.0f}{unit}"
        size /= 1024
    return f"{size:.0f}T"


def cpu_time(seconds: float) -> str:
    """TIME+ as htop prints it: M:SS.cc below an hour, then H:MM:SS, then days."""
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}:{rest:05.2f}"
    hours, rest = divmod(int(seconds), 3600)
    if hours < 24 * 10:
        return f"{hours}h{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours // 24}d{hours % 24:02d}h"


def rate(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}"


@dataclass(frozen=True, slots=True)
class Column:
    id: str  # the id used in config.toml's `columns`
    title: str
    width: int  # 0: takes the rest of the line (COMMAND)
    right: bool  # right-aligned (numbers)
    text: Callable[[ProcessRecord, "ViewContext"], str]
    sort_key: Callable[[ProcessRecord, "ViewContext"], Any]
    needs_ebpf: bool = False


@dataclass(frozen=True, slots=True)
class ViewContext:
    syscalls: Mapping[int, SyscallStats]
    ebpf_on: bool


def _syscalls_per_second(record: ProcessRecord, ctx: ViewContext) -> float:
    stats = ctx.syscalls.get(record.tgid)
    return stats.calls_per_second if stats else 0.0


def _syscalls_text(record: ProcessRecord, ctx: ViewContext) -> str:
    if not ctx.ebpf_on or record.is_thread:
        return "-"
    return rate(_syscalls_per_second(record, ctx))


def _top_syscall(record: ProcessRecord, ctx: ViewContext) -> str:
    if not ctx.ebpf_on or record.is_thread:
        return "-"
    stats = ctx.syscalls.get(record.tgid)
    return (stats.top_syscall if stats else None) or ""


def _container_text(record: ProcessRecord, ctx: ViewContext) -> str:
    return record.container.label if record.container else ""


def command_text(record: ProcessRecord) -> str:
    """The command as shown: secrets in arguments masked, kernel threads as [comm]."""
    if record.cmdline:
        return " ".join(mask_cmdline(record.cmdline))
    return f"[{record.comm}]"


COLUMNS: dict[str, Column] = {
    c.id: c
    for c in (
        Column("pid", "PID", 7, True, lambda r, c: str(r.pid), lambda r, c: r.pid),
        Column("user", "USER", 9, False, lambda r, c: r.user, lambda r, c: r.user),
        Column("container", "CONTAINER", 12, False, _container_text, lambda r, c: _container_text(r, c)),
        Column("state", "S", 1, False, lambda r, c: r.state, lambda r, c: r.state),
        Column("cpu", "CPU%", 5, True, lambda r, c: f"{r.cpu_percent:.1f}", lambda r, c: r.cpu_percent),
        Column("mem", "MEM%", 5, True, lambda r, c: f"{r.mem_percent:.1f}", lambda r, c: r.mem_percent),
        Column("rss", "RSS", 6, True, lambda r, c: human_bytes(r.rss), lambda r, c: r.rss),
        Column("threads", "THR", 4, True, lambda r, c: str(r.threads), lambda r, c: r.threads),
        Column("time", "TIME+", 9, True, lambda r, c: cpu_time(r.cpu_time), lambda r, c: r.cpu_time),
        Column("syscalls", "SYSC/s", 6, True, _syscalls_text, _syscalls_per_second, needs_ebpf=True),
        Column("top_syscall", "TOP SYSCALL", 11, False, _top_syscall, lambda r, c: _top_syscall(r, c),
               needs_ebpf=True),
        Column("command", "COMMAND", 0, False, lambda r, c: command_text(r), lambda r, c: command_text(r)),
    )
}
DEFAULT_COLUMNS: tuple[str, ...] = (
    "pid", "user", "container", "state", "cpu", "mem", "rss", "threads", "time",
    "syscalls", "top_syscall", "command",
)
# On a narrow terminal these columns give way, first to last, until COMMAND has MIN_COMMAND_WIDTH
# cells (htop users expect the command at 80 columns). PID, USER, S, CPU% and COMMAND always stay.
NARROW_DROP_ORDER: tuple[str, ...] = ("top_syscall", "mem", "threads", "time", "rss", "container", "syscalls")
MIN_COMMAND_WIDTH = 24


def columns_for_width(columns: tuple[str, ...], width: int) -> list[str]:
    """The configured columns that fit in `width`, dropping NARROW_DROP_ORDER first."""
    shown = [c for c in columns if c in COLUMNS]

    def fixed() -> int:
        return sum(COLUMNS[c].width + 1 for c in shown if COLUMNS[c].width)

    for column_id in NARROW_DROP_ORDER:
        if fixed() + MIN_COMMAND_WIDTH <= width or "command" not in shown:
            break
        if column_id in shown:
            shown.remove(column_id)
    return shown


# Numbers read best largest-first, names alphabetically: the default direction per column.
DESCENDING_BY_DEFAULT = {"cpu", "mem", "rss", "threads", "time", "syscalls"}


@dataclass(frozen=True, slots=True)
class Row:
    record: ProcessRecord
    prefix: str = ""  # tree branches drawn before COMMAND
    context_only: bool = False  # an ancestor shown only to keep a filtered tree readable


@dataclass(slots=True)
class ViewOptions:
    tree: bool = True
    sort_column: str = "cpu"
    invert: bool = False  # flip the column's natural direction (htop's I)
    filter_text: str = ""
    user: str | None = None
    show_threads: bool = False
    hide_kernel_threads: bool = False
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)

    def descending(self) -> bool:
        return (self.sort_column in DESCENDING_BY_DEFAULT) != self.invert


def matches(record: ProcessRecord, needle: str) -> bool:
    """Case-insensitive match of the search/filter text on pid, command, comm and container."""
    if not needle:
        return True
    needle = needle.lower()
    if needle in command_text(record).lower() or needle in record.comm.lower():
        return True
    if record.container and needle in record.container.label.lower():
        return True
    return needle == str(record.pid)


def build_rows(snapshot: Snapshot, options: ViewOptions) -> list[Row]:
    """The ordered rows for the list: flat and sorted, or a tree with siblings sorted."""
    ctx = ViewContext(snapshot.syscalls, snapshot.ebpf.state == "on")
    records: dict[int, ProcessRecord] = dict(snapshot.processes)
    if options.show_threads:
        records.update(snapshot.threads)
    if options.hide_kernel_threads:
        records = {pid: r for pid, r in records.items() if not r.is_kernel_thread}
    wanted = {
        pid
        for pid, r in records.items()
        if (options.user is None or r.user == options.user) and matches(r, options.filter_text)
    }
    column = COLUMNS.get(options.sort_column, COLUMNS["pid"])

    def key(record: ProcessRecord) -> Any:
        return (column.sort_key(record, ctx), record.pid)

    if not options.tree:
        ordered = sorted((records[pid] for pid in wanted), key=key, reverse=options.descending())
        return [Row(r) for r in ordered]
    return _tree_rows(records, wanted, key, options.descending())


def _tree_rows(
    records: dict[int, ProcessRecord],
    wanted: set[int],
    key: Callable[[ProcessRecord], Any],
    descending: bool,
) -> list[Row]:
    # A filtered tree keeps the ancestors of every match, marked as context, so the branch still reads.
    shown = set(wanted)
    if len(wanted) != len(records):
        for pid in wanted:
            parent = records[pid].ppid
            while parent in records and parent not in shown:
                shown.add(parent)
                parent = records[parent].ppid
    children: dict[int, list[ProcessRecord]] = {}
    roots: list[ProcessRecord] = []
    for pid in shown:
        record = records[pid]
        if record.ppid in shown and record.ppid != pid:
            children.setdefault(record.ppid, []).append(record)
        else:
            roots.append(record)
    for siblings in children.values():
        siblings.sort(key=key, reverse=descending)
    roots.sort(key=lambda r: r.pid)  # init and kthreadd first, as pstree does

    rows: list[Row] = []
    # Iterative depth-first walk (deep chains must not hit Python's recursion limit).
    stack: list[tuple[ProcessRecord, str, str]] = [(r, "", "") for r in reversed(roots)]
    while stack:
        record, branch, indent = stack.pop()
        rows.append(Row(record, branch, record.pid not in wanted))
        kids = children.get(record.pid, ())
        for index in range(len(kids) - 1, -1, -1):
            last = index == len(kids) - 1
            stack.append((kids[index], indent + ("└─" if last else "├─"), indent + ("  " if last else "│ ")))
    return rows


def shim_container_id(record: ProcessRecord) -> str | None:
    """A containerd shim names the container it runs with `-id <id>`: mark it as that container's parent."""
    if not record.comm.startswith("containerd-shim"):
        return None
    args = record.cmdline
    for index, arg in enumerate(args[:-1]):
        if arg == "-id":
            return args[index + 1][:12]
    return None

