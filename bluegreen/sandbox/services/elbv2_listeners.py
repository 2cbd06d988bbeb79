"""Where a load balancer lives on this machine, and its listeners' proxies.

AWS answers a load balancer's ``DNSName`` with a name that resolves to its nodes. The sandbox
answers an address of its own in 127.0.0.0/8 instead: an IP literal is a name every HTTP client
accepts without any DNS setup, and each load balancer having its own address lets every listener
bind the port it was created with (two stacks can both have a listener on port 80). Addresses are
drawn at random from 127.64.0.0/10 (four million of them), so sandboxes running side by side do
not pick the same one; an address this process already gave, or that cannot be bound (systems
that route only 127.0.0.1), is skipped. Where no such address binds at all, 127.0.0.1 is the
fallback and listeners take whatever port is free.

A listener's proxy binds (address, port). A port below 1024 that needs privileges the sandbox
lacks is bound as port + 10000 instead, and a port already taken as any free port; both are
logged, reported by :meth:`ListenerProxies.address`, and listed in the sandbox's health answer
(``listeners``: ``"dns:port" -> "host:real port"``) only where the two differ.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import random
import socket
import threading
from dataclasses import dataclass
from typing import Any

from ..dataplane.lazy import LazyDataPlane

log = logging.getLogger("bluegreen.sandbox.elbv2")

ADDRESS_RANGE = ipaddress.ip_network("127.64.0.0/10")
FALLBACK_ADDRESS = "127.0.0.1"
PRIVILEGED_SHIFT = 10000  # a port < 1024 the sandbox may not bind is bound this much higher
_TRIES = 32


def _bindable(host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class ListenerAddress:
    load_balancer_arn: str
    dns: tuple[str, int]  # what the API says: the load balancer's DNSName and the listener's port
    real: tuple[str, int]  # where the proxy really listens


class ListenerProxies:
    def __init__(self, plane: LazyDataPlane, info: dict[str, Any], rng: random.Random | None = None) -> None:
        """``info`` is the router's health answer; its ``listeners`` entry is kept current."""
        self.plane = plane
        self.info = info
        self.info["listeners"] = {}  # the key exists from the start: readers never see it appear
        self._rng = rng or random.SystemRandom()
        self._lock = threading.Lock()
        self._balancers: dict[str, str] = {}  # load balancer ARN -> its address
        self._listeners: dict[str, ListenerAddress] = {}

    # --- load balancers ------------------------------------------------------------------------

    def new_address(self, load_balancer_arn: str) -> str:
        with self._lock:
            taken = set(self._balancers.values())
        first = int(ADDRESS_RANGE.network_address) + 1
        size = ADDRESS_RANGE.num_addresses - 2
        chosen = FALLBACK_ADDRESS
        for _ in range(_TRIES):
            candidate = str(ipaddress.ip_address(first + self._rng.randrange(size)))
            if candidate not in taken and _bindable(candidate):
                chosen = candidate
                break
        else:
            log.warning("no address of %s can be bound here: load balancers share %s", ADDRESS_RANGE, FALLBACK_ADDRESS)
        with self._lock:
            self._balancers[load_balancer_arn] = chosen
        return chosen

    def address_of(self, load_balancer_arn: str) -> str | None:
        with self._lock:
            return self._balancers.get(load_balancer_arn)

    def listeners_of(self, load_balancer_arn: str) -> list[str]:
        with self._lock:
            return [arn for arn, a in self._listeners.items() if a.load_balancer_arn == load_balancer_arn]

    def forget_balancer(self, load_balancer_arn: str) -> None:
        for listener in self.listeners_of(load_balancer_arn):
            self.close(listener)
        with self._lock:
            self._balancers.pop(load_balancer_arn, None)

    # --- listeners -----------------------------------------------------------------------------

    def open(self, listener_arn: str, load_balancer_arn: str, port: int) -> tuple[str, int]:
        host = self.address_of(load_balancer_arn) or FALLBACK_ADDRESS
        real = self._bind(listener_arn, host, port)
        with self._lock:
            self._listeners[listener_arn] = ListenerAddress(load_balancer_arn, (host, port), real)
        self._publish()
        return real

    def _bind(self, listener_arn: str, host: str, port: int) -> tuple[str, int]:
        try:
            return self.plane.open_listener(listener_arn, host, port)
        except PermissionError:
            if port >= 1024:
                raise
            shifted = port + PRIVILEGED_SHIFT
            log.warning("listener %s: binding %s:%d needs privileges; bound %s:%d instead",
                        listener_arn, host, port, host, shifted)
            try:
                return self.plane.open_listener(listener_arn, host, shifted)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
        real = self.plane.open_listener(listener_arn, host, 0)
        log.warning("listener %s: %s:%d is taken; bound %s:%d instead", listener_arn, host, port, *real)
        return real

    def close(self, listener_arn: str) -> None:
        with self._lock:
            known = self._listeners.pop(listener_arn, None)
        if known is None:
            return
        with contextlib.suppress(KeyError):  # the data plane never opened it
            self.plane.close_listener(listener_arn)
        self._publish()

    def address(self, listener_arn: str) -> tuple[str, int]:
        """Where the listener's proxy really listens; KeyError for a listener with no proxy."""
        with self._lock:
            return self._listeners[listener_arn].real

    def dns_port(self, listener_arn: str) -> tuple[str, int] | None:
        with self._lock:
            found = self._listeners.get(listener_arn)
            return found.dns if found else None

    def _publish(self) -> None:
        """The health answer's ``listeners``: replaced whole, so a reader never sees it change
        under it."""
        with self._lock:
            moved = {f"{a.dns[0]}:{a.dns[1]}": f"{a.real[0]}:{a.real[1]}"
                     for a in self._listeners.values() if a.dns != a.real}
        self.info["listeners"] = moved
