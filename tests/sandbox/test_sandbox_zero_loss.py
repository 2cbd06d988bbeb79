"""Zero lost requests while production shifts: during a
CodeDeployDefault.ECSLinear10PercentEvery1Minutes deployment (nine minutes of shifting in AWS
time, 68 s at time scale 8), a bounded load loop on loopback sends at least 20,000 requests at
200 or more a second through the load balancer: none fails, and the share of v2 answers per
second follows the weights the deployment reports within 10 points.

The helpers (stack, images, deployment, load loop) are the deployment tests' own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ecs_elb_support import Image, docker_sandbox, sample_image, service, wait_for
from test_sandbox_deployments_docker import (
    REGION,
    Load,
    _green_weight,
    blue_green,
    create_deployment,
    deployment,
    ended,
    revision,
    trust,
)

from bluegreen.sandbox.server import SandboxHandle

pytestmark = pytest.mark.docker
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
LOOPS = 4  # parallel keep-alive connections: enough for 200+ requests a second on a busy machine


@pytest.fixture(scope="module")
def sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    with docker_sandbox(docker_client, region=REGION, time_scale=8, tasks="docker") as handle:
        yield handle


@pytest.fixture(scope="module")
def images(docker_client: Any, sandbox: SandboxHandle,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Image, Image]]:
    with sample_image(docker_client, sandbox, tmp_path_factory.mktemp("v1"), "zero-web", "1") as v1, \
            sample_image(docker_client, sandbox, tmp_path_factory.mktemp("v2"), "zero-web-v2", "2") as v2:
        yield v1, v2


def test_no_request_fails_while_a_linear_deployment_shifts(sandbox: SandboxHandle,
                                                           images: tuple[Image, Image]) -> None:
    v1, v2 = images
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName="zero-cd", AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="zero-cd", PolicyArn=LIMITED)
    deployed = blue_green(sandbox, v1, role, "zero", "CodeDeployDefault.ECSLinear10PercentEvery1Minutes")
    stack = deployed.stack
    loops = [Load(stack.dns, stack.production_port) for _ in range(LOOPS)]
    threads = [threading.Thread(target=loop.run, kwargs={"limit": 200_000}, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: all(len(loop.answers) > 10 for loop in loops), "v1 answers")
        deployment_id = create_deployment(sandbox, deployed, revision(sandbox, stack, v2))
        target_id = f"{stack.cluster}:{stack.service}"
        polls: list[tuple[float, float]] = []  # (when, green's reported weight)
        started = None
        while True:
            info = deployment(sandbox, deployment_id)
            weight = _green_weight(sandbox, deployment_id, target_id) or 0.0
            now = time.monotonic()
            polls.append((now, weight))
            if started is None and weight > 0:
                started = now
            if info["status"] != "InProgress" or weight == 100.0:
                break
            time.sleep(0.05)
        shifted = time.monotonic()
        info = ended(sandbox, deployment_id, limit_s=120)
    finally:
        for loop in loops:
            loop.stop.set()
        for thread in threads:
            thread.join(10)

    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert started is not None and shifted - started >= 10, (started, shifted)
    during = [a for loop in loops for a in loop.answers if started <= a[0] and a[1] <= shifted]
    seconds = shifted - started
    assert len(during) >= 20_000 and len(during) / seconds >= 200, (len(during), round(seconds, 1))
    assert [f for loop in loops for f in loop.failures] == []
    # per second of the shift: the share of v2 answers against the weight reported then
    off = []
    for second in range(int(seconds)):
        t0, t1 = started + second, started + second + 1
        answers = [v for s, e, v in during if t0 <= s and e <= t1]
        reported = [w for t, w in polls if t0 <= t <= t1]
        if len(answers) < 50 or len(set(reported)) != 1:  # a step changed within this second
            continue
        share = 100.0 * answers.count("2") / len(answers)
        if abs(share - reported[0]) > 10:
            off.append((second, reported[0], round(share, 1), len(answers)))
    assert not off, off
    assert [s["taskDefinition"].rsplit(":", 1)[1] for s in service(sandbox, stack)["taskSets"]
            if s["status"] == "PRIMARY"] == ["2"]
