"""Sandbox events, matched against the EventBridge rules stored in moto.

``EventBus.emit()`` builds an event in EventBridge's envelope, reads the enabled rules of the
default bus from moto (``list_rules`` / ``list_targets_by_rule``), matches each pattern with
:mod:`.pattern` and records every matched target in ``event_log``. Targets that are
CodePipeline pipelines are recorded in ``pipeline_starts`` and handed to ``pipeline_start_hook``
(the sandbox itself starts no pipeline execution).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...clients import MotoClients
from .pattern import InvalidEventPattern, matches

log = logging.getLogger("bluegreen.sandbox.events")


@dataclass(frozen=True)
class MatchedTarget:
    """One delivery: an event matched a rule, whose target is recorded here."""

    event: dict[str, Any]
    rule_name: str
    rule_arn: str
    target_id: str
    target_arn: str
    role_arn: str | None = None
    input: str | None = None


@dataclass(frozen=True)
class PipelineStartRequest:
    pipeline_name: str
    pipeline_arn: str
    event: dict[str, Any]
    rule_name: str
    role_arn: str | None


@dataclass
class EventBus:
    clients: MotoClients
    account_id: str
    region: str
    event_log: list[MatchedTarget] = field(default_factory=list)
    emitted: list[dict[str, Any]] = field(default_factory=list)
    pipeline_starts: list[PipelineStartRequest] = field(default_factory=list)
    pipeline_start_hook: Callable[[PipelineStartRequest], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(
        self,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: list[str] | None = None,
        region: str | None = None,
    ) -> dict[str, Any]:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self.account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region or self.region,
            "resources": list(resources or []),
            "detail": detail,
        }
        with self._lock:
            self.emitted.append(event)
        try:
            self._deliver(event)
        except Exception:  # a broken rule or moto hiccup never fails the API call
            log.exception("event delivery failed")
        return event

    def _events_client(self, region: str) -> Any:
        # rules are regional: an event is matched against the rules of its own region only
        return self.clients.for_region(region).get("events")

    def _rules(self, region: str) -> list[dict[str, Any]]:
        events = self._events_client(region)
        rules: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"EventBusName": "default"}
        while True:
            page = events.list_rules(**kwargs)
            rules.extend(page.get("Rules", []))
            if not page.get("NextToken"):
                return rules
            kwargs["NextToken"] = page["NextToken"]

    def _targets(self, rule: str, region: str) -> list[dict[str, Any]]:
        events = self._events_client(region)
        targets: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Rule": rule, "EventBusName": "default"}
        while True:
            page = events.list_targets_by_rule(**kwargs)
            targets.extend(page.get("Targets", []))
            if not page.get("NextToken"):
                return targets
            kwargs["NextToken"] = page["NextToken"]

    def _deliver(self, event: dict[str, Any]) -> None:
        region = str(event["region"])
        for rule in self._rules(region):
            if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                continue
            try:
                hit = matches(rule["EventPattern"], event)
            except (InvalidEventPattern, json.JSONDecodeError, TypeError, ValueError):
                log.warning("rule %s has a pattern the sandbox cannot evaluate", rule.get("Name"))
                continue
            if not hit:
                continue
            for target in self._targets(rule["Name"], region):
                matched = MatchedTarget(
                    event=event,
                    rule_name=rule["Name"],
                    rule_arn=rule.get("Arn", ""),
                    target_id=target.get("Id", ""),
                    target_arn=target.get("Arn", ""),
                    role_arn=target.get("RoleArn"),
                    input=target.get("Input"),
                )
                with self._lock:
                    self.event_log.append(matched)
                if ":codepipeline:" in matched.target_arn:
                    self._start_pipeline(matched)

    def _start_pipeline(self, matched: MatchedTarget) -> None:
        request = PipelineStartRequest(
            pipeline_name=matched.target_arn.rsplit(":", 1)[-1],
            pipeline_arn=matched.target_arn,
            event=matched.event,
            rule_name=matched.rule_name,
            role_arn=matched.role_arn,
        )
        with self._lock:
            self.pipeline_starts.append(request)
        if self.pipeline_start_hook is not None:
            self.pipeline_start_hook(request)
