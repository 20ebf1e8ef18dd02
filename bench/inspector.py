"""Inspector refresh time beside `lsof -p PID`, for processes holding 100, 2,000 and ~20,000 fds,
measured in one run on this machine.

    .venv/bin/python bench/inspector.py [--sizes 100,2000,19900] [--repeat 5]

Each child holds a realistic mix: 70% regular files (several files, read/write/append), 10%
directories, 10% pipes (both ends in the child), 5% unix socket pairs, 5% TCP listeners on
127.0.0.1. Measured, median of --repeat runs taken in turns, peer index cold where used (a fresh PeerIndex each run, so
the scan of every other process's fds for pairing pipes and unix sockets is included):
  fds tab  the FDs tab appearing: `read_fds(pair=False)` (every fd's kind, target, socket
           endpoints; flags/pos read in full up to DETAIL_LIMIT fds) plus `fill_details` for one
           screen of 50 rows, as the TUI does;
  +pairing `pair_peers` with a cold index: who holds the other end of each pipe and unix
           socket (a scan of every other process's fds; the TUI runs it after the first paint
           and reuses it for PeerIndex.ttl seconds; it grows with the host, not with this process);
  full     `read_fds(detailed=True)`: fdinfo and stat for every fd, paired (what
           `syswatch inspect --json` prints);
  inspect  the whole inspector in one call (`inspect_process`: Info, FDs paired, Env);
  floor    listdir + readlink of every fd in a bare loop: the kernel's share, which no reader avoids;
  lsof -nP `lsof -n -P -p PID` (no name lookups, as syswatch does none);
  lsof     `lsof -p PID` as people type it.
The largest size is bounded by the open-files hard limit here (20,000; root lacks
CAP_SYS_RESOURCE, so it cannot be raised): the child needs a few fds of its own.
Targets: faster than lsof at every size; FDs of a 20,000-fd process in under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from syswatch.probes.fds import FdTable, PeerIndex, fill_details, pair_peers, read_fds

from syswatch.inspect import inspect_process

HOLDER = r"""
import os, resource, socket, sys
count, tmp = int(sys.argv[1]), sys.argv[2]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
files = [os.path.join(tmp, f"file{i}") for i in range(8)]
for path in files:
    open(path, "w").close()
modes = [os.O_RDONLY, os.O_RDWR, os.O_WRONLY | os.O_APPEND]
held = []
while len(held) < count:
    slot = len(held) % 20
    if slot < 14:
        held.append(os.open(files[slot % 8], modes[slot % 3]))
    elif slot < 16:
        held.append(os.open(tmp, os.O_RDONLY | os.O_DIRECTORY))
    elif slot < 18:
        held.extend(os.pipe())
    elif slot == 18:
        held.extend(s.detach() for s in socket.socketpair())
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        held.append(listener.detach())
print(len(os.listdir("/proc/self/fd")), flush=True)
sys.stdin.read()
"""


def interleaved_medians(repeat: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median ms of each run, taking turns (a, b, c, a, b, c, ...) so every one sees the same load."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, once in runs.items():
            started = time.perf_counter()
            once()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def fds_tab(pid: int) -> None:
    table = read_fds(pid, pair=False)
    fill_details(pid, table, [info.fd for info in table.fds[:50]])


def pairing(pid: int, table: FdTable) -> None:
    pair_peers(pid, table, PeerIndex())


def readlink_floor(pid: int) -> None:
    fd_dir = f"/proc/{pid}/fd"
    for name in os.listdir(fd_dir):
        os.readlink(f"{fd_dir}/{name}")


def lsof(args: list[str]) -> None:
    subprocess.run(["lsof", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,2000,19900", help="fd counts (default 100,2000,19900)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("lsof") is None:
        print("bench/inspector.py: lsof is not installed (apt-get install lsof)", file=sys.stderr)
        return 2
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"open-files hard limit here: {hard}; median of {args.repeat} runs each")
    header = (
        f"{'fds':>7} {'floor':>9} {'fds tab':>9} {'+pairing':>9} {'full':>9} {'inspect':>9} {'lsof -nP':>9} {'lsof':>9}"
        f" {'lsof-nP/tab':>12} {'lsof-nP/full':>13} {'lsof/inspect':>13}"
    )
    print(header)
    failed = False
    for size in sizes:
        if size > hard - 50:
            print(f"{size:>7} skipped: above the open-files hard limit ({hard}) minus the child's own fds")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            child = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(size), tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            try:
                held = int(child.stdout.readline())
                pid = str(child.pid)
                table = read_fds(child.pid, peers=PeerIndex())
                assert len(table.fds) >= size, (len(table.fds), size)
                unpaired = read_fds(child.pid, pair=False)
                ms = interleaved_medians(
                    args.repeat,
                    {
                        "floor": lambda: readlink_floor(child.pid),
                        "tab": lambda: fds_tab(child.pid),
                        "pairing": lambda: pairing(child.pid, unpaired),
                        "full": lambda: read_fds(child.pid, peers=PeerIndex(), detailed=True),
                        "inspect": lambda: inspect_process(child.pid, peers=PeerIndex()),
                        "lsof -nP": lambda: lsof(["-n", "-P", "-p", pid]),
                        "lsof": lambda: lsof(["-p", pid]),
                    },
                )
                floor_ms, fds_ms, pairing_ms, full_ms, inspect_ms, lsof_np_ms, lsof_ms = ms.values()
            finally:
                child.stdin.close()
                child.wait()
        print(
            f"{held:>7} {floor_ms:>7.1f}ms {fds_ms:>7.1f}ms {pairing_ms:>7.1f}ms {full_ms:>7.1f}ms {inspect_ms:>7.1f}ms {lsof_np_ms:>7.1f}ms {lsof_ms:>7.1f}ms"
            f" {lsof_np_ms / fds_ms:>11.1f}x {lsof_np_ms / full_ms:>12.1f}x {lsof_ms / inspect_ms:>12.1f}x"
        )
        failed |= max(fds_ms, inspect_ms) >= lsof_np_ms or (held >= 19000 and fds_ms >= 200)
    print(f"load average now: {os.getloadavg()[0]:.2f} (other work on this machine slows both sides)")
    print("targets met" if not failed else "TARGET MISSED: slower than lsof, or the FDs tab of ~20,000 fds >= 200 ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
