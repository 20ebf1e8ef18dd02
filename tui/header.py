"""The header: host, kernel, uptime, load, CPU and memory meters, task counts, eBPF state."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from syswatch.model import Snapshot

from .view import human_bytes, rate


def uptime_text(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days}d {clock}" if days else clock


def meter(label: str, fraction: float, value: str, width: int) -> Text:
    """An htop-style bar: `CPU0[|||||      12.3%]`, the value printed inside the bar's right end."""
    inner = max(width - len(label) - 2, len(value) + 1)
    filled = int(round(max(0.0, min(fraction, 1.0)) * inner))
    bar = ("|" * filled).ljust(inner)
    bar = bar[: inner - len(value)] + value
    text = Text(label, style="bold")
    text.append("[")
    text.append(bar[:filled], style="green" if fraction < 0.6 else ("yellow" if fraction < 0.85 else "red"))
    text.append(bar[filled:], style="dim")
    text.append("]")
    return text


class HostHeader(Widget):
    DEFAULT_CSS = """
    HostHeader { height: auto; max-height: 8; background: $surface; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        width = self.content_size.width
        lines = self._lines(width)
        for line in lines:  # one line each, however narrow the terminal
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(lines)

    def _lines(self, width: int) -> list[Text]:
        snap = self.snapshot
        if snap is None:
            return [Text("syswatch: reading /proc…", style="bold")]
        system = snap.system
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(system.hostname, style="bold")
        ebpf = snap.ebpf
        ebpf_style = {"on": "bold green", "loading": "yellow"}.get(ebpf.state, "bold red")
        title.append("  ")
        title.append(ebpf.label, style=ebpf_style)
        if ebpf.state == "on":
            title.append(f" {rate(ebpf.events_per_second)} ev/s")
            if ebpf.lost_events or ebpf.map_full:
                title.append(f" lost {ebpf.lost_events} map-full {ebpf.map_full}", style="bold red")
        title.append(f"  up {uptime_text(system.uptime)}  ")
        title.append("load {:.2f} {:.2f} {:.2f}  ".format(*system.load))
        title.append(
            f"Tasks {system.tasks}, {system.threads} thr, {system.kernel_threads} kthr; {system.running} running  "
        )
        title.append(system.kernel, style="dim")
        lines = [title]
        half = max((width - 2) // 2, 20)
        cpus = system.cpu_percent
        if len(cpus) > 8:  # many cores: one average bar keeps the header short
            average = sum(cpus) / len(cpus)
            lines.append(meter(f"CPU×{len(cpus)}", average / 100, f"{average:.1f}%", width))
        else:
            for start in range(0, len(cpus), 2):
                pair = [
                    meter(f"CPU{index}", cpus[index] / 100, f"{cpus[index]:.1f}%", half)
                    for index in range(start, min(start + 2, len(cpus)))
                ]
                lines.append(Text("  ").join(pair))
        row = meter(
            "Mem", system.mem_used / max(system.mem_total, 1),
            f"{human_bytes(system.mem_used)}/{human_bytes(system.mem_total)}", half,
        )
        row.append("  ")
        row.append_text(
            meter("Swp", system.swap_used / max(system.swap_total, 1),
                  f"{human_bytes(system.swap_used)}/{human_bytes(system.swap_total)}", half)
        )
        lines.append(row)
        return lines
