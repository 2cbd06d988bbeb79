"""May a service act with this role? The trust policy first, then every request, with the
evaluator of :mod:`bluegreen.policy.evaluate`.

Never a false denial: whatever the sandbox cannot decide is allowed, with a log line:

- a policy the evaluator does not model (:class:`~bluegreen.policy.evaluate.UnsupportedPolicy`:
  an unknown condition operator, a policy variable) or a managed policy it cannot read;
- a denial that hangs on a condition key the request context lacks (``aws:SourceArn``,
  ``aws:ResourceTag/...``, ``s3:prefix``...): an Allow statement that would match without its
  condition, or the deciding Deny statement, names a key the sandbox does not know.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from bluegreen.policy.evaluate import Decision, Policy, UnsupportedPolicy, evaluate, undecided_keys

from ..wire import AwsError
from . import messages
from .messages import ASSUME, PERMISSION, Shortfall
from .reader import RoleDocuments, RoleReader
from .requests import ConfigLookup, Request, requests, trust_context

log = logging.getLogger("bluegreen.sandbox.roles")


class RoleChecker:
    def __init__(self, reader: RoleReader, configs: ConfigLookup | None = None, keep: int = 1000) -> None:
        self.reader = reader
        self.configs = configs
        # the latest denials, newest last, with the error each service was given
        self.denials: deque[tuple[Shortfall, AwsError]] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def authorize(self, role_arn: str, principal: str, actions: Sequence[str], resource: str) -> AwsError | None:
        """The hook of the pipeline engine (:data:`bluegreen.sandbox.pipeline.authorize.Authorize`),
        and of any engine acting as a service: None when ``principal`` may assume the role and
        the role may do every action on ``resource``, else the error that service reports."""
        short = self.shortfall(role_arn, principal, requests(role_arn, principal, actions, resource, self.configs))
        if short is None:
            return None
        error = messages.for_principal(short)
        self.record(short, error)
        return error

    def record(self, short: Shortfall, error: AwsError) -> None:
        log.info("%s may not act with %s: %s", short.principal, short.role_arn, error.message)
        with self._lock:
            self.denials.append((short, error))

    def shortfall(self, role_arn: str, principal: str, wanted: Sequence[Request]) -> Shortfall | None:
        """What stops ``principal`` from doing ``wanted`` with the role; None when nothing does
        (or when the sandbox cannot tell)."""
        try:
            role = self.reader.read(role_arn) if role_arn else None
            if role is None or not self._assumable(role, principal):
                return Shortfall(role_arn, principal, ASSUME)
        except UnsupportedPolicy as exc:
            log.warning("role %s: a policy the sandbox cannot evaluate (%s): %s allowed", role_arn, exc, principal)
            return None
        for request in wanted:
            try:
                short = self._denied(role, principal, request)
            except UnsupportedPolicy as exc:
                log.warning("role %s: a policy the sandbox cannot evaluate for %s on %s (%s): allowed",
                            role_arn, request.action, request.resource, exc)
                continue
            if short is not None:
                return short
        return None

    def _assumable(self, role: RoleDocuments, principal: str) -> bool:
        trust = [Policy("trust policy", role.trust)]
        context = trust_context(role.arn)
        who = {"Service": principal}
        decision = evaluate(trust, "sts:AssumeRole", role.arn, context, principal=who)
        if decision.allowed:
            return True
        if _undecidable(trust, decision, context, who):
            log.warning("role %s: whether %s may assume it depends on a condition the sandbox cannot "
                        "evaluate: allowed", role.arn, principal)
            return True
        return False

    def _denied(self, role: RoleDocuments, principal: str, request: Request) -> Shortfall | None:
        layers = [(list(role.policies), False)] + ([([role.boundary], True)] if role.boundary else [])
        for policies, boundary in layers:
            decision = evaluate(policies, request.action, request.resource, request.context)
            if decision.allowed:
                continue
            if _undecidable(policies, decision, request.context):
                log.warning("role %s: %s on %s depends on a condition the sandbox cannot evaluate: allowed",
                            role.arn, request.action, request.resource)
                continue
            return Shortfall(role.arn, principal, PERMISSION, request.action, request.resource,
                             explicit=decision.reason == "explicit deny", boundary=boundary)
        return None


def _undecidable(policies: Sequence[Policy], decision: Decision, context: Mapping[str, Any],
                 principal: Mapping[str, str] | None = None) -> bool:
    """Could the denial be wrong for want of a context key? (`undecided_keys`)"""
    return bool(undecided_keys(policies, decision, context, principal))


