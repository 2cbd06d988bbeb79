"""The task-set control CodeDeploy uses (``handle.services["ecs"]``), on a real Docker engine: a
green task set on the second target group turns healthy, the listeners' weights move real
traffic, and deleting blue stops its containers without failing a request in flight.

The tests run in order, as a blue/green deployment does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ecs_elb_support import (
    CONTAINER,
    PORT,
    Image,
    Stack,
    docker_sandbox,
    get,
    provision,
    sample_image,
    sandbox_containers,
    service,
    wait_for,
)

from bluegreen.sandbox.ecs import TaskSetView
from bluegreen.sandbox.server import SandboxHandle
from bluegreen.sandbox.wire import AwsError

pytestmark = pytest.mark.docker

REGION = "us-east-1"


@pytest.fixture(scope="module")
def ecs_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    with docker_sandbox(docker_client, region=REGION, time_scale=30) as handle:
        yield handle


@pytest.fixture(scope="module")
def images(docker_client: Any, ecs_sandbox: SandboxHandle,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Image, Image]]:
    with sample_image(docker_client, ecs_sandbox, tmp_path_factory.mktemp("v1"), "web", "1") as v1, \
            sample_image(docker_client, ecs_sandbox, tmp_path_factory.mktemp("v2"), "web-v2", "2") as v2:
        yield v1, v2


@pytest.fixture(scope="module")
def stack(ecs_sandbox: SandboxHandle, images: tuple[Image, Image]) -> Stack:
    made = provision(ecs_sandbox, images[0].uri, "sets")
    wait_for(lambda: service(ecs_sandbox, made)["taskSets"][0]["stabilityStatus"] == "STEADY_STATE", "blue settles")
    return made


@pytest.fixture(scope="module")
def green(ecs_sandbox: SandboxHandle, stack: Stack, images: tuple[Image, Image]) -> TaskSetView:
    """A second revision (image v2) in a task set on the green group, as CodeDeploy creates it."""
    ecs = ecs_sandbox.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=stack.task_definition)["taskDefinition"]
    container = dict(definition["containerDefinitions"][0], image=images[1].uri)
    revision = ecs.register_task_definition(
        family=definition["family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]
    created: TaskSetView = ecs_sandbox.services["ecs"].create_task_set(
        region=REGION, cluster=stack.cluster, service=stack.service, task_definition=revision,
        target_group_arn=stack.green, container_name=CONTAINER, container_port=PORT, external_id="d-TESTGREEN")
    return created


def _version(url: str) -> str | None:
    status, page = get(url)
    if status != 200:
        return None
    return page.split('<strong id="version">')[1].split("<")[0]


def _weights(sandbox: SandboxHandle, listener: str) -> dict[str, int]:
    found = sandbox.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]
    return {g["TargetGroupArn"]: g["Weight"] for g in found["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]}


def _forward(sandbox: SandboxHandle, listener: str, weights: dict[str, int]) -> None:
    sandbox.client("elbv2").modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": g, "Weight": w} for g, w in weights.items()]}}])


def test_a_green_task_set_on_the_second_group_turns_healthy(ecs_sandbox: SandboxHandle, stack: Stack,
                                                            green: TaskSetView) -> None:
    engine = ecs_sandbox.services["ecs"]
    assert (green.status, green.external_id, green.target_group_arn) == ("ACTIVE", "d-TESTGREEN", stack.green)
    # the test listener moves to green first, as CodeDeploy does: a group no listener uses is
    # not health checked (its targets are `unused`)
    _forward(ecs_sandbox, stack.test, {stack.green: 1})

    ready = wait_for(lambda: (lambda v: v if v and v.healthy_targets == 1 else None)(engine.get(green.arn)),
                     "green's task is healthy")
    assert (ready.running, ready.computed_desired) == (1, 1)
    assert wait_for(lambda: _version(f"http://{stack.dns}:{stack.test_port}/") == "2", "the test port answers v2")
    assert _version(f"http://{stack.dns}:{stack.production_port}/") == "1"

    sets = {s["taskSetArn"]: s for s in service(ecs_sandbox, stack)["taskSets"]}
    assert sets[green.arn]["externalId"] == "d-TESTGREEN" and sets[green.arn]["startedBy"] == "CODE_DEPLOY"
    assert sorted(s["status"] for s in sets.values()) == ["ACTIVE", "PRIMARY"]
    assert [v.arn for v in engine.service_task_sets(region=REGION, cluster=stack.cluster, service=stack.service)] \
        == [s for s in sets]


def test_listener_weights_move_real_traffic_and_are_what_describe_listeners_shows(
        ecs_sandbox: SandboxHandle, stack: Stack, green: TaskSetView) -> None:
    _forward(ecs_sandbox, stack.production, {stack.blue: 0, stack.green: 100})

    assert _weights(ecs_sandbox, stack.production) == {stack.blue: 0, stack.green: 100}
    assert dict(ecs_sandbox.services["dataplane"].forward_weights(stack.production)) == {stack.blue: 0, stack.green: 100}
    assert {_version(f"http://{stack.dns}:{stack.production_port}/") for _ in range(20)} == {"2"}

    _forward(ecs_sandbox, stack.production, {stack.blue: 1, stack.green: 1})
    assert {_version(f"http://{stack.dns}:{stack.production_port}/") for _ in range(20)} == {"1", "2"}


def test_green_becomes_primary_and_deleting_blue_fails_no_request(
        ecs_sandbox: SandboxHandle, stack: Stack, green: TaskSetView, docker_client: Any) -> None:
    engine = ecs_sandbox.services["ecs"]
    blue = next(v for v in engine.service_task_sets(region=REGION, cluster=stack.cluster, service=stack.service)
                if v.status == "PRIMARY")
    failures: list[str] = []
    answered: list[str] = []
    done = threading.Event()

    def load() -> None:  # a small bounded loop of requests on the production port
        for _ in range(5000):
            if done.is_set():
                return
            try:
                version = _version(f"http://{stack.dns}:{stack.production_port}/")
            except OSError as exc:
                failures.append(repr(exc))
                continue
            if version is None:
                failures.append("non-200 answer")
            else:
                answered.append(version)

    loop = threading.Thread(target=load, name="test-load")
    loop.start()
    try:
        _forward(ecs_sandbox, stack.production, {stack.blue: 0, stack.green: 1})
        promoted = engine.set_primary(green.arn)
        assert promoted.status == "PRIMARY"
        assert service(ecs_sandbox, stack)["taskDefinition"] == green.task_definition
        engine.delete_task_set(blue.arn)

        assert engine.get(blue.arn).status == "DRAINING"
        wait_for(lambda: engine.get(blue.arn) is None, "blue's task set is gone")
        assert not [c for c in sandbox_containers(docker_client, ecs_sandbox)
                    if c.labels["bluegreen.sandbox.task-set"] == blue.id]
    finally:
        done.set()
        loop.join()
    assert answered and not failures, failures[:5]
    assert [s["taskSetArn"] for s in service(ecs_sandbox, stack)["taskSets"]] == [green.arn]


def test_task_set_calls_are_refused_with_ecs_errors(ecs_sandbox: SandboxHandle, stack: Stack,
                                                   green: TaskSetView) -> None:
    engine = ecs_sandbox.services["ecs"]
    with pytest.raises(AwsError) as scale:
        engine.update_scale(green.arn, 150)
    assert scale.value.code == "InvalidParameterException"
    with pytest.raises(AwsError) as unknown:
        engine.set_primary(green.arn + "0")
    assert unknown.value.code == "TaskSetNotFoundException"
    with pytest.raises(AwsError) as no_service:
        engine.create_task_set(region=REGION, cluster=stack.cluster, service="nope", task_definition=green.task_definition,
                               target_group_arn=stack.green, container_name=CONTAINER, container_port=PORT)
    assert no_service.value.code == "ServiceNotFoundException"
    assert engine.get(green.arn + "0") is None
