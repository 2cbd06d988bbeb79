"""Target groups: which targets are registered, which are draining, and which one gets the next
request. Only the event loop touches these objects."""

from __future__ import annotations

import asyncio

from .model import (
    DEREGISTRATION_IN_PROGRESS,
    DESCRIPTIONS,
    DRAINING,
    HEALTHY,
    INITIAL,
    NOT_IN_USE,
    NOT_REGISTERED,
    REGISTRATION_IN_PROGRESS,
    UNHEALTHY,
    UNUSED,
    HealthCheck,
    TargetHealth,
)

Address = tuple[str, int]


class Target:
    __slots__ = ("base", "checker", "cut", "description", "drain_timer", "fails", "host", "passes", "port",
                 "reason", "requests", "state")

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.base = f"http://{host}:{port}"  # the proxy appends the request's path to it
        self.state = UNUSED
        self.reason: str | None = NOT_IN_USE
        self.description: str | None = DESCRIPTIONS[NOT_IN_USE]
        self.passes = 0  # consecutive passed health checks
        self.fails = 0  # consecutive failed health checks
        # The proxy's requests in flight to this target: the deregistration delay ends them.
        self.requests: set[asyncio.Task[object]] = set()
        self.cut = False  # set when the deregistration delay ran out with requests in flight
        self.checker: asyncio.Task[None] | None = None
        self.drain_timer: asyncio.TimerHandle | None = None

    def set(self, state: str, reason: str | None = None, description: str | None = None) -> None:
        self.state = state
        self.reason = reason
        self.description = description if description is not None or reason is None else DESCRIPTIONS[reason]

    def report(self) -> TargetHealth:
        return TargetHealth(self.host, self.port, self.state, self.reason, self.description)


class TargetGroup:
    def __init__(self, group_id: str, health: HealthCheck, deregistration_delay_s: float) -> None:
        self.id = group_id
        self.health = health
        self.deregistration_delay_s = deregistration_delay_s
        self.targets: dict[Address, Target] = {}  # registered, in registration order
        self.draining: dict[Address, Target] = {}
        self.in_use = False  # a listener forwards to this group (else its targets are `unused`)
        self._routable: list[Target] | None = None  # cache, dropped on every change
        self._next = 0

    def changed(self) -> None:
        self._routable = None

    def reset_states(self) -> None:
        """The group came into use (targets start their initial health checks) or went out of it."""
        for target in self.targets.values():
            target.passes = target.fails = 0
            if self.in_use:
                target.set(INITIAL, REGISTRATION_IN_PROGRESS)
            else:
                target.set(UNUSED, NOT_IN_USE)
        self.changed()

    def add(self, address: Address) -> Target | None:
        """Register `address`; the new (or re-registered draining) target, None if already registered."""
        if address in self.targets:
            return None
        target = self.draining.pop(address, None) or Target(*address)
        if target.drain_timer is not None:
            target.drain_timer.cancel()
            target.drain_timer = None
        target.passes = target.fails = 0
        if self.in_use:
            target.set(INITIAL, REGISTRATION_IN_PROGRESS)
        else:
            target.set(UNUSED, NOT_IN_USE)
        self.targets[address] = target
        self.changed()
        return target

    def remove(self, address: Address) -> Target | None:
        """Deregister `address`: it gets no new request from now on and is shown draining."""
        target = self.targets.pop(address, None)
        if target is None:
            return None
        target.set(DRAINING, DEREGISTRATION_IN_PROGRESS)
        self.draining[address] = target
        self.changed()
        return target

    def pick(self, avoid: Target | None = None) -> Target | None:
        """Round robin over the healthy targets; when none is healthy but some are unhealthy, over
        the unhealthy ones (ALB "fails open"); None when only initial targets (or none) remain."""
        routable = self._routable
        if routable is None:
            routable = [t for t in self.targets.values() if t.state == HEALTHY]
            if not routable:
                routable = [t for t in self.targets.values() if t.state == UNHEALTHY]
            self._routable = routable
        if avoid is not None:
            routable = [t for t in routable if t is not avoid]
        if not routable:
            return None
        self._next += 1
        return routable[self._next % len(routable)]

    def report(self, addresses: list[Address] | None) -> list[TargetHealth]:
        if addresses is None:
            return [t.report() for t in (*self.targets.values(), *self.draining.values())]
        rows = []
        for host, port in addresses:
            target = self.targets.get((host, port)) or self.draining.get((host, port))
            rows.append(target.report() if target else
                        TargetHealth(host, port, UNUSED, NOT_REGISTERED, DESCRIPTIONS[NOT_REGISTERED]))
        return rows
