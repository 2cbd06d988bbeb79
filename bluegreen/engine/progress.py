"""Rows of a plan/apply/destroy/push run, reduced from `bluegreen.events`: one set of rules
for the CLI's tree and the wizard's tree, which only draw what is here.

`reduce(rows, event, now)` returns new `Rows` and never changes the old ones, so a front
end can tell what changed by identity (`changed`) and can hold the state on any thread it
locks. `now` is the caller's clock: the reducer reads no clock, so tests and snapshots can
freeze time. Nothing here phrases a row for a person beyond what both trees say alike
(the words of a skip, a progress message, an image build or push): icons, colours, and how
a running or finished row reads differ between the trees and stay with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bluegreen.events import (
    BuildDone,
    BuildStep,
    Event,
    ImageEvent,
    NodeDone,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
    PushDone,
    PushProgress,
    RunFinished,
)

Status = Literal["pending", "running", "created", "updated", "in_sync", "deleted", "absent", "failed", "skipped"]

# The outcomes of NodeDone: a row in one of these needs nothing more (a group "done" count,
# a group that folds away at the end). Failed and skipped rows are not done: a retry runs them.
DONE: frozenset[str] = frozenset({"created", "updated", "in_sync", "deleted", "absent"})

# Build and push events outside an apply (`bluegreen push`) carry no node: they still get
# one row, under the id the apply's image node has, so both kinds of run read alike.
IMAGE_ROW = "ecr.image"


@dataclass(frozen=True)
class ImageProgress:
    """How far the build and push on a row got. Layers are kept per layer because a push
    reports each layer's bytes separately and the percentage is over all of them."""

    step: int = 0
    steps: int = 0
    instruction: str = ""
    built: str = ""  # the tag, once built
    layers: tuple[tuple[str, int, int], ...] = ()  # (layer, bytes sent, bytes in all)
    digest: str = ""  # once pushed
    already: bool = False  # the registry had the digest: nothing was sent

    @property
    def percent(self) -> int:
        sent = sum(current for _, current, _ in self.layers)
        total = sum(size for _, _, size in self.layers) or 1
        return sent * 100 // total


@dataclass(frozen=True)
class Row:
    node: str
    title: str
    status: Status = "pending"
    planned: str = ""  # the plan's action while the row waits ("create", "update", "in_sync", ...)
    action: str = ""  # what the engine started: "create", "update", "check", "delete"
    # The newest words about the row that both trees show as they are: a progress message,
    # the reason of a skip, or the state of the image build/push. A start or an end clears it.
    message: str = ""
    detail: str = ""  # NodeDone's id, ARN or summary
    failure: NodeFailed | None = None
    started: float | None = None  # the caller's clock at NodeStarted; None for a row never run
    seconds: float | None = None  # the engine's measure, once the row ended
    image: ImageProgress = field(default_factory=ImageProgress)

    @property
    def done(self) -> bool:
        return self.status in DONE

    def elapsed(self, now: float) -> float | None:
        """Seconds to show: the engine's once ended, else the time since the start."""
        if self.seconds is not None:
            return self.seconds
        if self.started is not None:
            return max(0.0, now - self.started)
        return None


@dataclass(frozen=True)
class Rows:
    """The state of a run. `rows` keeps the order rows first appeared in (the plan's order
    when the plan was expected); treat it as read-only, `reduce` makes a new one."""

    rows: Mapping[str, Row] = field(default_factory=dict)
    finished: RunFinished | None = None

    def count(self, *statuses: str) -> int:
        return sum(row.status in statuses for row in self.rows.values())

    @property
    def failures(self) -> list[NodeFailed]:
        """Failed rows' events, in row order: each keeps its message and fix in full."""
        return [row.failure for row in self.rows.values() if row.failure is not None]


def _put(rows: Rows, row: Row) -> Rows:
    return dataclasses.replace(rows, rows={**rows.rows, row.node: row})


