"""Production traffic as one bar: blue's share on the left, green's on the right, each with its
percentage, and under it which target group and task definition each colour is.

The split is `Snapshot.traffic` (what the production listener forwards); the names come from
the deployment's task sets, since CodeDeploy swaps the groups' roles on every deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widget import Widget

from bluegreen.watch.snapshot import Snapshot

BLUE, GREEN = "dodger_blue2", "green3"


@dataclass(frozen=True)
class Split:
    blue: float  # percent of production traffic
    green: float
    blue_name: str = ""  # "demo-tg-1 · demo:3"
    green_name: str = ""
    known: bool = True  # False: no production listener read (yet)


def split_of(snapshot: Snapshot) -> Split:
    known = any(listener.role == "production" and listener.weights for listener in snapshot.listeners)
    blue, green = snapshot.traffic
    names = {"Blue": "", "Green": ""}
    if snapshot.deployment is not None:
        for task_set in snapshot.deployment.task_sets:
            parts = [p for p in (task_set.target_group, task_set.task_definition) if p]
            names[task_set.label] = " · ".join(parts)
    return Split(blue, green, names["Blue"], names["Green"], known)


def percent(value: float) -> str:
    """Whole percents, except a share that is not yet (or no longer) zero."""
    if 0 < value < 1 or 99 < value < 100:
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def cells_of(split: Split, width: int) -> tuple[int, int]:
    """(blue cells, green cells): a share that exists always shows, and so does the other."""
    green = round(width * split.green / 100)
    if 0 < split.green < 100:
        green = min(max(green, 1), width - 1)
    return width - green, green


def bar(split: Split, width: int) -> Text:
    """One line: blue cells then green cells, each labelled inside when its label fits."""
    text = Text()
    for cells, name, share, colour in zip(cells_of(split, width), ("blue", "green"), (split.blue, split.green),
                                          (BLUE, GREEN), strict=True):
        if cells > 0:
            text.append(label(name, share, cells).center(cells), style=f"bold white on {colour}")
    return text


def label(name: str, share: float, cells: int) -> str:
    """The words inside a segment of `cells`: as many as fit ("" when none)."""
    for words in (f" {name} {percent(share)} ", f"{name} {percent(share)}", percent(share)):
        if len(words) <= cells:
            return words
    return ""


def names(split: Split, width: int) -> Text:
    """Under the bar: which group and task definition each colour is, each cut to half the width;
    a share whose segment was too narrow for its number says it here."""
    blue_cells, green_cells = cells_of(split, width)
    half = max(1, (width - 1) // 2)
    sides = []
    for cells, name, share, detail in ((blue_cells, "blue", split.blue, split.blue_name),
                                       (green_cells, "green", split.green, split.green_name)):
        words = detail
        if not label(name, share, cells).strip():
            words = f"{name} {percent(share)}" + (f" · {detail}" if detail else "")
        side = Text(words, style="dim")
        side.truncate(half, overflow="ellipsis")
        sides.append(side)
    left, right = sides
    line = Text(no_wrap=True)
    line.append_text(left)
    line.append(" " * max(1, width - left.cell_len - right.cell_len))
    line.append_text(right)
    return line


class TrafficBar(Widget):
    """`show(snapshot)` redraws the bar and its names."""

    DEFAULT_CSS = """
    TrafficBar { height: 2; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.split = Split(0, 0, known=False)

    def show(self, snapshot: Snapshot) -> None:
        self.split = split_of(snapshot)
        self.refresh()

    @property
    def labels(self) -> str:
        """The words beside the bar, for tests and screen readers: "blue 25% · green 75%"."""
        if not self.split.known:
            return "no production listener read"
        return f"blue {percent(self.split.blue)} · green {percent(self.split.green)}"

    def render(self) -> Text:
        width = max(10, self.size.width)
        if not self.split.known:
            return Text("the production listener's weights are not known yet", style="dim")
        text = bar(self.split, width)
        text.append("\n")
        text.append_text(names(self.split, width))
        return text
