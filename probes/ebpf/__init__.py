"""eBPF probes (BCC): per-process syscall counters and the kernel event stream for rules.

- `counters.SyscallCounter`: the monitor's `SyscallSource` (status(), read(interval)).
- `events.EventStream`: start(), drain() -> list[Event], stats(), status().
- `loader`: bcc discovery, one-line reasons, background loading, libbcc's stderr captured.

Importing this package never imports bcc; loading does, on a background thread.
"""

from __future__ import annotations

from syswatch.model import EbpfStatus


def combined_status(counters: EbpfStatus, events: EbpfStatus) -> EbpfStatus:
    """One header status for both programs: the counters decide on/off, the stream adds its
    lost events and rate, and says why when it alone is off."""
    if counters.state != "on":
        return counters
    reason = {"loading": "event stream loading", "off": f"event stream off: {events.reason}"}.get(events.state, "")
    return EbpfStatus(
        "on",
        reason,
        lost_events=events.lost_events,
        map_full=counters.map_full,
        events_per_second=events.events_per_second,
    )
