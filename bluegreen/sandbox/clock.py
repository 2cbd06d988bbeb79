"""The sandbox's sense of time: AWS's minutes, run `time_scale` times faster.

CodeDeploy waits minutes between traffic steps and before terminating blue; health checks run
every 30 s. At `--time-scale 60` a minute of AWS time takes a second, so a linear deployment
can be watched (and tested) in seconds. Every duration the sandbox emulates goes through one
`Clock`; timestamps in answers stay real wall-clock times (what a caller compares with its own
clock), only the waits between them shrink.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

MAX_TIME_SCALE = 3600.0  # an hour of AWS time per second: beyond that, waits are below timer resolution


class Clock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if not 0 < time_scale <= MAX_TIME_SCALE:
            raise ValueError(f"time_scale must be in (0, {MAX_TIME_SCALE:g}], got {time_scale}")
        self.time_scale = float(time_scale)

    def real(self, aws_seconds: float) -> float:
        """How long `aws_seconds` of AWS time take here."""
        return max(0.0, aws_seconds) / self.time_scale

    def aws(self, real_seconds: float) -> float:
        """How much AWS time `real_seconds` here stand for (e.g. a wait's time left)."""
        return max(0.0, real_seconds) * self.time_scale

    def sleep(self, aws_seconds: float, stop: threading.Event | None = None) -> bool:
        """Wait `aws_seconds` of AWS time; True if `stop` was set meanwhile (the caller ends)."""
        seconds = self.real(aws_seconds)
        if stop is None:
            time.sleep(seconds)
            return False
        return stop.wait(seconds)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()
