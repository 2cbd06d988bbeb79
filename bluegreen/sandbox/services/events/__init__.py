"""EventBridge: the sandbox's event bus (:mod:`.bus`), delivering the events its services emit to
the rules stored in moto, event pattern matching (:mod:`.pattern`) and ``TestEventPattern`` with it (:mod:`.api`)."""

from .api import EventsApi
from .bus import EventBus, MatchedTarget, PipelineStartRequest
from .pattern import InvalidEventPattern, matches

__all__ = ["EventBus", "EventsApi", "InvalidEventPattern", "MatchedTarget", "PipelineStartRequest", "matches"]
