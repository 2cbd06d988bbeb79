"""Task addresses: the private IP a task reports, and where it really answers.

On AWS an ``awsvpc`` task gets an elastic network interface with a private IP from its subnet,
and the service registers ``(that IP, containerPort)`` in an ``ip`` target group. In the sandbox
the container's port is published on ``127.0.0.1:<host port>``; nothing listens on the private
IP. This map is the one place that knows both: ECS allocates and binds addresses here, and the
ELBv2 wiring translates every target it hands to the data plane (registered -> real) and every
row it reports (real -> registered), so the API shows AWS's addresses and the proxy reaches the
container.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from collections.abc import Iterable

Address = tuple[str, int]

# AWS keeps the first four addresses of every subnet and the last one (network, VPC router,
# DNS, future use, broadcast): a task never gets them.
_RESERVED_LOW = 4
_RESERVED_HIGH = 1


class NoFreeAddress(Exception):
    """The subnet has no free address left (ECS: the task cannot be placed)."""


class AddressMap:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = rng or random.Random()
        self._in_use: set[str] = set()
        self._real: dict[Address, Address] = {}  # registered (private IP, containerPort) -> real
        # real -> registered. Kept after a task goes (until its host port is bound again): the
        # data plane shows a deregistered target as draining for a while, and that row must
        # still read as the task's address.
        self._registered: dict[Address, Address] = {}

    def allocate(self, cidr: str, taken: Iterable[str] = ()) -> str:
        """A free private IP of the subnet, at random among the usable ones (AWS does not say
        how it picks one), unique among the sandbox's tasks and ``taken`` (other interfaces)."""
        network = ipaddress.ip_network(cidr, strict=False)
        first = int(network.network_address) + _RESERVED_LOW
        last = int(network.broadcast_address) - _RESERVED_HIGH
        if last < first:
            raise NoFreeAddress(f"subnet {cidr} has no usable address")
        busy = set(taken)
        with self._lock:
            busy |= self._in_use
            size = last - first + 1
            # random probes first (subnets are large and mostly free), then an exhaustive walk
            for _ in range(min(64, size)):
                candidate = str(ipaddress.ip_address(first + self._rng.randrange(size)))
                if candidate not in busy:
                    self._in_use.add(candidate)
                    return candidate
            for value in range(first, last + 1):
                candidate = str(ipaddress.ip_address(value))
                if candidate not in busy:
                    self._in_use.add(candidate)
                    return candidate
        raise NoFreeAddress(f"no free address left in subnet {cidr}")

    def release(self, ip: str) -> None:
        """The task is gone: its IP may be given again, and its ports no longer lead anywhere."""
        with self._lock:
            self._in_use.discard(ip)
            for registered in [a for a in self._real if a[0] == ip]:
                del self._real[registered]

    def bind(self, registered: Address, real: Address) -> None:
        with self._lock:
            self._real[registered] = real
            self._registered[real] = registered

    def real(self, registered: Address) -> Address | None:
        """Where a registered target really answers; None when no task has that address."""
        with self._lock:
            return self._real.get(registered)

    def registered(self, real: Address) -> Address | None:
        """The address a task registered for a real one; None for an address no task had."""
        with self._lock:
            return self._registered.get(real)
