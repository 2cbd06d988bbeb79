"""The load balancer's data plane: per listener a reverse proxy on loopback, weighted target
groups, real HTTP health checks and connection draining. See docs/sandbox-dataplane.md."""

from .facade import DataPlane
from .model import HealthCheck, TargetHealth

__all__ = ["DataPlane", "HealthCheck", "TargetHealth"]
