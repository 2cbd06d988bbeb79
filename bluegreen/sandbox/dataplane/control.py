"""The data plane's state and every change to it. Runs on the event loop only (the facade hands
each call over), so nothing here needs a lock: a request sees a change entirely or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aiohttp

from .groups import Address, Target, TargetGroup
from .health import USER_AGENT, watch
from .model import MAX_WEIGHT, HealthCheck, TargetHealth
from .proxy import Listener

# How long close_listener() and stop() let requests in flight finish before cutting them (aiohttp
# waits this long twice: for the requests to end, then for them to end once cancelled).
CLOSE_GRACE_S = 0.5


def _address(target: tuple[str, int]) -> Address:
    host, port = target
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"invalid target port {port!r}")
    return str(host), port


class Control:
    def __init__(self, time_scale: float, idle_timeout_s: float, connect_timeout_s: float) -> None:
        self.time_scale = time_scale
        self.idle_timeout_s = idle_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.groups: dict[str, TargetGroup] = {}
        self.listeners: dict[str, Listener] = {}
        self._proxy_session: aiohttp.ClientSession | None = None
        self._check_session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # Toward the targets: a keep-alive pool without a size limit; no cookie jar (one client's
        # cookies must never reach another's request); nothing added to or decoded from what
        # passes through. Timeouts are ALB's: connect 10 s (then 504), idle 60 s (then 504).
        self._proxy_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout_s,
                                          sock_read=self.idle_timeout_s),
            cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trust_env=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"))
        # Health checks: AWS closes the connection after each check.
        self._check_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=True), cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False, headers={"User-Agent": USER_AGENT})

    async def close(self) -> None:
        listeners = list(self.listeners.values())
        self.listeners.clear()
        await asyncio.gather(*(listener.close(CLOSE_GRACE_S) for listener in listeners))
        checks = [t.checker for g in self.groups.values() for t in (*g.targets.values(), *g.draining.values())
                  if t.checker is not None]
        for group in self.groups.values():
            self._retire(group)
        self.groups.clear()
        await asyncio.gather(*checks, return_exceptions=True)  # cancelled by _retire
        for session in (self._proxy_session, self._check_session):
            if session is not None:
                await session.close()

    # --- target groups -------------------------------------------------------------------------

    def _group(self, group_id: str) -> TargetGroup:
        try:
            return self.groups[group_id]
        except KeyError:
            raise KeyError(f"unknown target group {group_id!r}") from None

    async def configure_group(self, group_id: str, health: HealthCheck, deregistration_delay_s: float) -> None:
        if deregistration_delay_s < 0:
            raise ValueError("the deregistration delay cannot be negative")
        group = self.groups.get(group_id)
        if group is None:
            self.groups[group_id] = TargetGroup(group_id, health, deregistration_delay_s)
        else:  # ModifyTargetGroup: the running checks take the new settings at their next round
            group.health = health
            group.deregistration_delay_s = deregistration_delay_s

    async def delete_group(self, group_id: str) -> None:
        group = self._group(group_id)
        users = [listener.id for listener in self.listeners.values() if any(r.group is group for r in listener.routes)]
        if users:
            raise ValueError(f"target group {group_id!r} is in use by listener {users[0]!r}")
        self._retire(group)
        del self.groups[group_id]

    def _retire(self, group: TargetGroup) -> None:
        """Stop a group's checks and timers; requests in flight are left to finish."""
        for target in (*group.targets.values(), *group.draining.values()):
            self._stop_checks(target)
            if target.drain_timer is not None:
                target.drain_timer.cancel()
                target.drain_timer = None

    async def register(self, group_id: str, targets: Iterable[tuple[str, int]]) -> None:
        group = self._group(group_id)
        for address in [_address(t) for t in targets]:
            target = group.add(address)
            if target is not None and group.in_use:
                self._start_checks(group, target)

    async def deregister(self, group_id: str, targets: Iterable[tuple[str, int]]) -> None:
        group = self._group(group_id)
        delay = group.deregistration_delay_s / self.time_scale
        for address in [_address(t) for t in targets]:
            target = group.remove(address)
            if target is None:
                continue
            self._stop_checks(target)
            # AWS shows the target draining for the whole delay, even when its last request
            # ended earlier; then it is gone, and what is still in flight is cut.
            target.drain_timer = asyncio.get_running_loop().call_later(delay, self._drained, group, target)

    def _drained(self, group: TargetGroup, target: Target) -> None:
        target.drain_timer = None
        if group.draining.get((target.host, target.port)) is target:
            del group.draining[(target.host, target.port)]
        if target.requests:
            target.cut = True
            for task in list(target.requests):
                task.cancel()

    async def target_health(self, group_id: str, targets: Iterable[tuple[str, int]] | None) -> list[TargetHealth]:
        addresses = None if targets is None else [_address(t) for t in targets]
        return self._group(group_id).report(addresses)

    # --- health checks -------------------------------------------------------------------------

    def _start_checks(self, group: TargetGroup, target: Target) -> None:
        assert self._check_session is not None
        if target.checker is None:
            target.checker = asyncio.get_running_loop().create_task(
                watch(self._check_session, group, target, self.time_scale),
                name=f"health check {group.id} {target.host}:{target.port}")

    @staticmethod
    def _stop_checks(target: Target) -> None:
        if target.checker is not None:
            target.checker.cancel()
            target.checker = None

    def _update_use(self) -> None:
        """A group is in use while a listener forwards to it (weight 0 included): its targets are
        health checked; otherwise they are `unused` (Target.NotInUse) and not checked, as on AWS."""
        used = {id(route.group) for listener in self.listeners.values() for route in listener.routes}
        for group in self.groups.values():
            in_use = id(group) in used
            if in_use == group.in_use:
                continue
            group.in_use = in_use
            group.reset_states()
            for target in group.targets.values():
                if in_use:
                    self._start_checks(group, target)
                else:
                    self._stop_checks(target)

    # --- listeners -----------------------------------------------------------------------------

    def _listener(self, listener_id: str) -> Listener:
        try:
            return self.listeners[listener_id]
        except KeyError:
            raise KeyError(f"unknown listener {listener_id!r}") from None

    async def open_listener(self, listener_id: str, host: str, port: int) -> tuple[str, int]:
        if listener_id in self.listeners:
            raise ValueError(f"listener {listener_id!r} is already open")
        assert self._proxy_session is not None
        listener = Listener(listener_id, self._proxy_session, self.idle_timeout_s)
        bound = await listener.open(host, port)  # OSError (port taken...) goes to the caller
        self.listeners[listener_id] = listener
        return bound

    async def set_forward(self, listener_id: str, forward: Iterable[tuple[str, int]]) -> None:
        listener = self._listener(listener_id)
        routes = []
        for group_id, weight in forward:
            if not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
                raise ValueError(f"weight {weight!r} of {group_id!r} is outside 0-{MAX_WEIGHT}")
            routes.append((self._group(group_id), weight))
        if len({id(group) for group, _ in routes}) != len(routes):
            raise ValueError("a target group appears twice in one forward action")
        listener.set_routes(routes)
        self._update_use()

    async def forward_weights(self, listener_id: str) -> list[tuple[str, int]]:
        return [(route.group.id, route.weight) for route in self._listener(listener_id).routes]

    async def close_listener(self, listener_id: str) -> None:
        listener = self._listener(listener_id)
        del self.listeners[listener_id]
        self._update_use()
        await listener.close(CLOSE_GRACE_S)
