"""Does the event stream keep up? 20,000 file opens/s plus 300 execs/s for 10 s, counted
against what the workload reports it did (root, bcc, kernel headers needed).

    .venv/bin/python bench/event_stream.py [--opens 20000] [--execs 300] [--seconds 10]

Two paced child processes make the load: one opens (and closes) files under a fresh temp dir,
one spawns `/bin/true MARKER N`. The main thread drains the stream every 100 ms, as the monitor
does, and counts the events that belong to the workload. Target: zero lost.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time

from syswatch.probes.ebpf.events import EventStream
from syswatch.probes.ebpf.loader import unavailable_reason

# Paced loops: each does `rate` operations per second in 10 ms batches, then prints its total.
OPENER = """
import os, sys, time
rate, seconds, base = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
paths = [os.path.join(base, f"f{i}") for i in range(100)]
for path in paths:
    open(path, "w").close()
done, start = 0, time.monotonic()
while (now := time.monotonic()) < start + seconds:
    due = int((now - start) * rate)
    while done < due:
        os.close(os.open(paths[done % 100], os.O_RDONLY))
        done += 1
    time.sleep(0.01)
print(done)
"""
EXECER = """
import os, sys, time
rate, seconds, marker = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
done, start = 0, time.monotonic()
while (now := time.monotonic()) < start + seconds:
    due = int((now - start) * rate)
    while done < due:
        pid = os.posix_spawn("/bin/true", ["/bin/true", marker, str(done)], {})
        os.waitpid(pid, 0)
        done += 1
    time.sleep(0.01)
print(done)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=20_000, help="file opens per second")
    parser.add_argument("--execs", type=int, default=300, help="execs per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"event_stream: eBPF unavailable: {reason}", file=sys.stderr)
        return 1

    stream = EventStream()
    stream.start(background=False)
    if stream.state != "on":
        print(f"event_stream: {stream.reason}", file=sys.stderr)
        return 1
    stream.drain()
    base = tempfile.mkdtemp(prefix="syswatch-bench-")
    marker = f"syswatch-bench-{time.time_ns()}"
    usage_before, wall_before = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(args.opens), str(args.seconds), base],
            stdout=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [sys.executable, "-c", EXECER, str(args.execs), str(args.seconds), marker],
            stdout=subprocess.PIPE,
            text=True,
        ),
    ]
    opens = execs = total = 0

    def take() -> None:
        nonlocal opens, execs, total
        for event in stream.drain():
            total += 1
            if (
                event.type == "openat"
                and str(event.args.get("name", "")).startswith(base + "/f")
                and event.args["flags"] & 3 == 0
            ):
                opens += 1
            elif event.type == "execve" and event.args.get("argv", ())[1:2] == (marker,):
                execs += 1

    while any(child.poll() is None for child in children):
        take()
        time.sleep(0.1)
    time.sleep(3 * stream.poll_interval)
    take()
    usage_after, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - wall_before
    opens_done, execs_done = (int(child.communicate()[0]) for child in children)
    stats = stream.stats()
    stream.close()
    cpu = (
        (usage_after.ru_utime + usage_after.ru_stime - usage_before.ru_utime - usage_before.ru_stime) / wall * 100
    )

    print(f"workload: {args.opens:,} opens/s + {args.execs} execs/s for {args.seconds:g} s")
    print(f"opens: {opens:,} received of {opens_done:,} made ({opens_done / args.seconds:,.0f}/s achieved)")
    print(f"execs: {execs:,} received of {execs_done:,} made ({execs_done / args.seconds:,.0f}/s achieved)")
    print(
        f"all events: {total:,} received ({total / wall:,.0f}/s); lost: {stats.lost} "
        f"(buffer full {stats.output_failed}, pending map full {stats.pending_full}, "
        f"queue dropped {stats.queue_dropped}, perf lost {stats.perf_lost})"
    )
    print(f"syswatch process CPU while consuming: {cpu:.0f}% of one core (100 = one core)")
    ok = stats.lost == 0 and opens == opens_done and execs == execs_done
    print("result: " + ("OK, nothing lost" if ok else "MISSING EVENTS"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
