"""The mission, end to end on the sandbox with real containers, observed through boto3 only:
`bluegreen init --sample` and `apply` provision the starter stack and its URL answers v1; a
`bluegreen push` of v2 starts the pipeline through its EventBridge rule, the deployment passes
every lifecycle event, the URL answers v2, and blue's containers are gone after the
termination wait (time scale 60: CodeDeploy's minutes take seconds); destroy then removes it all."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from support.waiting import until

from bluegreen.aws.probe import probe
from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from tui.cli import main

pytestmark = pytest.mark.docker
T = TypeVar("T")
ECS_BLUE_GREEN_EVENTS = ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
                         "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]


@pytest.fixture(scope="module")
def sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    handle = start_sandbox(port=0, region="us-east-1", time_scale=60, tasks="docker")
    try:
        yield handle
    finally:
        handle.stop()  # stops and removes its task containers
        for image in docker_client.images.list(name=f"{handle.registry_host}/my-app"):
            with contextlib.suppress(Exception):
                docker_client.images.remove(image.id, force=True)


def version_at(url: str) -> str:
    answer = probe(url, sandbox=True)
    return answer.answered_by if answer.ok else f"({answer.text})"


def test_push_v2_deploys_through_the_pipeline_and_the_url_answers_v2(
        sandbox: SandboxHandle, docker_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    monkeypatch.chdir(tmp_path)
    cli = CliRunner()
    assert cli.invoke(main, ["init", "--sample", "site", "-o", "bluegreen.yaml"]).exit_code == 0
    applied = cli.invoke(main, ["apply", "-f", "bluegreen.yaml", "--sandbox", "--yes"])
    assert applied.exit_code == 0, applied.output

    elbv2, cp, cd = sandbox.client("elbv2"), sandbox.client("codepipeline"), sandbox.client("codedeploy")
    dns = elbv2.describe_load_balancers(Names=["my-app-alb"])["LoadBalancers"][0]["DNSName"]
    url = f"http://{dns}:80/"
    assert version_at(url).endswith("v1")

    def executions() -> list[dict[str, Any]]:
        return list(cp.list_pipeline_executions(pipelineName="my-app")["pipelineExecutionSummaries"])

    # the execution AWS starts when the pipeline is created deploys v1 again; let it finish
    until(lambda: executions() and executions()[0]["status"] == "Succeeded", "the first execution", 120)
    first_ids = {e["pipelineExecutionId"] for e in executions()}

    config = Path("bluegreen.yaml")
    config.write_text(config.read_text().replace("  context: site\n", "  context: site\n  buildArgs:\n    VERSION: '2'\n"))
    pushed = cli.invoke(main, ["push", "-f", "bluegreen.yaml", "--sandbox"])
    assert pushed.exit_code == 0, pushed.output
    # push says which tag the pipeline watches, then follows the execution it started to its
    # end: a line per lifecycle event and the traffic split as it moves
    assert "the pipeline my-app deploys each push of my-app:latest" in pushed.output
    followed = pushed.output[pushed.output.index("pushed: "):]
    # (at this time scale an event can start and end between two polls: then one line says both)
    for event in ECS_BLUE_GREEN_EVENTS:
        assert f"    {event} succeeded" in followed, (event, pushed.output)
    assert "deployment d-" not in followed.split("stage Deploy: InProgress")[0], followed  # no older one
    assert "production: blue 0% / green 100%" in followed, followed
    assert followed.rstrip().splitlines()[-1].endswith(": Succeeded"), followed

    run = until(lambda: next((e for e in executions() if e["pipelineExecutionId"] not in first_ids), None),
                "an execution started by the push", 120)
    assert run["trigger"]["triggerType"] == "CloudWatchEvent"  # the stack's EventBridge rule
    done = until(lambda: next((e for e in executions() if e["pipelineExecutionId"] == run["pipelineExecutionId"]
                               and e["status"] != "InProgress"), None), "the push's execution to end", 120)
    assert done["status"] == "Succeeded", done
    assert version_at(url).endswith("v2")

    deployment = cd.list_deployments(applicationName="my-app", deploymentGroupName="my-app")["deployments"][0]
    info = cd.get_deployment(deploymentId=deployment)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    target = cd.get_deployment_target(deploymentId=deployment,
                                      targetId=cd.list_deployment_targets(deploymentId=deployment)["targetIds"][0])
    events = target["deploymentTarget"]["ecsTarget"]["lifecycleEvents"]
    assert [e["lifecycleEventName"] for e in events] == ECS_BLUE_GREEN_EVENTS
    assert {e["status"] for e in events} == {"Succeeded"}

    # after the termination wait, only green's task runs, from the v2 image
    ecs = sandbox.client("ecs")

    def one_task_set_left() -> list[dict[str, Any]] | None:
        service = ecs.describe_services(cluster="my-app", services=["my-app"])["services"][0]
        return service["taskSets"] if len(service["taskSets"]) == 1 else None

    (task_set,) = until(one_task_set_left, "blue's task set to go after the termination wait", 120)
    arns = ecs.list_tasks(cluster="my-app", desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster="my-app", tasks=arns)["tasks"]
    assert [t["taskDefinitionArn"] for t in tasks] == [task_set["taskDefinition"]]
    runtime = sandbox.services["runtime"].instance_id
    running = docker_client.containers.list(filters={"label": f"bluegreen.sandbox={runtime}"})
    assert len(running) == 1, running

    # destroy waits for the service's tasks to drain (the deregistration delay) before the cluster
    destroyed = cli.invoke(main, ["destroy", "-f", "bluegreen.yaml", "--sandbox", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    assert "still tagged" not in destroyed.output
    assert docker_client.containers.list(filters={"label": f"bluegreen.sandbox={runtime}"}) == []
