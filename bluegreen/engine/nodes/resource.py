"""A resource the stack owns, written as a small class of hooks.

`ManagedResource` runs the cycle every owned resource goes through; a resource kind only
says how to find its resource by the name the config derives, read its owner tag, compare
it with the config, and create, tag, update and delete it:

    inspect: find -> owner tag (a conflict unless it is this stack's) -> immutable (a
             conflict) -> publish -> compare (an update) -> in sync
    create:  create_resource -> tag -> configure
    update:  update_resource
    delete:  find_for_delete -> owner tag -> delete_resource, only when the tag is this stack's

Creating and tagging stay separate steps on purpose: a crash between them leaves an
untagged resource, and this is the one place that has to handle it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bluegreen.aws.errors import is_not_found
from bluegreen.engine.nodes.base import (
    Node,
    State,
    create,
    in_sync,
    missing_as_none,
    ownership,
    update,
)
from bluegreen.model.config import tag_value

if TYPE_CHECKING:
    from bluegreen.engine.context import Context

Found = TypeVar("Found")


class ManagedResource(Node, Generic[Found]):
    """One AWS resource found by name; `Found` is what `find` returns (usually the
    service's description of it)."""

    # True: an existing resource of this name is used as it is, whoever made it (inspect
    # reads no owner tag); destroy still deletes only one that carries the stack's tag.
    shared: bool = False

    # -- hooks -------------------------------------------------------------------------

    def find(self, ctx: Context) -> Found | None:
        """The resource, looked up by its derived name with read calls only; None if absent."""
        raise NotImplementedError

    def tags(self, ctx: Context, found: Found) -> Any:
        """The resource's tags in whatever shape its service gives them (see `tag_value`)."""
        raise NotImplementedError

    def ident(self, ctx: Context, found: Found) -> str:
        """The id or ARN shown with a conflict."""
        return ""

    def update_detail(self, ctx: Context, found: Found) -> str:
        """The detail of an update (what `update_resource` receives)."""
        return self.ident(ctx, found)

    def summary(self, ctx: Context, found: Found) -> str:
        """The detail of a resource in sync."""
        return self.ident(ctx, found)

    def publish(self, ctx: Context, found: Found) -> None:
        """Put the ids that dependent nodes need into the context (`ctx.put`)."""

    def immutable(self, ctx: Context, found: Found) -> State | None:
        """A conflict when something that cannot change in place differs from the config."""
        return None

    def compare(self, ctx: Context, found: Found) -> list[str]:
        """Why the resource differs from the config, in words: each reason means an update."""
        return []

    def create_resource(self, ctx: Context) -> str:
        """The create call(s); returns the detail (id, ARN or name) of the new resource."""
        raise NotImplementedError

    def tag(self, ctx: Context, detail: str) -> None:
        """Tag the new resource, for services that cannot tag in the create call."""

    def configure(self, ctx: Context, detail: str) -> None:
        """Settings the create call cannot carry, made once the resource is tagged."""

    def update_resource(self, ctx: Context, detail: str) -> str:
        """Bring an existing resource in line with the config; returns the detail."""
        raise NotImplementedError(f"{self.title(ctx.config)}: changing it in place is not supported")

    def derived(self, ctx: Context, found: Found) -> bool:
        """Whether the resource carries the name the stack derives (not one the user chose):
        only then may an untagged one be taken for the remains of a stopped run."""
        return False

    def find_for_delete(self, ctx: Context) -> Found | None:
        """How destroy looks the resource up: `find`, unless reading its tags alone already
        tells whether it exists (then no lookup is needed)."""
        return self.find(ctx)

    def delete_resource(self, ctx: Context, found: Found) -> None:
        """Delete the resource (known to carry the stack's tag)."""
        raise NotImplementedError

    # -- the cycle ---------------------------------------------------------------------

    def inspect(self, ctx: Context) -> State:
        found = self.find(ctx)
        if found is None:
            return create()
        if not self.shared:
            tags = self.tags(ctx, found)
            if tag_value(tags) is None and self.tagged_apart and self.derived(ctx, found):
                # created by a run that stopped before its tagging call: finish it
                return State("update", reason="exists without the stack's tag (a run stopped between creating "
                             "and tagging it): it is tagged and finished now",
                             detail=self.update_detail(ctx, found), finish=True)
            owned = ownership(self, ctx, tags, self.ident(ctx, found))
            if owned:
                return owned
        refused = self.immutable(ctx, found)
        if refused:
            return refused
        self.publish(ctx, found)
        reasons = self.compare(ctx, found)
        if reasons:
            return update("; ".join(reasons), self.update_detail(ctx, found))
        return in_sync(self.summary(ctx, found))

    def create(self, ctx: Context) -> str:
        detail = self.create_resource(ctx)
        self.tag(ctx, detail)
        self.configure(ctx, detail)
        return detail

    def update(self, ctx: Context, state: State) -> str:
        if state.finish:
            self.tag(ctx, state.detail)
            self.configure(ctx, state.detail)
            return state.detail
        return self.update_resource(ctx, state.detail)

    @property
    def tagged_apart(self) -> bool:
        """Tagged in a call of its own after the create call (so a crash can come between)."""
        return type(self).tag is not ManagedResource.tag

    def delete(self, ctx: Context) -> bool:
        found = self.find_for_delete(ctx)
        if found is None:
            return False
        if tag_value(missing_as_none(lambda: self.tags(ctx, found))) != ctx.stack:
            return False  # gone meanwhile, or not the stack's own: left alone
        try:
            self.delete_resource(ctx, found)
        except Exception as exc:
            # A delete made of several calls (a role's policies, then the role) that finds the
            # resource gone halfway: what it was there to do is done (another run got there
            # first; a run killed mid-delete can leave its last call in flight).
            if not is_not_found(exc):
                raise
        return True
