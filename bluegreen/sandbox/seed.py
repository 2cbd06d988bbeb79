"""Regions seeded on first use.

The sandbox's own region is seeded at start; every other region when the first request for it
arrives (:class:`RegionSeeder`, called by the router with the region of the SigV4 credential
scope), so a client configured for another region sees the same realistic default VPC. What a
region is seeded with is EC2's business: :func:`bluegreen.sandbox.services.ec2.seed_network`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from .clients import MotoClients
from .services.ec2 import SeedResult, seed_network

log = logging.getLogger("bluegreen.sandbox.seed")

_REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")


class RegionSeeder:
    """Seeds each region once, the first time a request names it.

    ``ensure(region)`` is cheap once the region is seeded (a set lookup); the first callers for a
    region wait while one of them seeds it, so no request sees a half-seeded region. A region
    whose seeding fails is logged and not tried again (the request still goes on)."""

    def __init__(self, make_clients: Callable[[str], MotoClients]) -> None:
        self._make_clients = make_clients
        self.results: dict[str, SeedResult] = {}
        self._done: set[str] = set()
        self._lock = threading.Lock()
        self._region_locks: dict[str, threading.Lock] = {}
        self._clients: list[MotoClients] = []

    def mark(self, region: str, result: SeedResult | None) -> None:
        """Record a region seeded elsewhere (the sandbox's own, at start)."""
        with self._lock:
            if result is not None:
                self.results[region] = result
            self._done.add(region)

    def ensure(self, region: str) -> SeedResult | None:
        if region in self._done:
            return self.results.get(region)
        if not _REGION_RE.match(region):
            return None
        with self._lock:
            lock = self._region_locks.setdefault(region, threading.Lock())
        with lock:
            if region in self._done:
                return self.results.get(region)
            clients = self._make_clients(region)
            with self._lock:
                self._clients.append(clients)
            try:
                result = seed_network(clients)
            except Exception:
                log.warning("could not seed region %s", region, exc_info=True)
                result = None
            self.mark(region, result)
            return result

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for c in clients:
            c.close()
