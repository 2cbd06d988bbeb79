"""EventBridge starting a pipeline with its rule target's role.

On AWS, EventBridge assumes the target's ``RoleArn`` and calls
``codepipeline:StartPipelineExecution``; when it cannot, the invocation fails: no execution starts,
nobody gets an error, and the rule's ``FailedInvocations`` metric counts it (namespace
``AWS/Events``, dimension ``RuleName``; ``Invocations`` counts every attempt, failed or not).
:class:`RuleTargets` wraps the event bus's pipeline hook to do the same: the sandbox's metrics go to
its CloudWatch, where ``get_metric_statistics`` reads them, and each failure is kept in
:attr:`RuleTargets.failed`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..clients import MotoClients
from ..services.events.bus import PipelineStartRequest
from ..wire import AwsError
from . import messages
from .checker import RoleChecker
from .requests import EVENTS, requests

log = logging.getLogger("bluegreen.sandbox.roles")

NAMESPACE = "AWS/Events"


@dataclass(frozen=True)
class FailedInvocation:
    rule_name: str
    region: str
    pipeline_arn: str
    role_arn: str
    error: AwsError
    time: datetime


class RuleTargets:
    def __init__(self, checker: RoleChecker, moto_url: str, account_id: str, default_region: str) -> None:
        self.checker = checker
        self.moto_url = moto_url
        self.account_id = account_id
        self.default_region = default_region
        self.failed: list[FailedInvocation] = []
        self._clients: dict[str, MotoClients] = {}
        self._lock = threading.Lock()

    def guard(self, start: Callable[[PipelineStartRequest], None]) -> Callable[[PipelineStartRequest], None]:
        """The bus's ``pipeline_start_hook``: ``start`` runs only when the role lets EventBridge
        start the pipeline."""

        def hook(request: PipelineStartRequest) -> None:
            region = str(request.event.get("region") or self.default_region)
            role = request.role_arn or ""
            wanted = requests(role, EVENTS, ["codepipeline:StartPipelineExecution"], request.pipeline_arn)
            short = self.checker.shortfall(role, EVENTS, wanted)
            self._count(region, request.rule_name, "Invocations")
            if short is None:
                start(request)
                return
            error = messages.events(short)
            self.checker.record(short, error)
            with self._lock:
                self.failed.append(
                    FailedInvocation(request.rule_name, region, request.pipeline_arn, role, error, datetime.now(UTC))
                )
            self._count(region, request.rule_name, "FailedInvocations")

        return hook

    def _count(self, region: str, rule: str, metric: str) -> None:
        try:
            self._cloudwatch(region).put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[{"MetricName": metric, "Dimensions": [{"Name": "RuleName", "Value": rule}],
                             "Value": 1.0, "Unit": "Count"}],
            )
        except Exception:  # a metric lost must not stop the event's delivery
            log.exception("could not count %s of rule %s", metric, rule)

    def _cloudwatch(self, region: str) -> Any:
        with self._lock:
            clients = self._clients.get(region)
            if clients is None:
                clients = self._clients[region] = MotoClients(self.moto_url, region, self.account_id)
        return clients.get("cloudwatch")

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()
