"""The ManagedResource cycle on a fake resource kept in a dict: what inspect says for an
absent, owned, changed, untagged or foreign resource, that create tags in its own step,
and that delete leaves what is not the stack's alone. No sandbox needed."""

from __future__ import annotations

from typing import Any

import pytest

from bluegreen.engine.context import Context
from bluegreen.engine.graph import build_nodes
from bluegreen.engine.nodes.resource import ManagedResource
from bluegreen.events import BuildStep, Event, PushDone
from bluegreen.model.config import TAG_KEY, Config
from bluegreen.model.configfile import load_text

STACK = "demo"


class Thing(ManagedResource[dict[str, Any]]):
    """A resource named after the stack, kept in `store`; every hook call is logged."""

    id = "fake.thing"

    def __init__(self, store: dict[str, dict[str, Any]], shared: bool = False) -> None:
        self.store, self.shared = store, shared
        self.calls: list[str] = []

    def title(self, config: Config) -> str:
        return f"Thing {config.name}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        self.calls.append("find")
        return self.store.get(ctx.stack)

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        self.calls.append("tags")
        return found.get("tags", {})

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return f"arn:thing/{ctx.stack}"

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{"thing.arn": self.ident(ctx, found)})

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        return [] if found["size"] == 2 else [f"size {found['size']} -> 2"]

    def create_resource(self, ctx: Context) -> str:
        self.calls.append("create")
        self.store[ctx.stack] = {"size": 2}
        return f"arn:thing/{ctx.stack}"

    def tag(self, ctx: Context, detail: str) -> None:
        self.calls.append("tag")
        self.store[ctx.stack]["tags"] = {TAG_KEY: ctx.stack}

    def update_resource(self, ctx: Context, detail: str) -> str:
        self.calls.append("update")
        self.store[ctx.stack]["size"] = 2
        return detail

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        self.calls.append("delete")
        del self.store[ctx.stack]


@pytest.fixture
def ctx() -> Context:
    config = load_text(f'{{"name": "{STACK}", "region": "us-east-1", "image": {{"repository": "app"}}}}')
    return Context(session=None, config=config)  # type: ignore[arg-type]  # the fake needs no AWS


def test_absent_is_created_then_tagged_in_a_second_step(ctx: Context) -> None:
    thing = Thing({})
    assert thing.inspect(ctx).action == "create"
    assert thing.create(ctx) == f"arn:thing/{STACK}"
    assert thing.calls == ["find", "create", "tag"]
    assert thing.inspect(ctx).action == "in_sync"


def test_owned_and_equal_is_in_sync_and_publishes(ctx: Context) -> None:
    thing = Thing({STACK: {"size": 2, "tags": {TAG_KEY: STACK}}})
    state = thing.inspect(ctx)
    assert (state.action, state.detail) == ("in_sync", f"arn:thing/{STACK}")
    assert ctx.get("thing.arn") == f"arn:thing/{STACK}"


def test_owned_and_different_is_an_update_with_the_reason(ctx: Context) -> None:
    thing = Thing({STACK: {"size": 1, "tags": {TAG_KEY: STACK}}})
    state = thing.inspect(ctx)
    assert (state.action, state.reason, state.detail) == ("update", "size 1 -> 2", f"arn:thing/{STACK}")
    thing.update(ctx, state)
    assert thing.inspect(ctx).action == "in_sync"


@pytest.mark.parametrize(("tags", "whose"), [
    ({}, "something other than bluegreen"),
    ({TAG_KEY: "other"}, "the bluegreen stack 'other'"),
])
def test_untagged_or_foreign_is_a_conflict_and_destroy_leaves_it(ctx: Context, tags: dict[str, str],
                                                                 whose: str) -> None:
    store = {STACK: {"size": 1, "tags": tags}}
    thing = Thing(store)
    state = thing.inspect(ctx)
    assert state.action == "conflict"
    assert state.reason == f"Thing {STACK} already exists and belongs to {whose}"
    assert state.detail == f"arn:thing/{STACK}" and state.fix
    assert ctx.get("thing.arn") is None  # nothing of someone else's is published
    assert thing.delete(ctx) is False
    assert STACK in store and "delete" not in thing.calls


def test_shared_is_used_as_it_is_but_still_not_deleted(ctx: Context) -> None:
    store = {STACK: {"size": 2, "tags": {}}}
    thing = Thing(store, shared=True)
    assert thing.inspect(ctx).action == "in_sync"
    assert "tags" not in thing.calls  # inspect reads no owner tag
    assert thing.delete(ctx) is False and STACK in store


def test_delete_removes_the_stacks_own_and_then_finds_nothing(ctx: Context) -> None:
    store = {STACK: {"size": 2, "tags": {TAG_KEY: STACK}}}
    thing = Thing(store)
    assert thing.delete(ctx) is True and store == {}
    assert thing.delete(ctx) is False
    assert thing.calls == ["find", "tags", "delete", "find"]


class VanishingThing(Thing):
    """Its delete takes two calls, and the resource is gone before the second (another run
    got there first, or a killed run's last call was still in flight)."""

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        self.calls.append("delete")
        self.store.pop(ctx.stack)
        raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "Role demo not found"}}, "DeleteRole")


def test_a_resource_gone_halfway_through_its_delete_is_deleted(ctx: Context) -> None:
    store = {STACK: {"size": 2, "tags": {TAG_KEY: STACK}}}
    thing = VanishingThing(store)
    assert thing.delete(ctx) is True and store == {}


def test_every_node_has_its_own_title_and_only_the_checks_are_check_only(ctx: Context) -> None:
    nodes = build_nodes(ctx.config)
    titles = {node.id: node.title(ctx.config) for node in nodes}
    assert all(title and title != node_id for node_id, title in titles.items())
    assert titles["iam.role.pipeline"] == f"IAM role {STACK}-pipeline"
    assert titles["codepipeline.pipeline"] == f"Pipeline {STACK}"
    assert titles["ecr.image"] == "Image app:latest"
    assert [n.id for n in nodes if n.check_only] == ["account", "network.vpc", "network.subnets"]


def test_build_and_push_events_carry_the_image_nodes_id(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from bluegreen.engine.nodes.delivery import ImageNode
    from bluegreen.images import build_push

    def fake_build_and_push(session: Any, config: Config, on_event: Any, base_dir: Any) -> PushDone:
        on_event(BuildStep(1, 1, "FROM scratch"))
        done = PushDone("uri", "latest", "sha256:00", 1, False)
        on_event(done)
        return done

    monkeypatch.setattr(build_push, "build_and_push", fake_build_and_push)
    events: list[Event] = []
    ctx.on_event = events.append
    ctx.put(**{"ecr.uri": "registry/app"})
    assert ImageNode().create(ctx) == "sha256:00"
    assert [(type(e).__name__, getattr(e, "node", None)) for e in events] == [
        ("BuildStep", "ecr.image"), ("PushDone", "ecr.image")]
    assert BuildStep(1, 1, "FROM scratch").node == ""  # outside a run: no node
