"""The poller's call meter: every HTTP request its AWS session sends (retries included, since
AWS counts each against the throttling buckets), on the poller's clock, so the budget is
checked in calls, not guessed from intervals."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from typing import Any

WINDOW_S = 60.0


class CallMeter:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: list[float] = []  # ascending; older than the window are dropped
        self.total = 0
        self.by_operation: dict[str, int] = {}

    def record(self, operation: str = "") -> None:
        now = self._clock()
        with self._lock:
            bisect.insort(self._times, now)
            self.total += 1
            if operation:
                self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
            self._drop(now)

    def in_last(self, seconds: float = WINDOW_S) -> int:
        now = self._clock()
        with self._lock:
            self._drop(now)
            return len(self._times) - bisect.bisect_left(self._times, now - seconds)

    def room_in(self, calls: int, budget: int) -> float:
        """Seconds until the window holds at most `budget - calls` calls (0: there is room now)."""
        now = self._clock()
        with self._lock:
            self._drop(now)
            over = len(self._times) - max(0, budget - calls)
            if over <= 0:
                return 0.0
            return max(0.0, self._times[over - 1] + WINDOW_S - now)

    def hook(self, **event: Any) -> None:
        """For `AwsSession.on_call(meter.hook, "before-send")`: botocore emits before-send once
        per attempt, in the thread that makes the call."""
        name = str(event.get("event_name") or "")
        self.record(name.rsplit(".", 1)[-1] if name else "")

    def _drop(self, now: float) -> None:
        cut = bisect.bisect_left(self._times, now - WINDOW_S)
        if cut:
            del self._times[:cut]
