"""Task sets and target health: for Blue and Green, the task set (status, desired / pending /
running, traffic weight, task definition) and under it the health counts of its target group;
then any other watched target group, and the service's own counts.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from bluegreen.watch.snapshot import Snapshot, TargetCounts, TaskSetState
from screens.widgets.monitor_format import Panel
from screens.widgets.traffic_bar import BLUE, GREEN


def counts_text(counts: TargetCounts) -> Text:
    """'✓ 2 healthy · 1 initial · ✗ 1 unhealthy (reason)'; "no targets" when empty."""
    text = Text()
    parts: list[tuple[str, str]] = []
    if counts.healthy:
        parts.append((f"✓ {counts.healthy} healthy", "green"))
    if counts.initial:
        parts.append((f"{counts.initial} initial", "yellow"))
    if counts.unhealthy:
        parts.append((f"✗ {counts.unhealthy} unhealthy", "bold red"))
    if counts.draining:
        parts.append((f"{counts.draining} draining", "magenta"))
    if counts.other:
        parts.append((f"{counts.other} unused", "dim"))
    for words, style in parts:
        if text:
            text.append(" · ", style="dim")
        text.append(words, style=style)
    if not text:
        text.append("no targets registered", style="dim")
    return text


def task_set_text(task_set: TaskSetState) -> Text:
    colour = BLUE if task_set.label == "Blue" else GREEN
    text = Text(f"{task_set.label:<6}", style=f"bold {colour}")
    text.append(f"{task_set.status:<9}", style="bold" if task_set.status == "PRIMARY" else "")
    short = task_set.running < task_set.desired
    text.append(f"{task_set.running}/{task_set.desired} running", style="yellow" if short else "")
    if task_set.pending:
        text.append(f" · {task_set.pending} pending", style="yellow")
    text.append(f" · {task_set.traffic_weight:g}%", style="bold")
    if task_set.task_definition:
        text.append(f" · {task_set.task_definition}", style="dim")
    return text


def group_lines(name: str, counts: TargetCounts | None, indent: int) -> list[RenderableType]:
    """The group's counts on one line; why targets are unhealthy under it, wrapped."""
    line = Text(" " * indent + f"{name}  ", style="dim", no_wrap=True, overflow="ellipsis")
    line.append_text(counts_text(counts) if counts is not None else Text("health not read", style="dim"))
    lines: list[RenderableType] = [line]
    if counts is not None and counts.reasons:
        lines.append(Padding(Text("; ".join(counts.reasons), style="red"), (0, 0, 0, indent + 2)))
    return lines


def health_lines(snapshot: Snapshot) -> Group:
    counts = {c.target_group: c for c in snapshot.targets}
    lines: list[RenderableType] = []
    task_sets = snapshot.deployment.task_sets if snapshot.deployment is not None else ()
    for task_set in sorted(task_sets, key=lambda t: t.label):  # Blue above Green
        line = task_set_text(task_set)
        line.no_wrap, line.overflow = True, "ellipsis"
        lines.append(line)
        if task_set.target_group:
            lines += group_lines(task_set.target_group, counts.get(task_set.target_group), 6)
    if not task_sets:
        lines.append(Text("no task sets: no deployment is known", style="dim"))
    shown = {task_set.target_group for task_set in task_sets}
    for name, group in counts.items():
        if name not in shown:
            lines += group_lines(name, group, 0)
    service = snapshot.service
    if service is not None:
        text = Text("Service ", style="bold")
        text.append(f"{snapshot.target.service} {service.status} · {service.running}/{service.desired} running")
        if service.pending:
            text.append(f" · {service.pending} pending", style="yellow")
        if service.deployment_controller != "CODE_DEPLOY":
            text.append(f" · controller {service.deployment_controller}, not CODE_DEPLOY", style="bold red")
        lines.append(text)
    return Group(*lines)


class HealthPanel(Panel):
    """`show(snapshot)`."""

    DEFAULT_CSS = """
    HealthPanel { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.border_title = "Task sets and targets"

    def show(self, snapshot: Snapshot) -> None:
        self.update(health_lines(snapshot))
