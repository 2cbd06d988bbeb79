"""One object for the sandbox's services: ``handle.services["roles"]``.

Built in ``_install_services``; the engines that act as an AWS service call it:

- ``authorize(role_arn, principal, actions, resource) -> AwsError | None``: the pipeline engine's
  hook (CodePipeline, and EventBridge starting a pipeline), and the CodeDeploy engine's with
  principal ``codedeploy.amazonaws.com`` (the error's code is the deployment's
  ``errorInformation.code``: ``IAM_ROLE_PERMISSIONS`` or ``IAM_ROLE_MISSING``);
- ``execution_role_refusal`` / ``task_start_failure`` / ``can_write_logs``: the ECS agent's use of
  the task execution role (:mod:`.ecs_task`);
- ``rule_target(start)``: the event bus's pipeline hook, with failed invocations counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..services.events.bus import PipelineStartRequest
from ..wire import AwsError
from . import ecs_task
from .checker import RoleChecker
from .configs import GroupConfigs
from .events import FailedInvocation, RuleTargets
from .messages import Shortfall
from .reader import RoleReader


class ActingRoles:
    def __init__(self, moto_url: str, endpoint_url: str, account_id: str, region: str) -> None:
        self.reader = RoleReader(moto_url, region)
        self.configs = GroupConfigs(endpoint_url)
        self.checker = RoleChecker(self.reader, self.configs)
        self.rules = RuleTargets(self.checker, moto_url, account_id, region)

    @property
    def denials(self) -> list[tuple[Shortfall, AwsError]]:
        """Every denial lately given, oldest first (what failed, and the error the service got)."""
        return list(self.checker.denials)

    @property
    def failed_invocations(self) -> list[FailedInvocation]:
        return list(self.rules.failed)

    def authorize(self, role_arn: str, principal: str, actions: Sequence[str], resource: str) -> AwsError | None:
        return self.checker.authorize(role_arn, principal, actions, resource)

    def rule_target(
        self, start: Callable[[PipelineStartRequest], None]
    ) -> Callable[[PipelineStartRequest], None]:
        return self.rules.guard(start)

    def execution_role_refusal(self, role_arn: str) -> AwsError | None:
        return ecs_task.execution_role_refusal(self.checker, role_arn)

    def task_start_failure(
        self, role_arn: str, task_id: str, image: str, repository_arn: str | None = None,
        log_stream_arn: str | None = None,
    ) -> AwsError | None:
        return ecs_task.task_start_failure(self.checker, role_arn, task_id, image, repository_arn, log_stream_arn)

    def can_write_logs(self, role_arn: str, log_stream_arn: str) -> bool:
        return ecs_task.can_write_logs(self.checker, role_arn, log_stream_arn)

    def close(self) -> None:
        self.rules.close()
        self.configs.close()
        self.reader.close()
