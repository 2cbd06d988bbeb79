"""apply waits for the service's tasks when it creates the service: an image that cannot start
ends the apply with ECS's own reason (not a timeout, not a success whose URL answers 503)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from support.engine import put_tiny_image, session_for, stack_config

from bluegreen.engine.stack import Stack
from bluegreen.events import Event, NodeFailed, NodeProgress
from bluegreen.sandbox.server import SandboxHandle, start_sandbox

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def docker_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    from support.engine import REGION

    handle = start_sandbox(port=0, region=REGION, tasks="docker", time_scale=60)
    try:
        yield handle
    finally:
        handle.stop()  # stops and removes its containers


def test_tasks_that_cannot_start_end_the_apply_with_their_reason(docker_sandbox: SandboxHandle) -> None:
    session = session_for(docker_sandbox)
    put_tiny_image(session)  # a manifest without a runnable image: no container can be made of it
    seen: list[Event] = []
    applied = asyncio.run(Stack(session, stack_config("cannotstart")).apply(seen.append))
    assert not applied.ok
    failed = [e for e in seen if isinstance(e, NodeFailed)]
    assert [e.node for e in failed] == ["ecs.service"], failed
    assert "tasks stop as they start" in failed[0].message and "CannotPullContainerError" in failed[0].message
    assert "bluegreen push" in failed[0].fix
    progress = [e.message for e in seen if isinstance(e, NodeProgress) and e.node == "ecs.service"]
    assert any(m.startswith("tasks 0/1 running") for m in progress), progress
