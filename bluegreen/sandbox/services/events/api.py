"""EventBridge operations the sandbox answers itself: ``TestEventPattern``.

``TestEventPattern(EventPattern, Event)`` answers ``{"Result": true|false}`` with the matcher the
sandbox's bus uses for its rules (:mod:`.pattern`), so a test of a pattern and a delivery agree.
The event must be a JSON object with the fields the API reference calls mandatory (``id``,
``account``, ``source``, ``time``, ``region``, ``resources``, ``detail-type``). AWS's error for a
missing one is not documented: the sandbox answers ``ValidationException`` in its own wording. A
pattern the matcher cannot read is ``InvalidEventPatternException`` (the operation's modelled error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ...wire import AwsError, AwsRequest, Response, json_response
from ..common import Handler, Params
from .pattern import InvalidEventPattern, matches

MANDATORY = ("id", "account", "source", "time", "region", "resources", "detail-type")


def _invalid(reason: str) -> AwsError:
    return AwsError("InvalidEventPatternException", f"Event pattern is not valid. Reason: {reason}")


class EventsApi(Handler):
    def __init__(self) -> None:
        self._ops: dict[str, Callable[[Params], dict[str, Any]]] = {"TestEventPattern": self.test_event_pattern}

    def handle(self, req: AwsRequest) -> Response | None:
        op = self._ops.get(req.operation or "")
        if op is None:
            return None
        return json_response(req, op(Params(req.json_body())))

    def test_event_pattern(self, params: Params) -> dict[str, Any]:
        pattern_text = params.required_text("EventPattern", "ValidationException",
                                            "1 validation error detected: Value null at 'eventPattern' "
                                            "failed to satisfy constraint: Member must not be null")
        event_text = params.required_text("Event", "ValidationException",
                                          "1 validation error detected: Value null at 'event' "
                                          "failed to satisfy constraint: Member must not be null")
        try:
            pattern = json.loads(pattern_text)
        except ValueError as exc:
            raise _invalid(f"the pattern is not JSON: {exc}") from None
        if not isinstance(pattern, dict):
            raise _invalid("the pattern is not a JSON object")
        try:
            event = json.loads(event_text)
        except ValueError:
            raise AwsError("ValidationException", "Parameter Event is not valid: it is not JSON") from None
        if not isinstance(event, dict):
            raise AwsError("ValidationException", "Parameter Event is not valid: it is not a JSON object")
        absent = [name for name in MANDATORY if name not in event]
        if absent:
            raise AwsError("ValidationException",
                           f"Parameter Event is not valid. Reason: Provided Event must have mandatory field "
                           f"{absent[0]}")
        try:
            return {"Result": matches(pattern, event)}
        except InvalidEventPattern as exc:
            raise _invalid(str(exc)) from None
