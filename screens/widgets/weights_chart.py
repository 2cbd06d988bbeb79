"""The green share of production traffic over the deployment, as a small step chart.

AWS keeps no history of listener weights, so the chart is what this monitor saw: one
(time, green %) point per snapshot, kept per deployment id (a rollback is a deployment of its
own and starts its own chart). Times are the snapshots' `taken_at`, so the chart of a given
sequence of snapshots is always the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widget import Widget

from bluegreen.watch.timefmt import clock, short_time
from screens.widgets.traffic_bar import GREEN

EIGHTHS = " ▁▂▃▄▅▆▇█"
MAX_POINTS = 2000  # per deployment: hours of polling; older points are dropped first
LABEL = 5  # "100% " left of the plot


class WeightsHistory:
    """(taken_at, green %) per deployment id; a run of equal values keeps its first and last
    point only (the step chart needs no more), so a long wait costs two points."""

    def __init__(self) -> None:
        self.points: dict[str, list[tuple[datetime, float]]] = {}

    def record(self, deployment_id: str, at: datetime, green: float) -> None:
        points = self.points.setdefault(deployment_id, [])
        if points and at <= points[-1][0]:
            return  # the same snapshot again, or an older one
        if len(points) >= 2 and points[-1][1] == green and points[-2][1] == green:
            points[-1] = (at, green)
        else:
            points.append((at, green))
        del points[:-MAX_POINTS]

    def of(self, deployment_id: str) -> list[tuple[datetime, float]]:
        return self.points.get(deployment_id, [])


def green_at(points: list[tuple[datetime, float]], at: datetime) -> float:
    """The step function: the last value seen at or before `at`."""
    value = points[0][1]
    for when, green in points:
        if when > at:
            break
        value = green
    return value


def plot(points: list[tuple[datetime, float]], width: int, height: int) -> Text:
    """`height` rows of columns (eighths of a cell) and an axis with the first and last time."""
    columns = max(1, width - LABEL - 1)
    start, end = points[0][0], points[-1][0]
    total = (end - start).total_seconds()
    levels = []
    for j in range(columns):
        at = start if columns == 1 or total <= 0 else start + (end - start) * (j / (columns - 1))
        levels.append(green_at(points, at) / 100 * height)
    text = Text(no_wrap=True)
    for row in range(height - 1, -1, -1):
        label = "100% " if row == height - 1 else "     "
        text.append(f"{label}│", style="dim")
        cells = "".join(EIGHTHS[round(min(1.0, max(0.0, level - row)) * 8)] for level in levels)
        text.append(cells, style=GREEN)
        text.append("\n")
    first, last = clock(start), f"{clock(end)} (+{short_time(total)})"
    axis = "─" * columns
    if columns >= len(first) + len(last) + 4:
        axis = "─" + first + "─" * (columns - len(first) - len(last) - 2) + last + "─"
    text.append(f"  0% └{axis}", style="dim")
    return text


class WeightsChart(Widget):
    """`record(deployment_id, at, green)` for every snapshot, `show(deployment_id)` to pick the
    one drawn (None: no deployment)."""

    DEFAULT_CSS = """
    WeightsChart { height: 1fr; min-height: 5; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = WeightsHistory()
        self.shown: str | None = None

    def record(self, deployment_id: str, at: datetime, green: float) -> None:
        self.history.record(deployment_id, at, green)
        if deployment_id == self.shown:
            self.refresh()

    def show(self, deployment_id: str | None) -> None:
        self.shown = deployment_id
        self.refresh()

    def render(self) -> Text:
        points = self.history.of(self.shown) if self.shown else []
        if not points:
            return Text("no deployment: the green share of a deployment is charted here, poll by poll",
                        style="dim")
        if len(points) == 1:
            at, green = points[0]
            return Text(f"green {green:g}% at {clock(at)}, when this monitor first saw {self.shown}; "
                        "the chart grows with every poll", style="dim")
        return plot(points, self.size.width, max(1, self.size.height - 1))
