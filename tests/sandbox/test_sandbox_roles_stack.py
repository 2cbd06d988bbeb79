"""The roles bluegreen renders pass every check the sandbox makes as the services that assume
them: a stack made by apply (CodeCommit source, and S3 source) runs its pipeline without one
denial, a push starts it through the rule with the events role, and every request of the tables
of bluegreen.aws.iam.needs is allowed when the sandbox evaluates the roles as IAM holds them. A
false denial here would break every user's first deployment."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from support.ecr import put_tiny_image
from support.engine import run_apply

from bluegreen.aws.iam.needs import needs
from bluegreen.aws.session import AwsSession, Target
from bluegreen.model.configfile import load_text
from renderers.iam import roles as rendered_roles
from renderers.refs import Arns

T = TypeVar("T")
REGION = "us-east-1"
REPOSITORY = "roles-app"


def wait_for(what: Callable[[], T], timeout: float = 30.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = what()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message} (last: {last!r})")


@pytest.fixture(scope="module", params=["codecommit", "s3"])
def applied(sandbox, request) -> tuple[Any, Any, Any]:
    session = AwsSession(Target(endpoint_url=sandbox.endpoint_url, region=REGION))
    put_tiny_image(session, REPOSITORY)
    config = load_text(json.dumps({
        "name": f"roles-{request.param}", "region": REGION,
        "image": {"repository": REPOSITORY, "tag": "latest"},
        "task": {"containerName": "sample-website", "containerPort": 80},
        "source": {"type": request.param},
    }))
    result, ctx = run_apply(session, config)
    assert result.ok
    return sandbox, config, ctx


def stack_roles(config: Any) -> set[str]:
    return {config.pipeline.role_name, config.pipeline.events_role_name, config.code_deploy.service_role_name,
            config.task.execution_role_name}


def denials_of(sandbox: Any, config: Any) -> list[str]:
    names = stack_roles(config)
    return [error.message for short, error in sandbox.services["roles"].denials
            if short.role_arn.rsplit("/", 1)[-1] in names]


def actions(cp: Any, name: str) -> list[dict[str, Any]]:
    return list(cp.list_action_executions(pipelineName=name)["actionExecutionDetails"])


def past_the_deploy_call(cp: Any, name: str) -> bool:
    """The deploy action has made CreateDeployment, the last call the pipeline role is checked
    for (its deployment id is the external execution id, or it ended on CodeDeploy's answer)."""
    deploy = [a for a in actions(cp, name) if a["actionName"] == "Deploy"]
    if not deploy:
        return False
    result = deploy[0]["output"].get("executionResult", {})
    return bool(result.get("externalExecutionId")) or deploy[0]["status"] != "InProgress"


def test_the_first_run_of_an_applied_stack_is_never_denied(applied) -> None:
    sandbox, config, _ = applied
    cp = sandbox.client("codepipeline")
    name = config.pipeline.name
    wait_for(lambda: past_the_deploy_call(cp, name), message="the deploy action's CreateDeployment")
    runs = actions(cp, name)
    sources = {a["actionName"]: a["status"] for a in runs if a["actionName"] != "Deploy"}
    assert sources and set(sources.values()) == {"Succeeded"}, runs
    errors = [a["output"]["executionResult"].get("errorDetails") for a in runs if a["status"] == "Failed"]
    assert not [e for e in errors if e and e.get("code") == "PermissionError"], errors
    assert denials_of(sandbox, config) == []


def test_a_push_starts_the_pipeline_through_the_rule_with_the_events_role(applied) -> None:
    sandbox, config, _ = applied
    cp = sandbox.client("codepipeline")
    name = config.pipeline.name

    def executions() -> list[dict[str, Any]]:
        return list(cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"])

    before = len(wait_for(executions, message="the first execution"))
    ecr = sandbox.client("ecr")
    manifest = json.loads(ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "latest"}])
                          ["images"][0]["imageManifest"])
    manifest["config"]["digest"] = "sha256:" + f"{before:x}{config.name}".encode().hex().ljust(64, "0")[:64]
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="latest")
    started = wait_for(lambda: [e for e in executions() if e["trigger"]["triggerType"] == "CloudWatchEvent"],
                       message="the execution the push rule started")
    assert started[0]["trigger"]["triggerDetail"].endswith(f":rule/{config.name}-image-push")
    assert [f for f in sandbox.services["roles"].failed_invocations if f.rule_name.startswith(config.name)] == []
    assert denials_of(sandbox, config) == []


def test_every_request_of_every_rendered_role_is_allowed_as_iam_holds_the_role(applied) -> None:
    """What each service does with its role (the tables the tool's own offline check uses),
    asked of the sandbox about the roles apply created: trust, inline and managed policies."""
    sandbox, config, ctx = applied
    roles = sandbox.services["roles"]
    refs = ctx.refs()
    arns = Arns(config, refs)
    table = needs(config, refs)
    asked = 0
    for spec in rendered_roles(config, refs):
        role = arns.role(spec.name)
        for need in table.get(spec.key, []):
            assert roles.authorize(role, spec.service, [need.action], need.resource) is None, str(need)
            asked += 1
    assert asked >= 30
    # the ECS agent starting a task of the stack with its execution role
    stream = f"{arns.log_group}:log-stream:sample-website/sample-website/0123456789abcdef0123456789abcdef"
    execution = arns.role(config.task.execution_role_name)
    assert roles.execution_role_refusal(execution) is None
    assert roles.task_start_failure(execution, "0123456789abcdef0123456789abcdef", refs.image_uri,
                                    arns.ecr_repository, stream) is None
    assert roles.can_write_logs(execution, stream)
    assert denials_of(sandbox, config) == []