def _get(rows: Rows, node: str) -> Row:
    return rows.rows.get(node) or Row(node, node)  # a row nobody announced is titled by its id


def expect(rows: Rows, plan: Iterable[tuple[str, str, str]]) -> Rows:
    """Show the plan's rows before they start: (node id, title, planned action). A row that
    already ran keeps its state and only takes the plan's title."""
    for node, title, action in plan:
        row = dataclasses.replace(_get(rows, node), title=title)
        if row.status == "pending":
            row = dataclasses.replace(row, planned=action)
        rows = _put(rows, row)
    return rows


def restart(rows: Rows) -> Rows:
    """Before a retry: failed, skipped and interrupted rows wait again; what was done keeps
    its state. The plan's action is dropped with the rest, since the run that follows plans anew."""
    again = {node: Row(node, row.title) if row.status in ("failed", "skipped", "running") else row
             for node, row in rows.rows.items()}
    return Rows(again, finished=None)


def reduce(rows: Rows, event: Event, now: float) -> Rows:
    """The rows after `event`; events that are not about rows leave them as they are."""
    if isinstance(event, NodeStarted):
        return _put(rows, Row(event.node, event.title, "running", action=event.action, started=now))
    if isinstance(event, NodeProgress):
        return _put(rows, dataclasses.replace(_get(rows, event.node), message=event.message))
    if isinstance(event, NodeDone):
        return _put(rows, dataclasses.replace(_get(rows, event.node), status=event.outcome, detail=event.detail,
                                              seconds=event.seconds, message=""))
    if isinstance(event, NodeFailed):
        return _put(rows, dataclasses.replace(_get(rows, event.node), status="failed", failure=event,
                                              seconds=event.seconds, message=""))
    if isinstance(event, NodeSkipped):
        return _put(rows, dataclasses.replace(_get(rows, event.node), status="skipped", message=event.reason))
    if isinstance(event, ImageEvent):
        return _put(rows, _image(_get(rows, event.node or IMAGE_ROW), event, now))
    if isinstance(event, RunFinished):
        return dataclasses.replace(rows, finished=event)
    return rows


def _image(row: Row, event: ImageEvent, now: float) -> Row:
    image = row.image
    if isinstance(event, BuildStep):
        image = dataclasses.replace(image, step=event.step, steps=event.total, instruction=event.text)
        message = f"build step {event.step}/{event.total}: {event.text[:60]}"
    elif isinstance(event, BuildDone):
        image = dataclasses.replace(image, built=event.tag)
        message = f"built {event.tag}"
    elif isinstance(event, PushProgress):
        mine = (event.layer, event.current, event.total)
        layers = [mine if layer[0] == event.layer else layer for layer in image.layers]
        image = dataclasses.replace(image, layers=tuple(layers if mine in layers else [*layers, mine]))
        count = len(image.layers)
        message = f"pushing {count} layer{'s' if count != 1 else ''}: {image.percent}%"
    elif isinstance(event, PushDone):
        image = dataclasses.replace(image, digest=event.digest, already=event.skipped)
        message = f"{'already in ECR' if event.skipped else 'pushed'} {event.digest[:19]}"
    else:  # BuildLog: a line of the build's output is too chatty for a row
        message = row.message
    row = dataclasses.replace(row, image=image, message=message)
    if row.status == "pending":
        # `bluegreen push` builds without a NodeStarted: the work on the row is its start.
        row = dataclasses.replace(row, status="running", started=now)
    return row


def changed(before: Rows, after: Rows) -> list[Row]:
    """Rows of `after` that are new or different: `reduce` replaces only the rows it changes."""
    return [row for node, row in after.rows.items() if before.rows.get(node) is not row]


def summary(finished: RunFinished) -> str:
    word = "Done" if finished.ok else "Stopped"
    return (f"{word} in {finished.seconds:.1f}s: {finished.done} finished, {finished.failed} failed, "
            f"{finished.skipped} skipped")
