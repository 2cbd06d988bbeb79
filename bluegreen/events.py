"""Typed progress events: the one stream every front end consumes.

The engine (plan/apply/destroy), image builds and pushes, and discovery report what they
do as these immutable events. The CLI renders them as a live tree or JSON lines; the TUI
posts them to its screens. Nothing here knows about any front end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["created", "updated", "in_sync", "deleted", "absent"]


@dataclass(frozen=True)
class Event:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with a "type" key (the class name in snake case)."""
        name = type(self).__name__
        kind = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        return {"type": kind, **dataclasses.asdict(self)}


# -- resource nodes (plan / apply / destroy) ---------------------------------------


@dataclass(frozen=True)
class NodeStarted(Event):
    node: str  # stable id, e.g. "elbv2.load_balancer"
    title: str  # what a person reads, e.g. "Load balancer ecs-demo-alb"
    action: str  # "create", "update", "check", "delete"


@dataclass(frozen=True)
class NodeProgress(Event):
    node: str
    message: str  # e.g. "waiting for the load balancer to become active"


@dataclass(frozen=True)
class NodeDone(Event):
    node: str
    outcome: Outcome
    detail: str  # an id, an ARN, or a short summary
    seconds: float


@dataclass(frozen=True)
class NodeFailed(Event):
    node: str
    code: str  # the AWS error code, or a bluegreen code
    message: str
    fix: str
    seconds: float


@dataclass(frozen=True)
class NodeSkipped(Event):
    node: str
    reason: str  # e.g. "needs Load balancer ecs-demo-alb, which failed"


@dataclass(frozen=True)
class RunFinished(Event):
    ok: bool
    done: int
    failed: int
    skipped: int
    seconds: float


# -- images ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageEvent(Event):
    """A build or push event. `node` is the id of the node that builds and pushes during an
    apply ("ecr.image"), so a progress tree can show it on that row; "" outside a run."""

    node: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class BuildStep(ImageEvent):
    step: int
    total: int
    text: str  # the Dockerfile instruction


@dataclass(frozen=True)
class BuildLog(ImageEvent):
    line: str


@dataclass(frozen=True)
class BuildDone(ImageEvent):
    image_id: str
    tag: str


@dataclass(frozen=True)
class PushProgress(ImageEvent):
    layer: str
    status: str  # "Preparing", "Pushing", "Pushed", "Layer already exists"
    current: int
    total: int


@dataclass(frozen=True)
class PushDone(ImageEvent):
    repository_uri: str
    tag: str
    digest: str
    size: int
    skipped: bool  # True when the registry already had this digest


# -- discovery ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoveryResult(Event):
    kind: str  # e.g. "subnets"
    count: int
    error: str  # "" when it worked


Listener = Callable[[Event], None]


def ignore(event: Event) -> None:
    """A listener for callers that do not care about progress."""
