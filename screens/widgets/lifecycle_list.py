"""The deployment's lifecycle events in order (name, status, start, duration), the current one
marked, then what the deployment waits for and its error, if any.

"Current" is the event in progress, else the one that failed: the place a person looks first.
The wait line is the one thing on this panel that may need them: a ready wait holds traffic
until someone continues, a termination wait keeps the old task set until its time is up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bluegreen.watch.snapshot import Deployment, LifecycleEvent, Wait, WaitKind
from bluegreen.watch.timefmt import clock, short_time
from screens.widgets.monitor_format import Panel, span, status_text

NAME = 22  # the longest ECS event name is AfterAllowTestTraffic (21)


def current(deployment: Deployment) -> LifecycleEvent | None:
    events = deployment.lifecycle
    return (next((e for e in events if e.status == "InProgress"), None)
            or next((e for e in events if e.status == "Failed"), None))


def bullet(icon: str, text: Text, style: str = "") -> Table:
    """`icon` then `text`, whose wrapped lines stay right of the icon."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(f"{icon} ", style=style), text)
    return grid


def wait_line(wait: Wait, hint: str = "") -> Table:
    """What the deployment waits for, the time left (counted at the snapshot) and what happens
    then; `hint` names the key that ends the wait now."""
    left = short_time(wait.seconds_left) if wait.seconds_left is not None else ""
    if wait.kind is WaitKind.READY:
        icon, style = "⏸", "bold magenta"
        text = Text("Green is ready; production traffic waits for continue", style=style)
        then = {"STOP_DEPLOYMENT": f": the deployment stops in {left} unless continued",
                "CONTINUE_DEPLOYMENT": f": it reroutes by itself in {left}"}.get(wait.on_timeout, f" ({left} left)")
        text.append(then if left else " (no end set)")
    else:
        icon, style = "⏳", "bold cyan"
        text = Text("Termination wait: the original task set is kept", style=style)
        text.append(f" {left} more" if left else " (no end set)")
    if hint:
        text.append(f" · {hint}", style="bold")
    return bullet(icon, text, style)


def event_line(event: LifecycleEvent, now: datetime, is_current: bool) -> Text:
    marker = Text("▶ " if is_current else "  ", style="bold yellow" if is_current else "")
    name = Text(f"{event.name:<{NAME}}", style="bold" if is_current else "dim" if event.status == "Pending" else "")
    status = status_text(event.status)
    status.pad_right(13 - status.cell_len)
    started = Text(f"{clock(event.started) if event.started else '':>8}", style="dim")
    took = span(event.started, event.ended, now)
    duration = Text(f"{short_time(took) if took is not None else '':>6}", style="dim")
    return Text.assemble(marker, name, status, started, duration)


def indented(text: str, style: str, indent: int = 4) -> Padding:
    """A message that may wrap, its lines under each other rather than under the markers."""
    return Padding(Text(text, style=style), (0, 0, 0, indent))


def deployment_lines(deployment: Deployment, now: datetime, hint: str = "") -> Group:
    lines: list[RenderableType] = []
    if deployment.rollback_of:
        lines.append(Text(f"rolls back {deployment.rollback_of}", style="yellow"))
    if deployment.rolled_back_by:
        lines.append(Text(f"rolled back by {deployment.rolled_back_by}", style="yellow"))
    now_event = current(deployment)
    if not deployment.lifecycle:
        lines.append(Text("no lifecycle events yet (CodeDeploy is preparing the deployment)", style="dim"))
    failed = False
    for index, event in enumerate(deployment.lifecycle):
        rest = deployment.lifecycle[index:]
        if failed and all(e.status == "Pending" for e in rest):
            # after a failure the rest never runs: one line for them keeps the error in view
            lines.append(Text(f"  · the {len(rest)} later events did not run", style="dim"))
            break
        lines.append(event_line(event, now, event is now_event))
        if event.status == "Failed":
            failed = True
            if event.diagnostic:
                lines.append(indented(event.diagnostic, "red"))
    if deployment.wait is not None:
        lines.append(wait_line(deployment.wait, hint))
    if deployment.error:
        lines.append(bullet("✗", Text(deployment.error, style="red"), "bold red"))
    return Group(*lines)


def title(deployment: Deployment | None) -> str:
    if deployment is None:
        return "Deployment"
    return f"Deployment {deployment.id} · {deployment.status}"


class LifecycleList(Panel):
    """`show(deployment, now, hint)`: `hint` is the key that acts on the current wait, if any."""

    DEFAULT_CSS = """
    LifecycleList { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.deployment: Deployment | None = None

    def show(self, deployment: Deployment | None, now: datetime, hint: str = "") -> None:
        self.deployment = deployment
        self.border_title = title(deployment)
        if deployment is None:
            self.update(Text("no deployment yet: one starts when an execution reaches its Deploy stage",
                             style="dim"))
        else:
            self.update(deployment_lines(deployment, now, hint))

    @property
    def current_name(self) -> str:
        found = current(self.deployment) if self.deployment is not None else None
        return found.name if found is not None else ""
