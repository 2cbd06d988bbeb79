"""The selected execution's stages and their actions: status, start, how long, the error in
full, and for the deploy action the CodeDeploy deployment it started."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from bluegreen.watch.snapshot import ActionState, StageState
from bluegreen.watch.timefmt import clock, short_time
from screens.widgets.monitor_format import Panel, short_id, span, status_text


def action_lines(action: ActionState, now: datetime, name_width: int) -> list[RenderableType]:
    """The action on one line (cut at the panel's edge), then its deployment and its error in full."""
    line = Text("  ", no_wrap=True, overflow="ellipsis")
    line.append(f"{action.name:<{name_width}}", style="bold" if action.status == "InProgress" else "")
    status = status_text(action.status)
    status.pad_right(13 - status.cell_len)
    line.append_text(status)
    if action.started is not None:
        took = span(action.started, action.updated if action.status != "InProgress" else None, now)
        line.append(f" {clock(action.started)} {short_time(took):>6}", style="dim")
    elif action.updated is not None:  # only the last change is known (the pipeline's state, no history)
        line.append(f" {clock(action.updated)} {'':>6}", style="dim")
    if action.summary:
        line.append(f"  {action.summary}", style="dim")
    lines: list[RenderableType] = [line]
    if action.external_id and action.provider == "CodeDeployToECS":
        lines.append(Text(f"    deployment {action.external_id}", style="cyan"))
    if action.error:
        lines.append(Padding(Text(f"✗ {action.error}", style="red"), (0, 0, 0, 4)))
    return lines


def timeline(stages: Sequence[StageState], now: datetime) -> Group:
    lines: list[RenderableType] = []
    width = max((len(a.name) for stage in stages for a in stage.actions), default=0) + 2
    for stage in stages:
        head = Text(f"{stage.name} ", style="bold", no_wrap=True, overflow="ellipsis")
        head.append_text(status_text(stage.status))
        if not stage.inbound_enabled:
            head.append("  transition disabled", style="yellow")
        if stage.retryable:
            head.append("  retryable", style="yellow")
        lines.append(head)
        for action in sorted(stage.actions, key=lambda a: a.run_order):
            lines += action_lines(action, now, width)
    if not stages:
        lines.append(Text("no stages read yet", style="dim"))
    return Group(*lines)


class StageTimeline(Panel):
    """`show(stages, execution_id, now)`."""

    DEFAULT_CSS = """
    StageTimeline { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.border_title = "Stages"

    def show(self, stages: Sequence[StageState], execution_id: str | None, now: datetime) -> None:
        self.border_title = f"Stages of execution {short_id(execution_id)}" if execution_id else "Stages"
        self.update(timeline(stages, now))
