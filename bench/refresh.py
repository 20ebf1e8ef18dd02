"""Refresh cost: syswatch's Monitor (and, when it runs, the whole TUI) against htop, in one run.

    .venv/bin/python bench/refresh.py [--procs 2000] [--seconds 30] [--no-tui]

1. Starts --procs extra sleeping processes (`sleep 3600`, in their own process group: killed at the
   end, on Ctrl-C and on SIGTERM; `sleep 3600` bounds the leak if this script is SIGKILLed).
2. For --seconds, at the same time:
   - ticks a headless Monitor every second in this process, timing each tick with process_time;
   - runs `htop -d 15` (its default 1.5 s refresh) in tmux and reads its utime+stime from /proc;
   - runs the syswatch TUI (`syswatch --interval 1`) in tmux the same way (skip with --no-tui).
3. Prints CPU per refresh for each and the ratios against htop (target: syswatch <= htop).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from syswatch.monitor import Monitor
from syswatch.probes.procfs import CLOCK_TICKS, parse_stat, read_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSWATCH = os.path.join(ROOT, ".venv", "bin", "syswatch")
HTOP_DELAY_TENTHS = 15  # htop's default refresh, 1.5 s; passed explicitly so the figure is known


# --- extra processes ------------------------------------------------------------------------------


class Sleepers:
    """N `sleep` processes under one helper in a new session, so one killpg ends them all."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.helper: subprocess.Popen | None = None

    def __enter__(self) -> Sleepers:
        code = (
            "import os, sys\n"
            f"for _ in range({self.count}):\n"
            "    os.posix_spawn('/bin/sleep', ['sleep', '3600'], os.environ)\n"
            "print('ready', flush=True)\n"
            "os.wait()\n"  # sits here until killed with the group
        )
        self.helper = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                       start_new_session=True)
        if self.helper.stdout.readline().strip() != "ready":
            raise RuntimeError("the helper that starts the sleeping processes failed")
        return self

    def __exit__(self, *_: object) -> None:
        if self.helper is None:
            return
        try:
            os.killpg(self.helper.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.helper.wait()
        self.helper = None


# --- programs in tmux, measured from /proc ----------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process so far, or None when it is gone."""
    stat = parse_stat(read_bytes(f"/proc/{pid}/stat") or b"")
    return None if stat is None else stat.cpu_ticks / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    stat = parse_stat(read_bytes(f"/proc/{pid}/stat") or b"")
    return 0 if stat is None else stat.rss_pages * os.sysconf("SC_PAGE_SIZE")


class TmuxProgram:
    """A full-screen program in a detached tmux session, as a person would run it."""

    def __init__(self, session: str, argv: list[str], comm: str, width: int = 200, height: int = 50) -> None:
        self.session, self.argv, self.comm = session, argv, comm
        self.width, self.height = width, height
        self.pid: int | None = None

    def __enter__(self) -> TmuxProgram:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", str(self.width),
                        "-y", str(self.height), "env", "-u", "COLUMNS", "-u", "LINES", *self.argv],
                       check=True)  # a tmux server started without a terminal exports COLUMNS=80
        self.pid = self._find_pid()
        return self

    def _find_pid(self, timeout: float = 10.0) -> int:
        """The program's pid: the pane's process, or its descendant with the expected comm."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["tmux", "list-panes", "-t", self.session, "-F", "#{pane_pid}"],
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                pane = int(out.stdout.split()[0])
                found = self._descendant_named(pane)
                if found is not None:
                    return found
            time.sleep(0.1)
        raise RuntimeError(f"{self.argv[0]} did not start in tmux session {self.session}")

    def _descendant_named(self, root: int) -> int | None:
        queue = [root]
        while queue:
            pid = queue.pop()
            stat = parse_stat(read_bytes(f"/proc/{pid}/stat") or b"")
            if stat is not None and stat.comm == self.comm:
                return pid
            children = read_bytes(f"/proc/{pid}/task/{pid}/children") or b""
            queue.extend(int(child) for child in children.split())
        return None

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session],
                              capture_output=True, text=True).stdout

    def __exit__(self, *_: object) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


@dataclass
class Figure:
    name: str
    seconds: float
    cpu: float  # CPU seconds over the window
    refreshes: float
    rss: int = 0
    note: str = ""

    @property
    def per_refresh_ms(self) -> float:
        return self.cpu / self.refreshes * 1000 if self.refreshes else float("nan")

    @property
    def core_percent(self) -> float:
        return self.cpu / self.seconds * 100


# --- the measurement ------------------------------------------------------------------------------


def prime_monitor() -> tuple[Monitor, float, int]:
    """A Monitor past its first tick (which reads every process's static files); that tick's CPU."""
    monitor = Monitor()
    started = time.process_time()
    processes = len(monitor.tick().processes)
    return monitor, time.process_time() - started, processes


def tick_monitor(monitor: Monitor, seconds: int, processes: int) -> tuple[Figure, list[float]]:
    """Tick once a second for `seconds`; CPU per tick by process_time."""
    costs: list[float] = []
    window_start = time.monotonic()
    next_at = window_start + 1.0
    for _ in range(seconds):
        time.sleep(max(next_at - time.monotonic(), 0))
        next_at += 1.0
        before = time.process_time()
        monitor.tick()
        costs.append(time.process_time() - before)
    figure = Figure("syswatch Monitor (headless, 1 s)", time.monotonic() - window_start, sum(costs), len(costs),
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, f"{processes} processes")
    return figure, costs


def tmux_figure(program: TmuxProgram, name: str, cpu_before: float, elapsed: float, refresh_every: float) -> Figure:
    """The program's CPU over the window that began at `cpu_before`; refreshes from its interval."""
    assert program.pid is not None
    after = cpu_seconds(program.pid)
    if after is None:
        raise RuntimeError(f"{name} exited during the measurement")
    return Figure(name, elapsed, after - cpu_before, elapsed / refresh_every, rss_bytes(program.pid),
                  f"refresh every {refresh_every:g} s")


def tui_runs() -> bool:
    """Whether the syswatch TUI exists yet (the lead builds it alongside this benchmark)."""
    try:
        import syswatch.tui.app  # noqa: F401
    except ImportError:
        return False
    return True


def tui_program() -> TmuxProgram:
    """The whole TUI, as a user runs it: defaults, 1 s refresh, no user config."""
    return TmuxProgram("benchsyswatch", [SYSWATCH, "--interval", "1", "--config", os.devnull], "syswatch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=2000, help="extra sleeping processes (default 2000)")
    parser.add_argument("--seconds", type=int, default=30, help="measurement window (default 30)")
    parser.add_argument("--no-tui", action="store_true", help="measure the headless monitor and htop only")
    args = parser.parse_args()
    for tool in ("tmux", "htop"):
        if shutil.which(tool) is None:
            print(f"bench/refresh.py: needs {tool} (apt-get install {tool})", file=sys.stderr)
            return 2
    with_tui = not args.no_tui and tui_runs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanups below on SIGTERM too

    with contextlib.ExitStack() as stack:  # everything started here is stopped, even on Ctrl-C
        stack.enter_context(Sleepers(args.procs))
        htop = stack.enter_context(TmuxProgram("benchhtop", ["htop", "-d", str(HTOP_DELAY_TENTHS)], "htop"))
        tui = stack.enter_context(tui_program()) if with_tui else None
        time.sleep(5)  # all past start-up (the TUI loads eBPF) and their first full scan
        headless, first_tick, processes = prime_monitor()
        htop_before = cpu_seconds(htop.pid) or 0.0
        tui_before = (cpu_seconds(tui.pid) or 0.0) if tui else 0.0
        monitor, costs = tick_monitor(headless, args.seconds, processes)
        elapsed = monitor.seconds  # one window for all three
        htop_fig = tmux_figure(htop, f"htop -d {HTOP_DELAY_TENTHS}", htop_before, elapsed, HTOP_DELAY_TENTHS / 10)
        tui_fig = tmux_figure(tui, "syswatch TUI (1 s)", tui_before, elapsed, 1.0) if tui else None
        tui_screen = tui.screen() if tui else ""

    report(args, monitor, first_tick, costs, htop_fig, tui_fig, with_tui, tui_screen)
    return 0


def report(args, monitor: Figure, first_tick: float, costs: list[float], htop: Figure,
           tui: Figure | None, with_tui: bool, tui_screen: str) -> None:
    print(f"refresh benchmark: +{args.procs} sleeping processes ({monitor.note}), "
          f"{os.cpu_count()} CPUs, {monitor.seconds:.1f} s window, all measured at the same time\n")
    print(f"{'program':36} {'CPU s':>7} {'refreshes':>9} {'ms CPU/refresh':>15} {'% of a core':>11} {'RSS MB':>7}")
    for figure in (monitor, htop, tui):
        if figure is None:
            continue
        print(f"{figure.name:36} {figure.cpu:7.2f} {figure.refreshes:9.0f} {figure.per_refresh_ms:15.1f} "
              f"{figure.core_percent:11.1f} {figure.rss / 2**20:7.0f}")
    print(f"\nmonitor first tick (reads every process's status, cmdline, exe, cgroup): {first_tick * 1000:.0f} ms CPU")
    print(f"monitor per tick: median {statistics.median(costs) * 1000:.1f} ms, max {max(costs) * 1000:.1f} ms")
    print(f"\nratio syswatch Monitor / htop, CPU per refresh: {monitor.per_refresh_ms / htop.per_refresh_ms:.2f} "
          "(target <= 1)")
    print(f"ratio syswatch Monitor / htop, CPU per second:  {monitor.core_percent / htop.core_percent:.2f}")
    if tui is not None:
        print(f"ratio syswatch TUI / htop, CPU per refresh:     {tui.per_refresh_ms / htop.per_refresh_ms:.2f} "
              "(target <= 1)")
        print(f"ratio syswatch TUI / htop, CPU per second:      {tui.core_percent / htop.core_percent:.2f}")
        if "PID" not in tui_screen:
            print("warning: the TUI's screen showed no process list; its figure may not be representative")
    elif not with_tui:
        print("(whole TUI not measured: --no-tui, or syswatch.tui.app is not there yet)")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench/refresh.py: interrupted; extra processes and tmux sessions stopped", file=sys.stderr)
        sys.exit(130)
