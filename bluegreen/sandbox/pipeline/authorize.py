"""The one place the engine asks whether a service may act with a role.

CodePipeline acts with the pipeline's service role (or an action's ``roleArn``): it reads and
writes artifacts, reads the sources, registers task definitions, passes roles and creates
deployments; EventBridge starts executions with its target's role. Each of those calls
:data:`Authorize` first. The default allows everything; the IAM evaluator is wired in later by
setting :attr:`bluegreen.sandbox.pipeline.engine.PipelineEngine.authorize`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..wire import AwsError

# (role ARN, service principal acting with it, IAM actions, resource ARN) -> None when allowed,
# else the error AWS would report (its message ends up in the action's errorDetails).
Authorize = Callable[[str, str, Sequence[str], str], AwsError | None]

CODEPIPELINE = "codepipeline.amazonaws.com"
EVENTS = "events.amazonaws.com"


def allow_all(role_arn: str, principal: str, actions: Sequence[str], resource: str) -> AwsError | None:
    return None
