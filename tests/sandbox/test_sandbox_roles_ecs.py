"""The task execution role as the ECS agent uses it (the check the ECS engine calls when it
starts a task): trust, the ECR pull, the awslogs stream; each shortfall is the stopped reason AWS
gives, and the managed AmazonECSTaskExecutionRolePolicy is enough."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"
TASK_ID = "0123456789abcdef0123456789abcdef"
MANAGED = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def roles(sandbox) -> Any:
    return sandbox.services["roles"]


@pytest.fixture
def task(sandbox) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    repository = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/web-{suffix}"
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/web-{suffix}:log-stream:web/web/{TASK_ID}"
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web-{suffix}:v2"

    def role(*statements: dict[str, Any], service: str = "ecs-tasks.amazonaws.com", managed: bool = False) -> str:
        iam = sandbox.client("iam")
        name = f"exec-{uuid.uuid4().hex[:8]}"
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=document(
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}))["Role"]["Arn"])
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document(*statements))
        if managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=MANAGED)
        return arn

    def least(drop: str = "") -> list[dict[str, Any]]:
        statements = [
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": repository},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/web-{suffix}:*"},
        ]
        return [{**s, "Action": [a for a in s["Action"] if a != drop]} for s in statements
                if [a for a in s["Action"] if a != drop]]

    return {"repository": repository, "stream": stream, "image": image, "role": role, "least": least}


def start(roles: Any, task: dict[str, Any], role: str) -> Any:
    return roles.task_start_failure(role, TASK_ID, task["image"], task["repository"], task["stream"])


def user(role: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.rsplit('/', 1)[-1]}/{TASK_ID}"


def test_the_managed_policy_and_a_least_privilege_role_start_the_task(roles, task) -> None:
    managed = task["role"](managed=True)
    assert start(roles, task, managed) is None and roles.can_write_logs(managed, task["stream"])
    least = task["role"](*task["least"]())  # without ecr:BatchCheckLayerAvailability: a pull does not call it
    assert start(roles, task, least) is None and roles.can_write_logs(least, task["stream"])
    assert roles.execution_role_refusal(least) is None
    # an image not from ECR, no awslogs: nothing is asked of the role
    assert roles.task_start_failure(task["role"](), TASK_ID, "public.example/web:1") is None


def test_without_get_authorization_token_the_task_stops_with_resource_initialization_error(roles, task) -> None:
    role = task["role"](*task["least"]("ecr:GetAuthorizationToken"))
    error = start(roles, task, role)
    assert (error.code, error.message) == (
        "ResourceInitializationError",
        "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr "
        f"registry auth: service call has been retried 3 time(s): AccessDeniedException: User: {user(role)} is not "
        "authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows "
        "the ecr:GetAuthorizationToken action")


@pytest.mark.parametrize("missing", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
def test_without_a_pull_permission_the_task_stops_with_cannot_pull_container_error(roles, task, missing) -> None:
    role = task["role"](*task["least"](missing))
    error = start(roles, task, role)
    repository = task["image"].rsplit(":", 1)[0]
    assert (error.code, error.message) == (
        "CannotPullContainerError",
        "The task can’t pull the image. Check that the role has the permissions to pull images from the registry. "  # noqa: RUF001
        f"Error response from daemon: pull access denied for {repository}, repository does not exist or may require "
        f"'docker login': denied: User: {user(role)} is not authorized to perform: {missing} on resource: "
        f"{task['repository']} because no identity-based policy allows the {missing} action")


def test_without_create_log_stream_the_task_stops_and_without_put_log_events_it_runs_silent(roles, task) -> None:
    role = task["role"](*task["least"]("logs:CreateLogStream"))
    error = start(roles, task, role)
    assert (error.code, error.message) == (
        "ResourceInitializationError",
        "failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log "
        f"stream: AccessDeniedException: User: {user(role)} is not authorized to perform: logs:CreateLogStream on "
        f"resource: {task['stream']} because no identity-based policy allows the logs:CreateLogStream action")
    quiet = task["role"](*task["least"]("logs:PutLogEvents"))
    assert start(roles, task, quiet) is None and not roles.can_write_logs(quiet, task["stream"])


def test_a_role_ecs_cannot_assume_is_refused(roles, task) -> None:
    role = task["role"]({"Effect": "Allow", "Action": "*", "Resource": "*"}, service="ecs.amazonaws.com")
    message = (f"ECS was unable to assume the role '{role}' that was provided for this task. Please verify that the "
               "role being passed has the proper trust relationship and permissions and that your IAM user has "
               "permissions to pass this role.")
    error = roles.execution_role_refusal(role)
    assert (error.code, error.message) == ("ClientException", message)
    assert start(roles, task, role).message == message
