"""No request fails during a weight shift or a deregistration: draining lets requests in flight
finish, and a request to a target that just went away is sent to another one."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading
from collections.abc import Callable

import aiohttp
from conftest import FAST, TIME_SCALE, Backend, healthy_group, serve, states, wait_for, wait_healthy

from bluegreen.sandbox.dataplane import DataPlane


def fetch_in_thread(url: str) -> tuple[threading.Thread, list[tuple[int, str]]]:
    """GET `url` on a thread; its (status, body) lands in the list."""
    import urllib.error
    import urllib.request

    result: list[tuple[int, str]] = []

    def run() -> None:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # loopback only
                result.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            result.append((error.code, error.read().decode()))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def fetch(url: str) -> tuple[int, str]:
    thread, result = fetch_in_thread(url)
    thread.join()
    return result[0]


def test_a_deregistered_target_drains_its_requests_in_flight(plane: DataPlane,
                                                             backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    delay = 3 * TIME_SCALE  # 3 s at the tests' time scale
    healthy_group(plane, "tg", [blue], delay_s=delay)
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    thread, result = fetch_in_thread(url + "/slow?s=0.5")
    wait_for(lambda: blue.served == 1)  # in flight on blue
    plane.register("tg", [green.address])
    wait_for(lambda: states(plane, "tg")[green.port][0] == "healthy")
    plane.deregister("tg", [blue.address])
    assert states(plane, "tg")[blue.port] == ("draining", "Target.DeregistrationInProgress")
    assert plane.target_health("tg", [blue.address])[0].description == "Target deregistration is in progress"
    served = blue.served
    assert [fetch(url + "/") for _ in range(20)] == [(200, "green")] * 20  # none to the draining target
    assert blue.served == served
    thread.join()
    assert result == [(200, "blue")]
    # AWS shows it draining for the whole delay, even when its last request is done
    assert states(plane, "tg")[blue.port][0] == "draining"
    wait_for(lambda: blue.port not in states(plane, "tg"))
    assert states(plane, "tg") == {green.port: ("healthy", None)}


def test_a_request_still_in_flight_when_the_delay_ends_gets_502(plane: DataPlane,
                                                                backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    healthy_group(plane, "tg", [blue], delay_s=0.2 * TIME_SCALE)
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    thread, result = fetch_in_thread(url + "/slow?s=5")
    wait_for(lambda: blue.served == 1)
    plane.deregister("tg", [blue.address])
    thread.join()
    assert result[0][0] == 502 and "502 Bad Gateway" in result[0][1]
    assert plane.target_health("tg") == []


def test_a_target_that_went_away_unannounced_costs_no_request(plane: DataPlane,
                                                              backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    plane.configure_group("tg", dataclasses.replace(FAST, interval_s=300), 30)  # no check while it runs
    plane.register("tg", [blue.address, green.address])
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    blue.stop()  # its container stopped before deregistration: connections are refused
    assert [fetch(url + "/") for _ in range(20)] == [(200, "green")] * 20
    assert states(plane, "tg")[blue.port] == ("healthy", None)  # the proxy, not a health check, avoided it


async def test_weights_shift_and_targets_deregister_under_load_without_a_failed_request(
        plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    healthy_group(plane, "blue", [blue], delay_s=0.5 * TIME_SCALE)
    healthy_group(plane, "green", [green])
    url = serve(plane, [("blue", 100), ("green", 0)]) + "/slow?s=0.02"
    wait_healthy(plane, "blue")
    wait_healthy(plane, "green")
    answers: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    running = True

    async def client(session: aiohttp.ClientSession) -> None:
        while running:
            try:
                async with session.get(url) as response:
                    body = await response.text()
                    if response.status == 200:
                        answers[body] += 1
                    else:
                        failures.append(f"{response.status} {body[:60]}")
            except aiohttp.ClientError as error:
                failures.append(repr(error))

    async with aiohttp.ClientSession() as session:
        clients = [asyncio.create_task(client(session)) for _ in range(16)]
        try:
            for green_weight in range(0, 101, 10):  # ECSLinear10Percent..., compressed
                forward = [("blue", 100 - green_weight), ("green", green_weight)]
                await asyncio.to_thread(plane.set_forward, "listener", forward)
                assert await asyncio.to_thread(plane.forward_weights, "listener") == forward
                await asyncio.sleep(0.1)
            await asyncio.to_thread(plane.deregister, "blue", [blue.address])
            await asyncio.sleep(0.2)
            before = answers["blue"]
            await asyncio.sleep(0.3)
        finally:
            running = False
            await asyncio.gather(*clients)
    assert failures == []
    assert answers["blue"] > 100 and answers["green"] > 100
    assert answers["blue"] == before  # none after the shift to 100 % green had settled
