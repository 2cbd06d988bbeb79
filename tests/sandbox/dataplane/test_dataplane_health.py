"""Health checks over real HTTP: states and reasons as DescribeTargetHealth shows them, a group
that no listener uses, and the thresholds and matcher of the group."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from conftest import FAST, Backend, states, wait_for

from bluegreen.sandbox.dataplane import DataPlane, TargetHealth


def in_use(dp: DataPlane, group: str) -> None:
    dp.open_listener(f"listener-{group}")
    dp.set_forward(f"listener-{group}", [(group, 1)])


def test_a_group_no_listener_forwards_to_is_unused_and_not_checked(plane: DataPlane,
                                                                  backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    plane.configure_group("blue", FAST, 30)
    plane.register("blue", [blue.address])
    assert plane.target_health("blue") == [TargetHealth(
        "127.0.0.1", blue.port, "unused", "Target.NotInUse",
        "Target group is not configured to receive traffic from the load balancer")]
    plane.open_listener("listener")
    plane.set_forward("listener", [("blue", 0)])  # weight 0 still puts the group in use
    assert states(plane, "blue") == {blue.port: ("initial", "Elb.RegistrationInProgress")}
    wait_for(lambda: states(plane, "blue") == {blue.port: ("healthy", None)})
    assert blue.health_checks >= 1
    plane.close_listener("listener")
    assert states(plane, "blue") == {blue.port: ("unused", "Target.NotInUse")}
    checks = blue.health_checks
    plane.open_listener("other")  # a listener forwarding elsewhere does not use it
    plane.configure_group("green", FAST, 30)
    plane.set_forward("other", [("green", 1)])
    assert states(plane, "blue") == {blue.port: ("unused", "Target.NotInUse")}
    assert blue.health_checks <= checks + 1  # at most a check that was already under way


def test_unhealthy_after_the_threshold_with_the_code_then_healthy_again(plane: DataPlane,
                                                                        backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    plane.configure_group("blue", FAST, 30)
    plane.register("blue", [blue.address])
    in_use(plane, "blue")
    wait_for(lambda: states(plane, "blue")[blue.port][0] == "healthy")
    blue.health_status = 503
    wait_for(lambda: states(plane, "blue")[blue.port][0] == "unhealthy")
    (row,) = plane.target_health("blue")
    assert (row.reason, row.description) == ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [503]")
    blue.health_status = 200
    wait_for(lambda: states(plane, "blue")[blue.port] == ("healthy", None))
    assert plane.target_health("blue")[0].description is None


def test_the_matcher_decides_which_codes_pass(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    blue.health_status = green.health_status = 302
    plane.configure_group("strict", FAST, 30)  # matcher "200"
    plane.configure_group("lenient", dataclasses.replace(FAST, matcher="200,300-399"), 30)
    plane.register("strict", [blue.address])
    plane.register("lenient", [green.address])
    in_use(plane, "strict")
    in_use(plane, "lenient")
    wait_for(lambda: states(plane, "lenient")[green.port][0] == "healthy")
    wait_for(lambda: states(plane, "strict")[blue.port][0] == "unhealthy")
    assert plane.target_health("strict")[0].description == "Health checks failed with these codes: [302]"
    # ModifyTargetGroup: the new matcher applies from the next check, the target keeps its state
    plane.configure_group("strict", dataclasses.replace(FAST, matcher="302"), 30)
    wait_for(lambda: states(plane, "strict")[blue.port][0] == "healthy")


def test_a_target_that_is_not_listening_fails_and_one_that_hangs_times_out(
        plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    green.health_hangs = True
    plane.configure_group("tg", FAST, 30)
    plane.register("tg", [blue.address, green.address])
    in_use(plane, "tg")
    wait_for(lambda: states(plane, "tg")[blue.port][0] == "healthy")
    # a first check that times out leaves the target initial, still checking
    wait_for(lambda: states(plane, "tg")[green.port] == ("initial", "Elb.InitialHealthChecking"))
    blue.stop()
    wait_for(lambda: states(plane, "tg") == {blue.port: ("unhealthy", "Target.FailedHealthChecks"),
                                             green.port: ("unhealthy", "Target.Timeout")})
    descriptions = {h.port: h.description for h in plane.target_health("tg")}
    assert descriptions == {blue.port: "Health checks failed", green.port: "Request timed out"}


def test_asking_for_a_target_that_is_not_registered(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    plane.configure_group("tg", FAST, 30)
    plane.register("tg", [blue.address])
    assert plane.target_health("tg", [("127.0.0.1", 1), blue.address]) == [
        TargetHealth("127.0.0.1", 1, "unused", "Target.NotRegistered", "Target is not registered to the target group"),
        TargetHealth("127.0.0.1", blue.port, "unused", "Target.NotInUse",
                     "Target group is not configured to receive traffic from the load balancer"),
    ]
