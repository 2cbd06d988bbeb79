"""Without a Docker engine the sandbox still runs CODE_DEPLOY services, with simulated tasks:
RUNNING, saying why in every answer, and never registered as load balancer targets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ecs_elb_support import CONTAINER, provision, running_tasks, service, wait_for

from bluegreen.sandbox.runtime import SimulatedRuntime
from bluegreen.sandbox.server import SandboxHandle, start_sandbox


@pytest.fixture(scope="module")
def no_engine_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    socket_path = tmp_path_factory.mktemp("no-engine") / "docker.sock"  # nothing listens there
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_HOST", f"unix://{socket_path}")
        handle = start_sandbox(port=0, region="us-east-1", time_scale=30)
    try:
        yield handle
    finally:
        handle.stop()


def test_tasks_are_simulated_running_say_why_and_register_no_target(no_engine_sandbox: SandboxHandle) -> None:
    sandbox = no_engine_sandbox
    assert isinstance(sandbox.services["runtime"], SimulatedRuntime)
    stack = provision(sandbox, f"{sandbox.registry_host}/web:1", "simulated")

    task = wait_for(lambda: (running_tasks(sandbox, stack) or [None])[0], "the simulated task runs")
    container = task["containers"][0]
    assert container["name"] == CONTAINER and container["lastStatus"] == "RUNNING"
    assert container["reason"].startswith("simulated: no Docker engine reachable (")

    rows = sandbox.client("elbv2").describe_target_health(TargetGroupArn=stack.blue)["TargetHealthDescriptions"]
    assert rows == []
    found = service(sandbox, stack)
    assert found["runningCount"] == 1 and found["taskSets"][0]["stabilityStatus"] == "STABILIZING"
    assert any(e["message"].startswith(f"(service {stack.service}) registered no targets for its tasks: simulated: ")
               for e in found["events"])

    stream = f"web/{CONTAINER}/{task['taskArn'].split('/')[-1]}"
    logs = sandbox.client("logs")

    def simulated_line() -> bool:
        try:
            events = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        return any(e["message"].startswith("simulated: no Docker engine reachable") for e in events)

    wait_for(simulated_line, "the task's log stream says it is simulated")
