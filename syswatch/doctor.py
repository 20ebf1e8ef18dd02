"""`syswatch doctor`: can eBPF work here? One line per check, with the exact fix for each failure.

Exit status 0 only when every check passes. The last checks compile and attach the real
programs, which is the only proof that every tracepoint is attachable.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable, TextIO

from syswatch.probes.ebpf import loader
from syswatch.probes.ebpf.counters import SyscallCounter
from syswatch.probes.ebpf.events import EventStream, tracepoints
from syswatch.probes.ebpf.loader import BpfProbe

RAW_TRACEPOINTS = [("raw_syscalls", "sys_enter"), ("raw_syscalls", "sys_exit"), ("sched", "sched_process_exit")]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = " ok " if self.ok else "FAIL"
        fix = f" -> fix: {self.fix}" if not self.ok and self.fix else ""
        return f"[{mark}] {self.name}: {self.detail}{fix}"


def distro_family(os_release: str = "/etc/os-release") -> str:
    try:
        with open(os_release) as handle:
            fields = dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
    except OSError:
        return ""
    ids = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".replace('"', "").split()
    for family in ("debian", "fedora", "rhel", "arch", "suse"):
        if family in ids or (family == "debian" and "ubuntu" in ids):
            return family
    return ""


def install_hint(debian: str, fedora: str, other: str) -> str:
    family = distro_family()
    if family == "debian":
        return f"sudo apt-get install -y {debian}"
    if family in ("fedora", "rhel"):
        return f"sudo dnf install -y {fedora}"
    return other


def check_privileges() -> Check:
    reason = loader.privileges_reason()
    if reason is None:
        who = "root" if os.geteuid() == 0 else "CAP_BPF+CAP_PERFMON"
        return Check("privileges", True, who)
    return Check(
        "privileges",
        False,
        reason,
        "run as root (sudo syswatch), or grant CAP_BPF and CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep <python>)",
    )


def check_bcc() -> Check:
    try:
        module = loader.import_bcc()
    except loader.EbpfUnavailable as error:
        return Check(
            "bcc", False, str(error), install_hint("python3-bpfcc", "python3-bcc", "install BCC's Python bindings")
        )
    version = getattr(module, "__version__", "?")
    return Check("bcc", True, f"{version} from {os.path.dirname(module.__file__ or '')}")


def check_headers() -> Check:
    release = os.uname().release
    btf = "BTF present" if os.path.exists(loader.BTF) else "no BTF"
    headers = loader.kernel_headers_dir()
    if headers:
        return Check("kernel headers", True, f"{headers} ({btf})")
    if os.path.exists(loader.KHEADERS):
        return Check("kernel headers", True, f"{loader.KHEADERS} ({btf})")
    return Check(
        "kernel headers",
        False,
        f"none for {release} at /lib/modules/{release}/build ({btf}; bcc needs headers)",
        install_hint(f"linux-headers-{release}", f"kernel-devel-{release}", f"install the headers for {release}"),
    )


def check_tracefs() -> Check:
    path = loader.tracefs_dir()
    if path:
        return Check("tracefs", True, f"mounted at {path}")
    return Check("tracefs", False, "not mounted", "sudo mount -t tracefs nodev /sys/kernel/tracing")


def check_tracepoints() -> list[Check]:
    """One line per traced syscall (enter+exit) and per sched or raw tracepoint."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for category, name in RAW_TRACEPOINTS + tracepoints():
        label = f"{category}:{name}"
        if name.startswith(("sys_enter_", "sys_exit_")):
            label = f"syscalls:sys_{{enter,exit}}_{name.split('_', 2)[2]}"
        pairs.setdefault(label, []).append((category, name))
    checks = []
    for label, members in pairs.items():
        missing = [f"{c}:{n}" for c, n in members if not loader.tracepoint_exists(c, n)]
        detail = "present" if not missing else f"missing {', '.join(missing)}"
        fix = "needs CONFIG_FTRACE_SYSCALLS and a mounted tracefs" if missing else ""
        checks.append(Check(f"tracepoint {label}", not missing, detail, fix))
    return checks


def check_ringbuf() -> Check:
    if loader.ringbuf_supported():
        return Check("ring buffer", True, "BPF ring buffers available")
    return Check(
        "ring buffer",
        False,
        "the kernel refused a BPF ring buffer (Linux < 5.8, or no privileges)",
        "syswatch falls back to perf buffers; for ring buffers run Linux 5.8 or newer as root",
    )


def check_program(name: str, probe: BpfProbe) -> Check:
    probe.start(background=False)
    try:
        if probe.state == "on":
            return Check(name, True, f"compiled and attached in {probe.load_seconds:.2f} s")
        return Check(
            name, False, probe.reason, "fix the failures above; run again to see the compiler's first error"
        )
    finally:
        probe.close()


def run_checks(out: TextIO) -> bool:
    prerequisites: list[Callable[[], Check | list[Check]]] = [
        check_privileges,
        check_bcc,
        check_headers,
        check_tracefs,
        check_tracepoints,
        check_ringbuf,
    ]
    all_ok = True
    for step in prerequisites:
        result = step()
        for check in result if isinstance(result, list) else [result]:
            print(check.line(), file=out, flush=True)
            all_ok = all_ok and check.ok
    if not all_ok:
        print("[skip] compiling the BPF programs: fix the failures above first", file=out)
        return False
    for name, probe in (("syscall counters", SyscallCounter()), ("event stream", EventStream())):
        check = check_program(name, probe)
        print(check.line(), file=out, flush=True)
        all_ok = all_ok and check.ok
    return all_ok


def main(out: TextIO = sys.stdout) -> int:
    ok = run_checks(out)
    print(
        "eBPF: ready" if ok else "eBPF: not ready (syswatch still runs, without syscall counts and events)",
        file=out,
    )
    return 0 if ok else 1
