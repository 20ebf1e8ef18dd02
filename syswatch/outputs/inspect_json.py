"""The JSON shape of an Inspection, for `syswatch inspect PID --json` and scripts.

Secrets are masked when the Inspection was read (environ and cmdline), so nothing here can
leak them; this module only adds the decoded names (open flags, capabilities) scripts want.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any

from syswatch.inspect import Inspection
from syswatch.outputs.snapshot_json import container_to_json
from syswatch.probes.fds import FdInfo, FdTable
from syswatch.probes.procinfo import CapSet, ProcInfo


def _plain(value: Any) -> Any:
    """Dataclasses, mappings, tuples and enums as JSON-ready values."""
    if isinstance(value, CapSet):
        return {"raw": f"{value.raw:016x}", "names": list(value.names), "label": value.label}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a NamedTuple (FdInfo)
        return {name: _plain(item) for name, item in value._asdict().items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def fd_to_json(info: FdInfo) -> dict[str, Any]:
    data = _plain(info)
    data["flags"] = None if info.flags is None else f"0{info.flags:o}"
    data["flags_text"] = info.flags_text
    data["socket_summary"] = info.socket.summary if info.socket else None
    return data


def fds_to_json(table: FdTable) -> dict[str, Any]:
    return {
        "count": len(table.fds),
        "by_kind": {kind.value: n for kind, n in sorted(table.count_by_kind().items())},
        "detailed": table.detailed,
        "kinds_exact": table.kinds_exact,
        "paired": table.paired,
        "notes": list(table.notes),
        "fds": [fd_to_json(info) for info in table.fds],
    }


def info_to_json(info: ProcInfo) -> dict[str, Any]:
    data = _plain(info)
    data["container"] = container_to_json(info.container)
    data["start_time"] = None if info.start_time is None else round(info.start_time, 2)
    data["age"] = None if info.age is None else round(info.age, 2)
    return data


def _section(value: Any, convert: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return {"error": value}
    return convert(value)


def inspection_to_json(inspection: Inspection) -> dict[str, Any]:
    return {
        "pid": inspection.pid,
        "comm": inspection.comm,
        "kind": inspection.kind,
        "time": round(inspection.time, 3),
        "elapsed_ms": round(inspection.elapsed * 1000, 2),
        "exited": inspection.exited,
        "secrets_shown": inspection.show_secrets,
        "notes": list(inspection.notes),
        "info": _section(inspection.info, info_to_json),
        "fds": _section(inspection.fds, fds_to_json),
        "env": _section(inspection.env, lambda env: [_plain(var) for var in env]),
    }
