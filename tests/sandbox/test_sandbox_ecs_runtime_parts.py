"""The ECS emulation's pure parts: task addresses, the computed desired count, the event texts."""

from __future__ import annotations

import ipaddress
import random

import pytest

from bluegreen.sandbox.ecs import AddressMap, NoFreeAddress
from bluegreen.sandbox.ecs import events as E
from bluegreen.sandbox.ecs.model import ACTIVE, DRAINING, PRIMARY, ServiceRecord, TaskSetRecord


def test_addresses_come_from_the_subnet_skip_what_aws_reserves_and_never_repeat() -> None:
    addresses = AddressMap(random.Random(7))
    cidr = "10.0.1.0/29"  # 8 addresses: AWS keeps .0-.3 and .7, leaving .4, .5, .6
    given = {addresses.allocate(cidr, taken={"10.0.1.5"}) for _ in range(2)}
    assert given == {"10.0.1.4", "10.0.1.6"}
    with pytest.raises(NoFreeAddress):
        addresses.allocate(cidr, taken={"10.0.1.5"})
    addresses.release("10.0.1.4")
    assert addresses.allocate(cidr, taken={"10.0.1.5"}) == "10.0.1.4"

    wide = AddressMap()
    picked = {wide.allocate("172.31.0.0/20") for _ in range(200)}
    assert len(picked) == 200
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("172.31.0.0/20") for ip in picked)


def test_the_map_translates_both_ways_and_remembers_a_gone_task_for_its_draining_row() -> None:
    addresses = AddressMap()
    ip = addresses.allocate("10.0.0.0/24")
    addresses.bind((ip, 80), ("127.0.0.1", 32768))
    assert addresses.real((ip, 80)) == ("127.0.0.1", 32768)
    assert addresses.registered(("127.0.0.1", 32768)) == (ip, 80)

    addresses.release(ip)
    assert addresses.real((ip, 80)) is None
    assert addresses.registered(("127.0.0.1", 32768)) == (ip, 80)
    assert addresses.registered(("127.0.0.1", 1)) is None


def _task_set(desired: int, scale: float, status: str = PRIMARY) -> TaskSetRecord:
    service = ServiceRecord("us-east-1", "web", "arn:svc", "c", "arn:c", desired, "FARGATE", None, None, [])
    return TaskSetRecord("ecs-svc/1", "arn:ts", service, "arn:td", [], status, scale)


@pytest.mark.parametrize(("desired", "scale", "computed"), [(1, 100, 1), (3, 50, 2), (1, 10, 1), (4, 0, 0),
                                                            (10, 33.3, 4)])
def test_the_computed_desired_count_rounds_up(desired: int, scale: float, computed: int) -> None:
    assert _task_set(desired, scale).computed_desired == computed


def test_a_draining_task_set_or_service_wants_no_task() -> None:
    assert _task_set(2, 100, DRAINING).computed_desired == 0
    task_set = _task_set(2, 100)
    task_set.service.status = DRAINING
    assert task_set.computed_desired == 0
    task_set.service.status = ACTIVE
    assert task_set.computed_desired == 2


def test_event_texts_are_ecs_own() -> None:
    task_set = _task_set(1, 100)
    service = task_set.service
    assert E.started(service, task_set, ["a", "b"]) == "(service web, taskSet ecs-svc/1) has started 2 tasks: (task a) (task b)."
    assert E.stopped(service, ["a"]) == "(service web) has stopped 1 running tasks: (task a)."
    assert E.registered(service, 1, "arn:tg") == "(service web) registered 1 targets in (target-group arn:tg)"
    assert E.draining(service, task_set, 1) == "(service web, taskSet ecs-svc/1) has begun draining connections on 1 tasks."
    assert E.steady_state(service) == "(service web) has reached a steady state."
    for n in range(120):
        E.record(service, f"event {n}")
    assert len(service.events) == E.MAX_EVENTS and service.events[0]["message"] == "event 119"
