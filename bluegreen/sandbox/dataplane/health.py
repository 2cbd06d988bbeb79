"""Health checks: an HTTP GET to each target of a group in use, at the group's interval, and
ELBv2's state machine over the consecutive results.

The first check after registration decides at once when it passes (AWS: "After your target is
registered, it must pass one health check to be considered healthy"); after that, HealthyThreshold
consecutive passes bring an unhealthy target back and UnhealthyThreshold consecutive failures take a
target out. docs/sandbox-dataplane.md has the sources and what AWS leaves open.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from .groups import Target, TargetGroup
from .model import (
    DESCRIPTIONS,
    FAILED_HEALTH_CHECKS,
    HEALTHY,
    INITIAL,
    INITIAL_HEALTH_CHECKING,
    INTERNAL_ERROR,
    RESPONSE_CODE_MISMATCH,
    TIMEOUT,
    UNHEALTHY,
    HealthCheck,
    code_mismatch,
)

# The header AWS's checker sends, so that a target's logs can tell checks from traffic.
USER_AGENT = "ELB-HealthChecker/2.0"
# A scaled timeout is never shorter than this (or the unscaled timeout, if shorter): at time scale 60
# the default 5 s would be 83 ms, and a loaded 2-core machine answers slower than that now and then,
# which would turn healthy targets unhealthy at random.
MIN_SCALED_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Failure:
    reason: str
    description: str


def record(target: Target, failure: Failure | None, health: HealthCheck) -> bool:
    """Apply one check's result (None: it passed) to `target`; True when its state changed."""
    before = target.state
    if failure is None:
        target.fails = 0
        target.passes += 1
        if before == INITIAL or (before == UNHEALTHY and target.passes >= health.healthy_threshold):
            target.set(HEALTHY)
        return target.state != before
    target.passes = 0
    target.fails += 1
    if target.fails >= health.unhealthy_threshold:
        target.set(UNHEALTHY, failure.reason, failure.description)
    elif before == INITIAL:
        target.set(INITIAL, INITIAL_HEALTH_CHECKING)
    elif before == UNHEALTHY:  # still unhealthy: the reason is the latest failure's
        target.set(UNHEALTHY, failure.reason, failure.description)
    return target.state != before


def scaled_timing(health: HealthCheck, time_scale: float) -> tuple[float, float]:
    """(interval, timeout) in real seconds at `time_scale`."""
    timeout = max(health.timeout_s / time_scale, min(health.timeout_s, MIN_SCALED_TIMEOUT_S))
    return health.interval_s / time_scale, timeout


async def probe(session: aiohttp.ClientSession, target: Target, health: HealthCheck, timeout: float) -> Failure | None:
    port = target.port if health.port == "traffic-port" else health.port
    url = f"http://{target.host}:{port}{health.path}"
    try:
        async with session.get(url, allow_redirects=False, headers={"User-Agent": USER_AGENT},
                               timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            status = response.status
    except TimeoutError:  # aiohttp's connect and read timeouts are TimeoutErrors too
        return Failure(TIMEOUT, DESCRIPTIONS[TIMEOUT])
    except (aiohttp.ClientError, OSError):  # refused, reset, malformed answer
        return Failure(FAILED_HEALTH_CHECKS, DESCRIPTIONS[FAILED_HEALTH_CHECKS])
    except Exception:  # a bug of ours must not stop the checks: AWS's word for it
        return Failure(INTERNAL_ERROR, DESCRIPTIONS[INTERNAL_ERROR])
    if health.matches(status):
        return None
    return Failure(RESPONSE_CODE_MISMATCH, code_mismatch(status))


async def watch(session: aiohttp.ClientSession, group: TargetGroup, target: Target, time_scale: float) -> None:
    """Check `target` until cancelled. Fixed rate, as AWS documents: the time a target takes to
    answer does not move the next check (unless the check outlasts the interval)."""
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    while True:
        health = group.health  # read each round: configure_group may change it
        interval, timeout = scaled_timing(health, time_scale)
        failure = await probe(session, target, health, timeout)
        if record(target, failure, health):
            group.changed()
        next_at = max(next_at + interval, loop.time())
        await asyncio.sleep(next_at - loop.time())
