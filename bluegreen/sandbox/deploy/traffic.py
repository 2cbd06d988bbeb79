"""When production traffic moves, and how much: the steps of a deployment configuration.

"Deployment configurations on an Amazon ECS compute platform": *AllAtOnce* shifts everything at
once; *Linear* shifts equal increments with equal minutes between them; *Canary* shifts the first
percentage, then the rest after the interval. Custom configurations (TimeBasedLinear,
TimeBasedCanary) follow the same rules with their own numbers. A linear percentage that does not
divide 100 ends with a smaller last increment (33% gives 33, 66, 99, 100).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    at: float  # AWS seconds after AllowTraffic began
    percent: int  # of production traffic on the replacement from then on


def schedule(routing: dict[str, Any] | None) -> list[Step]:
    kind = (routing or {}).get("type") or "AllAtOnce"
    if kind == "TimeBasedCanary":
        spec = routing["timeBasedCanary"] if routing else {}
        pct, minutes = int(spec["canaryPercentage"]), int(spec["canaryInterval"])
        return [Step(0.0, pct), Step(minutes * 60.0, 100)]
    if kind == "TimeBasedLinear":
        spec = routing["timeBasedLinear"] if routing else {}
        pct, minutes = int(spec["linearPercentage"]), int(spec["linearInterval"])
        steps, n = [], 0
        while True:
            percent = min(100, pct * (n + 1))
            steps.append(Step(n * minutes * 60.0, percent))
            if percent == 100:
                return steps
            n += 1
    return [Step(0.0, 100)]


def weights(green_percent: float) -> tuple[int, int]:
    """(blue, green) listener weights for that share of traffic on green."""
    green = max(0, min(100, round(green_percent)))
    return 100 - green, green
