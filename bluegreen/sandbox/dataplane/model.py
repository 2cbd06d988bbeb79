"""What the data plane is told and what it reports, in ELBv2's own words.

The states, reason codes and descriptions are the ones DescribeTargetHealth returns (the
Application Load Balancer guide, "Health checks for your target groups"); docs/sandbox-dataplane.md
gives the source and the choices made where AWS does not say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_WEIGHT = 999  # ELBv2's TargetGroupTuple.Weight range is 0-999

# TargetHealth.State
INITIAL = "initial"
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
UNUSED = "unused"
DRAINING = "draining"
UNAVAILABLE = "unavailable"

# TargetHealth.Reason -> the description AWS pairs with it
REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
TIMEOUT = "Target.Timeout"
FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
NOT_REGISTERED = "Target.NotRegistered"
NOT_IN_USE = "Target.NotInUse"
DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
INTERNAL_ERROR = "Elb.InternalError"

DESCRIPTIONS = {
    REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    TIMEOUT: "Request timed out",
    FAILED_HEALTH_CHECKS: "Health checks failed",
    NOT_REGISTERED: "Target is not registered to the target group",
    NOT_IN_USE: "Target group is not configured to receive traffic from the load balancer",
    DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
    INTERNAL_ERROR: "Health checks failed due to an internal error",
}


def code_mismatch(status: int) -> str:
    """The one description that carries a value: the code the target answered."""
    return f"Health checks failed with these codes: [{status}]"


def parse_matcher(matcher: str) -> tuple[tuple[int, int], ...]:
    """ELBv2's HttpCode matcher ("200", "200-299", "200,302") as inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for part in matcher.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise ValueError(f"invalid health check matcher {matcher!r}") from None
        if not 100 <= first <= last <= 599:
            raise ValueError(f"invalid health check matcher {matcher!r}")
        ranges.append((first, last))
    return tuple(ranges)


@dataclass(frozen=True)
class HealthCheck:
    """A target group's health check settings; the defaults are ELBv2's for `ip` targets."""

    protocol: str = "HTTP"
    path: str = "/"
    port: str | int = "traffic-port"
    matcher: str = "200"
    interval_s: float = 30.0
    timeout_s: float = 5.0
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    codes: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.protocol.upper() != "HTTP":
            raise ValueError(f"health check protocol {self.protocol!r} is not supported (HTTP only)")
        if not self.path.startswith("/"):
            raise ValueError(f"health check path must start with '/': {self.path!r}")
        if self.port != "traffic-port" and not (isinstance(self.port, int) and 0 < self.port < 65536):
            raise ValueError(f"health check port must be 'traffic-port' or 1-65535: {self.port!r}")
        if self.interval_s <= 0 or self.timeout_s <= 0:
            raise ValueError("health check interval and timeout must be positive")
        if self.healthy_threshold < 1 or self.unhealthy_threshold < 1:
            raise ValueError("health check thresholds must be at least 1")
        object.__setattr__(self, "codes", parse_matcher(self.matcher))

    def matches(self, status: int) -> bool:
        return any(first <= status <= last for first, last in self.codes)


@dataclass(frozen=True)
class TargetHealth:
    """One row of DescribeTargetHealth: `reason` and `description` are None when healthy."""

    host: str
    port: int
    state: str
    reason: str | None = None
    description: str | None = None
