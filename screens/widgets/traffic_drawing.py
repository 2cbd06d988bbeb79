"""How a CodeDeploy ECS deployment config moves production traffic from blue to green over time:
the schedule as data (`Shift`), a one-line summary, and a small column chart of the green share.

The schedule follows CodeDeploy's ECS semantics: all-at-once moves everything at minute 0;
linear moves `percent` at once and `percent` more after each interval until everything is on
green; canary moves `percent` at once and the rest after one interval.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.widgets import Static

_PREDEFINED = re.compile(r"ECS(Linear|Canary)(\d+)Percent(?:Every)?(\d+)Minutes?$")
_EIGHTHS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Shift:
    kind: str  # "all" | "linear" | "canary"
    percent: int = 100
    interval: int = 0  # minutes

    def steps(self) -> list[tuple[int, int]]:
        """(minute, % of traffic on green from then on), starting at minute 0."""
        if self.kind == "linear":
            count = math.ceil(100 / self.percent)
            return [(k * self.interval, min(100, (k + 1) * self.percent)) for k in range(count)]
        if self.kind == "canary":
            return [(0, self.percent), (self.interval, 100)]
        return [(0, 100)]

    @property
    def minutes(self) -> int:
        """When all traffic is on green."""
        return self.steps()[-1][0]

    def green_at(self, minute: float) -> int:
        share = 0
        for at, percent in self.steps():
            if at <= minute:
                share = percent
        return share

    def summary(self) -> str:
        if self.kind == "linear":
            return (f"{self.percent}% of the traffic moves to green at once, then {self.percent}% more every "
                    f"{_minutes(self.interval)}: all of it is on green after {_minutes(self.minutes)}.")
        if self.kind == "canary":
            return (f"{self.percent}% of the traffic moves to green at once (the canary); the other "
                    f"{100 - self.percent}% follows after {_minutes(self.interval)}.")
        return "All the traffic moves from blue to green at once."


def _minutes(n: int) -> str:
    return "1 minute" if n == 1 else f"{n} minutes"


def shift_of(config: str | Any) -> Shift:
    """The schedule of a predefined config name, a CustomTrafficShift, or its mapping."""
    if isinstance(config, str):
        found = _PREDEFINED.search(config)
        if found is None:
            return Shift("all")
        kind, percent, interval = found.groups()
        return Shift(kind.lower(), int(percent), int(interval))
    if isinstance(config, Mapping):
        kind, percent = config.get("type"), config.get("percent")
        interval = config.get("intervalMinutes", config.get("interval_minutes"))
    else:
        kind, percent, interval = config.type, config.percent, config.interval_minutes
    if kind not in ("linear", "canary") or not percent or not interval:
        return Shift("all")  # not a valid custom shift (the model refuses it): nothing to draw
    return Shift(str(kind), int(percent), int(interval))


def draw(shift: Shift, width: int = 40, height: int = 5) -> str:
    """A column chart (Rich markup) of the green share over the minutes of the shift."""
    total = shift.minutes
    columns = min(total + 1, width)
    col_width = max(1, min(4, width // columns))
    # minute shown by each column (bucketed when the shift lasts longer than `width` minutes)
    minutes = [round(j * total / (columns - 1)) if columns > 1 else 0 for j in range(columns)]
    levels = [shift.green_at(m) / 100 * height for m in minutes]
    lines = []
    for row in range(height - 1, -1, -1):
        cells = []
        for level in levels:
            fill = min(1.0, max(0.0, level - row))
            cells.append(_EIGHTHS[round(fill * 8)] * col_width)
        label = "100% " if row == height - 1 else "     "
        lines.append(f"[dim]{label}│[/dim][green]{''.join(cells)}[/green]")
    span = columns * col_width
    # ticks under the first and the last column; the last minute's label ends under its tick
    axis = "┬" + "─" * (span - 1) if columns == 1 else "┬" + "─" * (span - 2) + "┬"
    lines.append(f"[dim]  0% └{axis}─[/dim]")
    start, end = "0", str(total)
    if total == 0:
        ticks = start
    elif span >= len(start) + len(end) + 1:
        ticks = start.ljust(span - len(end)) + end
    else:
        ticks = f"{start} … {end}"
    lines.append(f"[dim]      {ticks} min[/dim]")
    return "\n".join(lines)


class TrafficDrawing(Static):
    """The summary and the chart for one deployment config; `show` redraws it."""

    DEFAULT_CSS = """
    TrafficDrawing { height: auto; margin: 0 0 1 0; }
    """

    def show(self, config: str | Any) -> None:
        shift = shift_of(config)
        legend = "[dim]share of production traffic on green, minutes after the shift starts:[/dim]"
        self.update(f"{shift.summary()}\n{legend}\n{draw(shift)}")
