"""The load balancer's data plane: per listener a reverse proxy on loopback, weighted target
groups, real HTTP health checks and connection draining. See docs/sandbox-dataplane.md.

`DataPlane` (and aiohttp with it) is imported on first use: a sandbox that serves no load
balancer never pays for it (see `lazy.LazyDataPlane`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import HealthCheck, TargetHealth

if TYPE_CHECKING:
    from .facade import DataPlane

__all__ = ["DataPlane", "HealthCheck", "TargetHealth"]


def __getattr__(name: str) -> Any:
    if name == "DataPlane":
        from .facade import DataPlane

        return DataPlane
    raise AttributeError(name)
