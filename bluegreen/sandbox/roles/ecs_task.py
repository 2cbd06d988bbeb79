"""The task execution role, as the ECS agent uses it to start a task: for the ECS engine to call.

The agent assumes the execution role (trusting ``ecs-tasks.amazonaws.com``), gets an ECR
authorization token, pulls the image (manifest, then layers) and creates the awslogs log stream;
the container starts only when each step works. The ECR User Guide ("Using Amazon ECR images with
Amazon ECS") names the pull permissions: ``ecr:GetAuthorizationToken``, ``ecr:BatchGetImage`` and
``ecr:GetDownloadUrlForLayer`` (``BatchCheckLayerAvailability``, also in the managed
AmazonECSTaskExecutionRolePolicy, is a push-side call a pull does not make: not required here).

- :func:`execution_role_refusal`: ECS cannot assume the role at all; ECS does not launch the task
  (``ClientException``; a service reports it in its events);
- :func:`task_start_failure`: the task is ``STOPPED`` before its container runs, with
  ``stoppedReason = f"{error.code}: {error.message}"``;
- :func:`can_write_logs`: ``logs:PutLogEvents`` is checked as the log driver sends, not at start:
  without it the task runs and its log stream stays empty.

Wordings and their sources: docs/sandbox-roles.md.
"""

from __future__ import annotations

from ..wire import AwsError
from .checker import RoleChecker
from .messages import ASSUME, Shortfall, not_authorized
from .requests import ECS_TASKS, requests

PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


def execution_role_refusal(checker: RoleChecker, role_arn: str) -> AwsError | None:
    """None when ECS may assume ``role_arn``; else ECS's ``ClientException``."""
    short = checker.shortfall(role_arn, ECS_TASKS, [])
    if short is None:
        return None
    error = _unassumable(role_arn)
    checker.record(short, error)
    return error


def task_start_failure(
    checker: RoleChecker,
    role_arn: str,
    task_id: str,
    image: str,
    repository_arn: str | None = None,
    log_stream_arn: str | None = None,
) -> AwsError | None:
    """Why the ECS agent cannot start the task with this execution role, or None.

    ``repository_arn``: the ECR repository the image comes from (None: not from ECR, no ECR
    permission involved); ``log_stream_arn``: the awslogs stream the container writes to
    (``arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<prefix>/<container>/<task id>``;
    None: no awslogs). ``task_id`` names the agent's role session, as in AWS's messages.
    """
    if not role_arn:
        return None  # nothing is done with an execution role
    steps: list[tuple[list[str], str]] = []
    if repository_arn:
        steps += [(["ecr:GetAuthorizationToken"], "*"), (list(PULL_ACTIONS), repository_arn)]
    if log_stream_arn:
        steps.append((["logs:CreateLogStream"], log_stream_arn))
    wanted = [request for actions, resource in steps for request in requests(role_arn, ECS_TASKS, actions, resource)]
    short = checker.shortfall(role_arn, ECS_TASKS, wanted)
    if short is None:
        return None
    error = _stopped(short, task_id, image)
    checker.record(short, error)
    return error


def can_write_logs(checker: RoleChecker, role_arn: str, log_stream_arn: str) -> bool:
    wanted = requests(role_arn, ECS_TASKS, ["logs:PutLogEvents"], log_stream_arn)
    return checker.shortfall(role_arn, ECS_TASKS, wanted) is None


def _unassumable(role_arn: str) -> AwsError:
    return AwsError(
        "ClientException",
        f"ECS was unable to assume the role '{role_arn}' that was provided for this task. Please verify that the "
        "role being passed has the proper trust relationship and permissions and that your IAM user has "
        "permissions to pass this role.",
    )


def _stopped(short: Shortfall, task_id: str, image: str) -> AwsError:
    if short.kind == ASSUME:
        return _unassumable(short.role_arn)
    denied = not_authorized(short, task_id)
    if short.action == "ecr:GetAuthorizationToken":
        return AwsError(
            "ResourceInitializationError",
            "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr "
            f"registry auth: service call has been retried 3 time(s): AccessDeniedException: {denied}",
        )
    if short.action in PULL_ACTIONS:
        return AwsError(
            "CannotPullContainerError",
            # the agent writes a typographic apostrophe here
            "The task can’t pull the image. Check that the role has the permissions to pull images from the "  # noqa: RUF001
            f"registry. Error response from daemon: pull access denied for {_repository(image)}, repository does "
            f"not exist or may require 'docker login': denied: {denied}",
        )
    return AwsError(
        "ResourceInitializationError",
        "failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log "
        f"stream: AccessDeniedException: {denied}",
    )


def _repository(image: str) -> str:
    """The image reference without its tag or digest (a registry's port stays)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: len(name) - len(last[-1])] + last[-1].split(":", 1)[0]
    return name
