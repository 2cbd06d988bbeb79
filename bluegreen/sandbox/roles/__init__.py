"""The sandbox acting as an AWS service with the role that service would assume.

CodePipeline, CodeDeploy, the ECS agent and EventBridge each assume a role and act with it; on
AWS a role that falls short fails the pipeline action, the deployment, the task or the invocation.
The sandbox does the same: the trust policy must let the service assume the role, then every
request must be allowed by the role's policies under the IAM evaluator the tool's own checks use
(:mod:`bluegreen.policy`); the error is the one that service reports. What the evaluator cannot
decide is allowed, with a log line: a false denial would break a stack that works on AWS.

:mod:`.reader` reads the role from moto, :mod:`.requests` says what AWS authorizes,
:mod:`.checker` decides, :mod:`.messages` words it per service, :mod:`.events` and
:mod:`.ecs_task` are EventBridge's and the ECS agent's uses, :class:`.acting.ActingRoles` is the
sandbox's ``handle.services["roles"]``. docs/sandbox-roles.md has the wordings and their sources.
"""

from .acting import ActingRoles
from .checker import RoleChecker
from .messages import Shortfall
from .requests import CODEDEPLOY, CODEPIPELINE, ECS_TASKS, EVENTS

__all__ = ["CODEDEPLOY", "CODEPIPELINE", "ECS_TASKS", "EVENTS", "ActingRoles", "RoleChecker", "Shortfall"]
