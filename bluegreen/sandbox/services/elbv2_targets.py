"""Target groups between moto's ELBv2 state and the load balancer data plane.

moto keeps what the API shows (a group's settings, its registered targets); the data plane
health checks the targets and forwards to them. A target is registered in both, translated on
the way: a task's ``(private IP, containerPort)`` becomes the loopback address its container
port is published on (:class:`bluegreen.sandbox.ecs.AddressMap`), a loopback target stays as it
is, and anything else cannot be reached from the sandbox: it is kept in moto (the API accepts
it, as AWS does) and reported unhealthy with a description that says why.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
from dataclasses import dataclass
from typing import Any

from ..dataplane.lazy import LazyDataPlane
from ..dataplane.model import FAILED_HEALTH_CHECKS, HEALTHY, NOT_REGISTERED, UNHEALTHY, UNUSED, HealthCheck
from ..ecs.addresses import Address, AddressMap
from .common import moto_backend

log = logging.getLogger("bluegreen.sandbox.elbv2")

DEFAULT_DEREGISTRATION_DELAY_S = 300.0  # ELBv2's default deregistration_delay.timeout_seconds
_HTTP = ("HTTP", "HTTPS")


@dataclass(frozen=True)
class HealthRow:
    """One TargetHealthDescription."""

    id: str
    port: int
    health_check_port: str
    state: str
    reason: str | None = None
    description: str | None = None


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unreachable_description(host: str) -> str:
    return (f"Health checks failed: the sandbox cannot reach {host} (it reaches loopback addresses "
            "and the addresses of its own tasks only)")


class LoadBalancerTargets:
    def __init__(self, account_id: str, plane: LazyDataPlane, addresses: AddressMap) -> None:
        self.account_id = account_id
        self.plane = plane
        self.addresses = addresses
        self._lock = threading.Lock()
        self._groups: set[str] = set()  # groups the data plane knows
        self._unreachable: dict[str, set[Address]] = {}  # group -> registered targets it cannot reach

    # --- moto's side -----------------------------------------------------------------------------

    def _backend(self, arn: str) -> Any:
        return moto_backend("elbv2", self.account_id, region_of(arn))

    def _group(self, arn: str) -> Any:
        group = self._backend(arn).target_groups.get(arn)
        if group is None:
            raise KeyError(f"no target group {arn}")
        return group

    # --- groups ----------------------------------------------------------------------------------

    def sync_group(self, arn: str) -> None:
        """Give the data plane the group's health check and deregistration delay (creation and
        every change of them). Only HTTP(S) groups of ``ip`` or ``instance`` targets: the data
        plane is an HTTP proxy, and a Lambda or ALB target is nothing it could check."""
        group = self._group(arn)
        if group.protocol not in _HTTP or group.target_type not in ("ip", "instance"):
            return
        self.plane.configure_group(arn, _health_check(group), self._delay(group))
        with self._lock:
            self._groups.add(arn)

    def forget_group(self, arn: str) -> None:
        with self._lock:
            known = arn in self._groups
            self._groups.discard(arn)
            self._unreachable.pop(arn, None)
        if known:
            try:
                self.plane.delete_group(arn)
            except (KeyError, ValueError) as exc:
                log.debug("data plane kept group %s: %s", arn, exc)

    def knows(self, arn: str) -> bool:
        with self._lock:
            return arn in self._groups

    def ensure(self, arn: str) -> bool:
        """Does the data plane serve the group (configured now if moto has it and it was not)?"""
        if not self.knows(arn):
            self.sync_group(arn)
        return self.knows(arn)

    def deregistration_delay_s(self, arn: str) -> float:
        try:
            return self._delay(self._group(arn))
        except KeyError:
            return 0.0

    @staticmethod
    def _delay(group: Any) -> float:
        try:
            return float(group.attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY_S))
        except (TypeError, ValueError):
            return DEFAULT_DEREGISTRATION_DELAY_S

    # --- targets -----------------------------------------------------------------------------

    def _real(self, target: Address) -> Address | None:
        real = self.addresses.real(target)
        if real is not None:
            return real
        return target if is_loopback(target[0]) else None

    def register(self, arn: str, targets: list[Address], *, in_moto: bool = True) -> None:
        """Register in moto (unless the API call already did) and in the data plane."""
        if in_moto:
            self._backend(arn).register_targets(arn, [{"Id": ip, "Port": port} for ip, port in targets])
        if not self.ensure(arn):
            return
        reachable = []
        with self._lock:
            for target in targets:
                real = self._real(target)
                if real is None:
                    self._unreachable.setdefault(arn, set()).add(target)
                else:
                    self._unreachable.get(arn, set()).discard(target)
                    reachable.append(real)
        if reachable:
            self.plane.register(arn, reachable)

    def deregister(self, arn: str, targets: list[Address], *, in_moto: bool = True) -> None:
        """Leave moto (unless the API call already did) and the data plane, where the targets
        drain. The data plane is told even when moto refuses: a task must stop receiving."""
        refused: Exception | None = None
        if in_moto:
            try:
                self._backend(arn).deregister_targets(arn, [{"Id": ip, "Port": port} for ip, port in targets])
            except Exception as exc:
                refused = exc
        self._leave_plane(arn, targets)
        if refused is not None:
            raise refused

    def _leave_plane(self, arn: str, targets: list[Address]) -> None:
        if not self.knows(arn):
            return
        reals = []
        with self._lock:
            for target in targets:
                self._unreachable.get(arn, set()).discard(target)
                real = self._real(target)
                if real is not None:
                    reals.append(real)
        if reals:
            with contextlib.suppress(KeyError):  # the group went from the data plane meanwhile
                self.plane.deregister(arn, reals)

    def healthy(self, arn: str, targets: list[Address]) -> set[Address]:
        """The ones among ``targets`` (registered addresses) the data plane finds healthy."""
        return {(row.id, row.port) for row in self.health(arn, targets) or [] if row.state == HEALTHY}

    def health(self, arn: str, targets: list[Address] | None) -> list[HealthRow] | None:
        """DescribeTargetHealth's rows, in registered addresses; None for a group the data plane
        does not serve (moto's answer stands)."""
        if not self.knows(arn):
            return None
        group = self._group(arn)
        check_port = str(group.health_check_port or "traffic-port")
        if targets is None:
            wanted = [(str(t["Id"]), int(t.get("Port") or group.port)) for t in list(group.targets.values())]
            reported = self.plane.target_health(arn)
        else:
            wanted = list(targets)
            reported = self.plane.target_health(arn, [r for r in (self._real(t) for t in wanted) if r is not None])
        by_real = {(row.host, row.port): row for row in reported}
        with self._lock:
            unreachable = set(self._unreachable.get(arn, set()))
        rows: list[HealthRow] = []
        shown: set[Address] = set()
        for target in wanted:
            real = self._real(target)
            port_shown = str(target[1]) if check_port == "traffic-port" else check_port
            if real is not None and real in by_real:
                row = by_real[real]
                rows.append(HealthRow(target[0], target[1], port_shown, row.state, row.reason, row.description))
                shown.add(real)
            elif target in unreachable:
                rows.append(HealthRow(target[0], target[1], port_shown, UNHEALTHY, FAILED_HEALTH_CHECKS,
                                      unreachable_description(target[0])))
            else:
                rows.append(HealthRow(target[0], target[1], port_shown, UNUSED, NOT_REGISTERED,
                                      "Target is not registered to the target group"))
        if targets is None:  # draining targets are no longer in moto's list, but AWS shows them
            for real, row in by_real.items():
                if real in shown:
                    continue
                target = self.addresses.registered(real) or real
                port_shown = str(target[1]) if check_port == "traffic-port" else check_port
                rows.append(HealthRow(target[0], target[1], port_shown, row.state, row.reason, row.description))
        return rows


def _health_check(group: Any) -> HealthCheck:
    """The group's settings as the data plane takes them (its HTTP checks serve HTTPS groups
    too: the sandbox's containers speak plain HTTP)."""
    port = group.health_check_port or "traffic-port"
    matcher = (group.matcher or {}).get("HttpCode") if isinstance(getattr(group, "matcher", None), dict) else None
    settings: dict[str, Any] = {
        "path": group.health_check_path or "/",
        "port": "traffic-port" if str(port) == "traffic-port" else int(port),
        "matcher": str(matcher or "200"),
        "interval_s": float(group.health_check_interval_seconds or 30),
        "timeout_s": float(group.health_check_timeout_seconds or 5),
        "healthy_threshold": int(group.healthy_threshold_count or 5),
        "unhealthy_threshold": int(group.unhealthy_threshold_count or 2),
    }
    try:
        return HealthCheck(**settings)
    except ValueError as exc:  # a matcher or path ELBv2 would have refused: the defaults
        log.info("target group %s: health check %s not usable (%s); using the defaults", group.arn, settings, exc)
        return HealthCheck()
