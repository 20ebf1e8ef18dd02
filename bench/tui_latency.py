"""TUI responsiveness: startup to first frame, key-press-to-frame latency, RSS.

Run by hand (as root for the eBPF part): `.venv/bin/python bench/tui_latency.py`.

1. Startup: the real `syswatch` in tmux until its first snapshot is on screen, beside htop's first
   frame in the same run. Target: under 1 s, with eBPF compiling in the background.
2. Key latency: in a real terminal (tmux), the time from a Down key to the changed screen with
   10,000 processes and with 50, so the ratio shows whether 10,000 feel like 50. Target: < 50 ms.
3. RSS of the running TUI after eBPF has loaded, beside htop's. Target: under 120 MB.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def pane_pid(session: str) -> int:
    return int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())


def time_to_screen(session: str, command: str, marker: str, timeout: float = 10.0) -> float:
    """Seconds from starting `command` in tmux until `marker` is on screen (polled every 5 ms)."""
    started = time.perf_counter()
    # env -u: a tmux server started without a terminal exports COLUMNS=80 LINES=24 (Textual obeys them)
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"env -u COLUMNS -u LINES {command}")
    while time.perf_counter() - started < timeout:
        if marker in tmux("capture-pane", "-p", "-t", session):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"{marker!r} never appeared for {command}")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def startup_and_rss() -> None:
    print("== startup to first frame (tmux 120x40), and RSS")
    syswatch = f"{sys.executable} -m syswatch"
    results = {}
    for name, command, marker in (("syswatch", syswatch, " shown"), ("htop", "htop", "PID")):
        times = []
        for run in range(3):
            session = f"bench-{name}-{run}"
            times.append(time_to_screen(session, command, marker))
            if run < 2:
                tmux("kill-session", "-t", session)
        results[name] = statistics.median(times)
        session = f"bench-{name}-2"
        if name == "syswatch":
            waited = time.perf_counter()
            deadline = waited + 20
            while "loading" in tmux("capture-pane", "-p", "-t", session).splitlines()[0] and time.perf_counter() < deadline:
                time.sleep(0.02)
            header = tmux("capture-pane", "-p", "-t", session).splitlines()[0]
            print(f"   eBPF settled {time.perf_counter() - waited + results[name]:.2f} s after start: {header[:90]}")
        time.sleep(3)
        pid = pane_pid(session)
        print(f"   {name:9} first frame {results[name] * 1000:7.0f} ms (median of 3)   RSS {rss_mb(pid):6.1f} MB")
        tmux("kill-session", "-t", session)
    print(f"   ratio syswatch/htop first frame: {results['syswatch'] / results['htop']:.1f}x")


def serve_synthetic(extra_processes: int) -> None:
    """Run the TUI on the demo host plus `extra_processes` copies of an nginx worker (one snapshot)."""
    from syswatch.config import Config
    from syswatch.demo import DemoSource, demo_snapshot
    from syswatch.tui.app import SyswatchApp

    base = demo_snapshot()
    template = base.processes[1160]
    many = {pid: replace(template, pid=pid, tgid=pid, ppid=1125)
            for pid in range(100_000, 100_000 + extra_processes)}
    snapshot = replace(base, processes={**base.processes, **many})

    class Source(DemoSource):
        def tick(self):
            return snapshot

    SyswatchApp(replace(Config(), interval=3600), Source()).run()


def key_latency(extra_processes: int, presses: int = 40) -> list[float]:
    """Down key to changed screen, in a real terminal (tmux): send-keys, then poll capture-pane."""
    session = f"bench-keys-{extra_processes}"
    command = f"{sys.executable} {os.path.abspath(__file__)} --serve {extra_processes}"
    time_to_screen(session, command, " shown")
    time.sleep(1.0)
    timings = []
    try:
        for _ in range(presses):
            before = tmux("capture-pane", "-p", "-e", "-t", session)
            started = time.perf_counter()
            tmux("send-keys", "-t", session, "Down")
            while tmux("capture-pane", "-p", "-e", "-t", session) == before:
                if time.perf_counter() - started > 2:
                    raise RuntimeError("the screen did not change after Down")
            timings.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        tmux("kill-session", "-t", session)
    return timings


def latencies() -> None:
    print("== key-press-to-frame latency (Down key in tmux 120x40, until the screen changes)")
    probe = time.perf_counter()
    for _ in range(20):
        tmux("capture-pane", "-p", "-e", "-t", "bench-none")
    print(f"   (one tmux capture-pane costs {(time.perf_counter() - probe) / 20 * 1000:.1f} ms; included below)")
    medians = {}
    for count in (25, 10_000):
        timings = key_latency(count)
        medians[count] = statistics.median(timings)
        print(f"   {count + 25:6d} processes: median {medians[count] * 1000:5.1f} ms, "
              f"p95 {sorted(timings)[int(len(timings) * 0.95)] * 1000:5.1f} ms")
    print(f"   ratio 10,000 / 50 processes: {medians[10_000] / medians[25]:.2f}x")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve_synthetic(int(sys.argv[2]))
        raise SystemExit
    os.chdir(ROOT)
    latencies()
    startup_and_rss()
