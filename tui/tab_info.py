"""The Info tab: every ProcInfo fact as a labelled line; a missing fact says why it is missing."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from syswatch.probes.procinfo import Capabilities, Ids, ProcInfo

from .header import uptime_text
from .view import human_bytes


def _ids(ids: Ids | None) -> str | None:
    if ids is None:
        return None
    values = (ids.real, ids.effective, ids.saved, ids.fs)
    if len(set(values)) == 1:
        return f"{ids.real} ({ids.names[0]})"
    labels = ("real", "effective", "saved", "fs")
    pairs = zip(labels, values, ids.names, strict=True)
    return ", ".join(f"{label} {value} ({name})" for label, value, name in pairs)


def _caps(caps: Capabilities | None) -> str | None:
    if caps is None:
        return None
    return "\n".join(
        f"{label}: {cap_set.label}"
        for label, cap_set in (("effective", caps.effective), ("permitted", caps.permitted),
                               ("bounding", caps.bounding), ("ambient", caps.ambient))  # fmt: skip
    )


def _start(info: ProcInfo) -> str | None:
    if info.start_time is None:
        return None
    clock = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.start_time))
    return f"{clock}  (age {uptime_text(info.age or 0)})"


def _memory(info: ProcInfo) -> str | None:
    memory = info.memory
    if not memory:
        return None
    names = (("rss", "RSS"), ("shared", "shared"), ("swap", "swap"), ("virtual", "virtual"), ("rss_peak", "peak RSS"))
    return "  ".join(f"{label} {human_bytes(memory[key])}" for key, label in names if key in memory)


def _namespaces(info: ProcInfo) -> Text | None:
    if not info.namespaces:
        return None
    text = Text()
    for index, ns in enumerate(info.namespaces):
        if index:
            text.append("  ")
        style = "bold yellow" if ns.differs else "dim" if ns.differs is False else ""
        text.append(f"{ns.kind}:{ns.inode}" + ("*" if ns.differs else ""), style=style)
    if any(ns.differs for ns in info.namespaces):
        text.append("\n* differs from syswatch's own", style="yellow")
    return text


def _limits(info: ProcInfo) -> str | None:
    if not info.limits:
        return None
    return "\n".join(
        f"{limit.name}: {limit.soft}" + (f" / {limit.hard}" if limit.hard != limit.soft else "")
        + (f" {limit.units}" if limit.units else "")
        for limit in info.limits
    )


def info_renderable(info: ProcInfo) -> RenderableType:
    """All facts, labelled; `cmdline` wraps, the rest are short."""
    container = info.container
    exe = info.exe
    rows: list[tuple[str, str | Text | None, str]] = [
        # (label, value, the ProcInfo.errors key that explains a missing value)
        ("exe", Text(exe, style="bold red") if info.exe_deleted and exe else exe, "exe"),
        ("cmdline", " ".join(info.cmdline) + ("   (secrets masked)" if info.cmdline_masked else "")
         if info.cmdline else None, "cmdline"),
        ("cwd", info.cwd, "cwd"),
        ("root", info.root, "root"),
        ("state", f"{info.state} ({info.state_name})", ""),
        ("ppid / pgrp / session", f"{info.ppid} / {info.pgrp} / {info.session}", ""),
        ("tty", info.tty or "none", ""),
        ("started", _start(info), ""),
        ("nice / priority", f"{info.nice} / {info.priority}", ""),
        ("threads", str(info.threads) if info.threads is not None else None, ""),
        ("uid", _ids(info.uids), "status"),
        ("gid", _ids(info.gids), "status"),
        ("groups", ", ".join(f"{gid} ({name})" for gid, name in info.groups) or "none", ""),
        ("loginuid", f"{info.loginuid} ({info.loginuid_name})" if info.loginuid is not None else "unset", "loginuid"),
        ("audit session", str(info.audit_session) if info.audit_session is not None else "unset", "sessionid"),
        ("capabilities", _caps(info.capabilities), "status"),
        ("NoNewPrivs", None if info.no_new_privs is None else ("yes" if info.no_new_privs else "no"), "status"),
        ("seccomp", None if info.seccomp is None else info.seccomp
         + (f" ({info.seccomp_filters} filters)" if info.seccomp_filters else ""), "status"),
        ("container", f"{container.runtime} {container.short_id}" + (f" {container.name}" if container.name else "")
         + (f" ({container.image})" if container.image else "") if container else "none", ""),
        ("namespaces", _namespaces(info), "namespaces"),
        ("cgroup", "\n".join(info.cgroup) or None, "cgroup"),
        ("OOM score / adj", None if info.oom_score is None else f"{info.oom_score} / {info.oom_score_adj}",
         "oom_score"),
        ("memory", _memory(info), "status"),
        ("limits", _limits(info), "limits"),
    ]
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value, error_key in rows:
        if value is None:
            why = info.errors.get(error_key, "unknown") if error_key else "unknown"
            table.add_row(label, Text(why, style="italic red" if "denied" in why else "dim italic"))
        else:
            table.add_row(label, value)
    if info.exe_deleted:
        return Group(Text("the executable was deleted after it started", style="bold red"), table)
    return table
