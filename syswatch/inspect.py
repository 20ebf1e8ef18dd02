"""The inspector's data for one pid: Info, FDs and Env, assembled into one immutable `Inspection`.

Each section is read on its own and fails on its own: a section that cannot be read holds a
one-line reason ("permission denied") instead of data, and the others are still shown. A
process that exits while being read keeps what was read and is marked `exited`. The TUI calls
`inspect_process` from a worker thread and renders the result; `syswatch inspect PID --json`
prints it.

For a UI:
    inspection = inspect_process(pid, sections=("fds",), pair=False)  # read only the tab on screen
    table = inspection.fds                                  # FdTable, or a str saying why not
    if not table.detailed:                                  # > DETAIL_LIMIT fds: fill the rows shown
        table = fill_details(pid, table, [row.fd for row in visible_rows])  # syswatch.probes.fds
    table = pair_peers(pid, table)                          # then, off the UI thread: who holds the other ends
    reveal_env(pid, "SECRET")                               # after the user confirmed, never before
    iter_strings(pid, fd, offset)                           # syswatch.probes.fdpeek: strings of a file
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from syswatch.probes.environ import EnvVar, read_environ, reveal
from syswatch.probes.fds import FdTable, PeerIndex, read_fds
from syswatch.probes.procfs import PF_KTHREAD, parse_stat, read_bytes
from syswatch.probes.procinfo import ProcInfo, describe_error, read_info

SECTIONS = ("info", "fds", "env")
GONE = "gone (process exited)"


class ProcessNotFound(LookupError):
    """No process has this pid."""


@dataclass(frozen=True)
class Inspection:
    """One reading of one process. A section is its data, a str saying why it is missing,
    or None when it was not asked for."""

    pid: int
    comm: str
    kind: str  # "process" | "zombie" | "kernel thread"
    time: float  # epoch seconds when the reading started
    elapsed: float  # seconds the reading took
    exited: bool  # the process exited (or its pid was reused) while being read
    show_secrets: bool  # secret values are in clear text (only with --show-secrets)
    notes: tuple[str, ...]  # explanations: zombie, kernel thread, what could not be resolved
    info: ProcInfo | str | None
    fds: FdTable | str | None
    env: tuple[EnvVar, ...] | str | None


@dataclass(frozen=True, slots=True)
class _Identity:
    start_ticks: int
    comm: str
    flags: int
    state: str
    ppid: int


def _identity(pid: int, proc_root: str) -> _Identity | None:
    """What tells this process from a later one with the same pid; None when the pid does not exist."""
    data = read_bytes(f"{proc_root}/{pid}/stat")
    stat = parse_stat(data) if data else None
    return None if stat is None else _Identity(stat.start_ticks, stat.comm, stat.flags, stat.state, stat.ppid)


T = TypeVar("T")


def _section(read: Callable[[], T]) -> tuple[T | str, bool]:
    """(data or the reason it is missing, whether the process was gone)."""
    try:
        return read(), False
    except OSError as error:
        reason = describe_error(error)
        return reason, reason == GONE
    except Exception as error:  # a parser meeting something new must cost one section, not the UI
        return f"error: {type(error).__name__}: {error}", False


def inspect_process(
    pid: int,
    show_secrets: bool = False,
    sections: Iterable[str] = SECTIONS,
    proc_root: str = "/proc",
    peers: PeerIndex | None = None,
    full_fds: bool = False,
    pair: bool = True,
) -> Inspection:
    """Read the asked sections of pid. Raises ProcessNotFound when there is no such pid.

    `sections` lets a UI read only the tab it shows; `peers` lets it share a PeerIndex
    (pairing pipes and unix sockets scans other processes, cached for a short while); with
    pair=False a UI pairs later with `pair_peers`. Above DETAIL_LIMIT fds, flags/positions/sizes
    are read only by `fill_details` for the rows shown, unless full_fds.
    """
    wanted = set(sections)
    unknown = wanted - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(sorted(unknown))}")
    started = time.time()
    clock = time.perf_counter()
    first = _identity(pid, proc_root)
    if first is None:
        raise ProcessNotFound(f"no process with pid {pid}")
    kind = "kernel thread" if first.flags & PF_KTHREAD else "zombie" if first.state == "Z" else "process"
    # A zombie's and a kernel thread's fds and environment do not exist (reading them says ESRCH).
    no_user_space = None if kind == "process" else f"none ({kind})"
    info: ProcInfo | str | None = None
    fds: FdTable | str | None = None
    env: tuple[EnvVar, ...] | str | None = None
    gone = False
    if "info" in wanted:
        info, lost = _section(lambda: read_info(pid, show_secrets, proc_root))
        gone |= lost
    if "fds" in wanted and no_user_space:
        fds = no_user_space
    elif "fds" in wanted:
        fds, lost = _section(lambda: read_fds(pid, proc_root, peers, True if full_fds else None, pair))
        gone |= lost
    if "env" in wanted and no_user_space:
        env = no_user_space
    elif "env" in wanted:
        env, lost = _section(lambda: read_environ(pid, show_secrets, proc_root))
        gone |= lost
    last = _identity(pid, proc_root)
    # Gone, reused, or died into a zombie meanwhile (a zombie's fd table reads as empty, not as an error).
    died = last is not None and last.state == "Z" and first.state != "Z"
    exited = gone or died or last is None or last.start_ticks != first.start_ticks
    notes = _notes(kind, first.ppid, exited)
    if isinstance(fds, FdTable):
        notes += fds.notes
    return Inspection(
        pid=pid,
        comm=first.comm,
        kind=kind,
        time=started,
        elapsed=time.perf_counter() - clock,
        exited=exited,
        show_secrets=show_secrets,
        notes=notes,
        info=info,
        fds=fds,
        env=env,
    )


def _notes(kind: str, ppid: int, exited: bool) -> tuple[str, ...]:
    notes: list[str] = []
    if exited:
        notes.append("exited while being read: what was read before is shown")
    if kind == "kernel thread":
        notes.append("kernel thread: it runs only in the kernel, so it has no executable, command line, "
                     "environment or open files")  # fmt: skip
    elif kind == "zombie":
        notes.append(f"zombie: it has exited and waits for its parent (pid {ppid}) to reap it; its open "
                     "files, environment and memory are already gone")  # fmt: skip
    return tuple(notes)


def reveal_env(pid: int, name: str, proc_root: str = "/proc") -> str | None:
    """The clear value of one environment variable, for the UI's confirmed reveal key.
    Raises OSError like the Env section does; None when the variable is absent."""
    return reveal(pid, name, proc_root)
