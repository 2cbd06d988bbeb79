"""The node: one step of the stack, usually one AWS resource it owns, found by name and tag.

`inspect` makes only read calls and says what apply would do (create, update, in sync,
conflict) and publishes the ids it found for the nodes that depend on it. `create` and
`update` make the mutating calls; `wait` waits without holding a worker; `delete` is
teardown. A node never remembers anything between runs: it finds its resource again.

Most resources go through the same find -> ownership -> compare -> create -> tag -> delete
cycle: those are `ManagedResource`s (nodes/resource.py), a small class of hooks each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bluegreen.aws.errors import is_not_found
from bluegreen.model.config import tag_value

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config

T = TypeVar("T")

Action = Literal["create", "update", "in_sync", "conflict"]


@dataclass(frozen=True)
class State:
    action: Action
    reason: str = ""  # why update or conflict, in words
    detail: str = ""  # the id or ARN when it exists
    fix: str = ""  # for a conflict: what the user can do
    # an update that finishes a resource a stopped run created but never tagged (tag, configure)
    finish: bool = False


def in_sync(detail: str = "") -> State:
    return State("in_sync", detail=detail)


def create(reason: str = "does not exist yet") -> State:
    return State("create", reason=reason)


def update(reason: str, detail: str = "") -> State:
    return State("update", reason=reason, detail=detail)


def conflict(reason: str, fix: str, detail: str = "") -> State:
    return State("conflict", reason=reason, fix=fix, detail=detail)


class Node:
    id: str = ""
    deps: tuple[str, ...] = ()
    # Creates nothing and owns nothing (the account, the VPC, the subnets): destroy only
    # inspects it first, for the values the teardown needs, and never deletes it.
    check_only: bool = False
    # The dependency this resource lives inside (a listener's load balancer): when the
    # owner was created in this run, the resource cannot exist yet and is not looked for.
    owner: str = ""
    # Errors that mean "IAM has not caught up with a role created seconds ago": retried.
    eventual_consistency_codes: tuple[str, ...] = ()

    def title(self, config: Config) -> str:
        """What a person reads for this node (plan rows, progress), from the config alone:
        known before anything is looked up, the same in plan, apply and destroy."""
        return self.id

    def inspect(self, ctx: Context) -> State:
        raise NotImplementedError

    def create(self, ctx: Context) -> str:
        raise NotImplementedError

    def update(self, ctx: Context, state: State) -> str:
        raise NotImplementedError(f"{self.title(ctx.config)}: changing it in place is not supported")

    async def wait(self, ctx: Context) -> None:
        """Wait for the resource to be usable; must not block the event loop."""

    def delete(self, ctx: Context) -> bool:
        """Remove the resource if it exists and carries the stack tag. True if deleted."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


# -- helpers shared by the node modules ----------------------------------------------


def missing_as_none(call: Callable[[], T]) -> T | None:
    """The call's answer, or None when AWS says the resource does not exist (any other
    error propagates): how every node looks its resource up."""
    try:
        return call()
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def ownership(node: Node, ctx: Context, tags: Any, detail: str) -> State | None:
    """A conflict when the resource exists but belongs to nobody or to another stack."""
    owner = tag_value(tags)
    if owner == ctx.stack:
        return None
    whose = f"the bluegreen stack {owner!r}" if owner else "something other than bluegreen"
    return conflict(
        f"{node.title(ctx.config)} already exists and belongs to {whose}",
        "give this stack another name, or set this resource's name in the config to a free one",
        detail,
    )
