"""EventBridge: the sandbox's event bus (:mod:`.bus`), delivering the events its services emit to
the rules stored in moto, and event pattern matching (:mod:`.pattern`)."""

from .bus import EventBus, MatchedTarget, PipelineStartRequest
from .pattern import InvalidEventPattern, matches

__all__ = ["EventBus", "InvalidEventPattern", "MatchedTarget", "PipelineStartRequest", "matches"]
