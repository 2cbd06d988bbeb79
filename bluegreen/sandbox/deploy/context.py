"""What a running deployment works with, and the ways its run ends early.

A deployment runs in a worker thread of its own (:mod:`.engine`); every wait goes through the
sandbox's :class:`~bluegreen.sandbox.clock.Clock` (``--time-scale``) and ends early when the
deployment is told to continue or stop (its ``wake`` event) or the sandbox stops. Every call
CodeDeploy makes with the group's service role asks :attr:`Context.authorize` first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..clock import Clock
from ..pipeline.authorize import Authorize
from .model import Deployment, Diagnostics
from .ports import PublicApi, TaskSetControl

CODEDEPLOY = "codedeploy.amazonaws.com"  # the principal CodeDeploy acts as with the service role

# How often a wait looks at what it waits for (health, ECS counts), in AWS seconds; never more
# often than every 20 ms nor less often than every 0.5 s of real time.
POLL_AWS_SECONDS = 5.0
MIN_POLL, MAX_POLL = 0.02, 0.5

# The AWS service an IAM action belongs to, as CodeDeploy names it when the role falls short
# (AmazonElasticLoadBalancingV2 is AWS's wording; the others follow its pattern, unverified).
SERVICE_NAMES = {
    "ecs": "AmazonECS",
    "elasticloadbalancing": "AmazonElasticLoadBalancingV2",
    "lambda": "AWSLambda",
    "iam": "AmazonIdentityManagement",
    "s3": "AmazonS3",
}


ROLE_ERRORS = ("IAM_ROLE_PERMISSIONS", "IAM_ROLE_MISSING")  # ErrorCode values a role hook may give


class Failure(Exception):
    """The deployment fails: ``code`` and ``message`` are its errorInformation."""

    def __init__(self, code: str, message: str, diagnostics: Diagnostics | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.diagnostics = diagnostics


class StopRequested(Exception):
    """StopDeployment (or the ready wait running out) ends the run at the next wait."""


class Shutdown(Exception):
    """The sandbox is stopping: the run ends where it is, nothing more is changed."""


@dataclass
class Context:
    account_id: str
    clock: Clock
    api: PublicApi
    task_sets: Callable[[], TaskSetControl | None]  # looked up when needed: ECS may come later
    authorize: Callable[[], Authorize]  # looked up at each call: the IAM evaluator may be wired in late
    lock: threading.RLock
    stopping: threading.Event
    install_timeout: Callable[[], float]  # AWS seconds the replacement has to become healthy

    def poll(self) -> float:
        return max(MIN_POLL, min(MAX_POLL, self.clock.real(POLL_AWS_SECONDS)))

    def now(self) -> float:
        return self.clock.now().timestamp()

    def checkpoint(self, d: Deployment) -> None:
        """Raise if the run must end here (the sandbox stops, or StopDeployment was called)."""
        if self.stopping.is_set():
            raise Shutdown
        with self.lock:
            if d.stop_requested:
                raise StopRequested

    def wait(self, d: Deployment, aws_seconds: float, until: Callable[[], bool] | None = None) -> bool:
        """Wait up to ``aws_seconds`` of AWS time for ``until()`` (checked at each wake-up and poll,
        without the lock: it may call AWS); True when it held, False when the time ran out."""
        deadline = time.monotonic() + self.clock.real(aws_seconds)
        while True:
            self.checkpoint(d)
            if until is not None and until():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            d.wake.wait(min(remaining, self.poll()) if until is not None else remaining)
            d.wake.clear()

    def require(self, d: Deployment, actions: Sequence[str], resource: str) -> None:
        """Ask whether CodeDeploy, with the group's service role, may do ``actions`` on
        ``resource``; a denial fails the deployment. A hook that answers in CodeDeploy's terms
        (IAM_ROLE_PERMISSIONS, IAM_ROLE_MISSING: the sandbox's role checker does) gives the
        deployment's errorInformation as it is; any other error is worded here, the hook's own
        message kept as the event's diagnostics."""
        role = d.group.service_role_arn
        denied = self.authorize()(role, CODEDEPLOY, list(actions), resource)
        if denied is None:
            return
        if denied.code in ROLE_ERRORS:
            raise Failure(denied.code, denied.message, Diagnostics("UnknownError", denied.message))
        prefix = actions[0].split(":", 1)[0] if actions else ""
        service = SERVICE_NAMES.get(prefix, prefix)
        raise Failure(
            "IAM_ROLE_PERMISSIONS",
            f"The IAM role {role} does not give you permission to perform operations in the following AWS "
            f"service: {service}. Contact your AWS administrator if you need help. If you are an AWS "
            "administrator, you can grant permissions to your users or groups by creating IAM policies.",
            Diagnostics("UnknownError", f"{denied.code}: {denied.message}"),
        )
