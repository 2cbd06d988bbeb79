"""Health check settings and ELBv2's health state machine, without a network."""

from __future__ import annotations

import pytest

from bluegreen.sandbox.dataplane import HealthCheck
from bluegreen.sandbox.dataplane.groups import Target, TargetGroup
from bluegreen.sandbox.dataplane.health import Failure, record, scaled_timing
from bluegreen.sandbox.dataplane.model import parse_matcher

MISMATCH = Failure("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
TIMEOUT = Failure("Target.Timeout", "Request timed out")


@pytest.mark.parametrize(("matcher", "ok", "not_ok"), [
    ("200", [200], [201, 302, 500]),
    ("200-299", [200, 204, 299], [199, 300]),
    ("200,302", [200, 302], [201, 301]),
    ("200-204, 404", [202, 404], [205, 403]),
])
def test_matcher_accepts_elbv2_codes_lists_and_ranges(matcher: str, ok: list[int], not_ok: list[int]) -> None:
    check = HealthCheck(matcher=matcher)
    assert all(check.matches(code) for code in ok)
    assert not any(check.matches(code) for code in not_ok)


@pytest.mark.parametrize("matcher", ["", "abc", "300-200", "200-", "99", "200,,302"])
def test_a_malformed_matcher_is_refused(matcher: str) -> None:
    with pytest.raises(ValueError):
        parse_matcher(matcher)


@pytest.mark.parametrize("bad", [dict(protocol="HTTPS"), dict(path="health"), dict(port="80"), dict(port=0),
                                 dict(interval_s=0), dict(healthy_threshold=0)])
def test_unsupported_or_invalid_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        HealthCheck(**bad)  # type: ignore[arg-type]


def test_defaults_are_elbv2s_for_ip_targets() -> None:
    check = HealthCheck()
    assert (check.path, check.port, check.matcher, check.interval_s, check.timeout_s,
            check.healthy_threshold, check.unhealthy_threshold) == ("/", "traffic-port", "200", 30, 5, 5, 2)


def in_use_target(health: HealthCheck) -> Target:
    group = TargetGroup("g", health, 0)
    group.in_use = True
    target = group.add(("127.0.0.1", 8080))
    assert target is not None
    return target


def test_a_new_target_is_healthy_after_its_first_passed_check() -> None:
    health = HealthCheck(healthy_threshold=5, unhealthy_threshold=3)
    target = in_use_target(health)
    assert (target.state, target.reason, target.description) == (
        "initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    assert record(target, None, health)
    assert (target.state, target.reason, target.description) == ("healthy", None, None)


def test_a_new_target_failing_stays_initial_until_the_unhealthy_threshold() -> None:
    health = HealthCheck(unhealthy_threshold=3)
    target = in_use_target(health)
    record(target, TIMEOUT, health)
    record(target, TIMEOUT, health)
    assert (target.state, target.reason, target.description) == (
        "initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
    assert record(target, MISMATCH, health)
    assert (target.state, target.reason, target.description) == (
        "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")


def test_thresholds_count_consecutive_results_only() -> None:
    health = HealthCheck(healthy_threshold=3, unhealthy_threshold=2)
    target = in_use_target(health)
    record(target, None, health)
    for result in (MISMATCH, None, MISMATCH):  # never two failures in a row
        record(target, result, health)
    assert target.state == "healthy"
    record(target, MISMATCH, health)
    assert target.state == "unhealthy"
    for result in (None, None, TIMEOUT, None, None):  # the timeout restarts the count
        record(target, result, health)
    assert (target.state, target.reason) == ("unhealthy", "Target.Timeout")
    assert record(target, None, health)
    assert (target.state, target.reason) == ("healthy", None)


def test_time_scale_divides_the_interval_and_the_timeout_down_to_a_floor() -> None:
    assert scaled_timing(HealthCheck(interval_s=30, timeout_s=5), 1) == (30, 5)
    assert scaled_timing(HealthCheck(interval_s=30, timeout_s=10), 5) == (6, 2)
    assert scaled_timing(HealthCheck(interval_s=30, timeout_s=5), 60) == (0.5, 1.0)
