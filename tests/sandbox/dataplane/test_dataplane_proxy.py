"""The listener's proxy: weighted groups, fail-open, ALB's 502/503/504, X-Forwarded headers,
bodies both ways, keep-alive on both sides."""

from __future__ import annotations

import asyncio
import collections
import http.client
import io
import json
import os
from collections.abc import AsyncIterator, Callable

import aiohttp
from conftest import TIME_SCALE, Backend, healthy_group, serve, states, wait_for, wait_healthy

from bluegreen.sandbox.dataplane import DataPlane, HealthCheck


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """One GET on its own connection, with exactly these headers (urllib would set Connection)."""
    host, _, rest = url.removeprefix("http://").partition("/")
    name, port = host.split(":")
    client = http.client.HTTPConnection(name, int(port), timeout=30)  # loopback only
    try:
        client.request("GET", "/" + rest, headers=headers or {})
        response = client.getresponse()
        return response.status, response.read().decode(), dict(response.headers)
    finally:
        client.close()


async def load(url: str, requests: int, concurrency: int = 16) -> collections.Counter[str]:
    """`requests` GETs, `concurrency` at a time; counts answers by body (or by status if not 200)."""
    counts: collections.Counter[str] = collections.Counter()
    left = iter(range(requests))
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            for _ in left:
                async with session.get(url) as response:
                    counts[await response.text() if response.status == 200 else str(response.status)] += 1
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts


async def test_requests_split_by_the_listeners_weights(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    healthy_group(plane, "blue", [blue])
    healthy_group(plane, "green", [green])
    url = serve(plane, [("blue", 30), ("green", 70)])
    wait_healthy(plane, "blue")
    wait_healthy(plane, "green")
    counts = await load(url + "/", 10_000)
    assert set(counts) == {"blue", "green"}
    assert abs(counts["blue"] / 10_000 - 0.30) < 0.03
    plane.set_forward("listener", [("blue", 0), ("green", 999)])
    assert plane.forward_weights("listener") == [("blue", 0), ("green", 999)]
    assert await load(url + "/", 200) == {"green": 200}


async def test_round_robin_over_the_healthy_targets_of_a_group(plane: DataPlane,
                                                              backends: Callable[[str], Backend]) -> None:
    one, two, sick = backends("one"), backends("two"), backends("sick")
    sick.health_status = 500
    healthy_group(plane, "tg", [one, two, sick])
    url = serve(plane, [("tg", 1)])
    wait_for(lambda: sorted(s for s, _ in states(plane, "tg").values()) == ["healthy", "healthy", "unhealthy"])
    assert await load(url + "/", 100) == {"one": 50, "two": 50}


async def test_a_group_of_unhealthy_targets_fails_open(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue, green = backends("blue"), backends("green")
    blue.health_status = green.health_status = 500
    healthy_group(plane, "tg", [blue, green])
    url = serve(plane, [("tg", 1)])
    wait_for(lambda: {s for s, _ in states(plane, "tg").values()} == {"unhealthy"})
    assert await load(url + "/", 100) == {"blue": 50, "green": 50}


def test_503_without_a_target_to_send_to(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    url = serve(plane, [])
    status, body, headers = get(url + "/")
    assert (status, headers["Server"]) == (503, "awselb/2.0")
    assert "<h1>503 Service Temporarily Unavailable</h1>" in body
    plane.configure_group("empty", HealthCheck(), 30)
    plane.set_forward("listener", [("empty", 1)])
    assert get(url + "/")[0] == 503
    # registered but still in its initial checks: not yet in service
    slow = backends("slow")
    slow.health_hangs = True
    plane.configure_group("empty", HealthCheck(path="/health", unhealthy_threshold=10), 30)
    plane.register("empty", [slow.address])
    assert plane.target_health("empty")[0].state == "initial"
    assert get(url + "/")[0] == 503


def test_502_when_the_target_refuses_and_504_when_it_does_not_answer(plane: DataPlane,
                                                                     backends: Callable[[str], Backend]) -> None:
    gone = backends("gone")
    healthy_group(plane, "tg", [gone])
    url = serve(plane, [("tg", 1)])
    gone.stop()  # nothing listens on its port any more
    wait_for(lambda: states(plane, "tg")[gone.port][0] == "unhealthy")  # fail-open still sends to it
    status, body, headers = get(url + "/")
    assert (status, headers["Server"]) == (502, "awselb/2.0")
    assert "<h1>502 Bad Gateway</h1>" in body

    slow = backends("slow")
    with DataPlane(time_scale=TIME_SCALE, idle_timeout_s=0.3) as impatient:
        healthy_group(impatient, "tg", [slow])
        url = serve(impatient, [("tg", 1)])
        wait_healthy(impatient, "tg")
        status, body, _ = get(url + "/slow?s=3")
        assert status == 504 and "<h1>504 Gateway Time-out</h1>" in body
        assert get(url + "/")[:2] == (200, "slow")


def test_forwarded_headers_as_alb_adds_them(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    healthy_group(plane, "tg", [blue])
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    port = url.rsplit(":", 1)[1]
    _, body, _ = get(url + "/headers?x=1", {"Connection": "X-Private", "X-Private": "1", "X-Mine": "kept",
                                           "X-Forwarded-Proto": "https", "Host": "example.test"})
    seen = json.loads(body)
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert (seen["X-Forwarded-Proto"], seen["X-Forwarded-Port"]) == ("http", port)
    assert (seen["Host"], seen["X-Mine"]) == ("example.test", "kept")
    assert "X-Private" not in seen and "Connection" not in seen  # hop-by-hop, and named by Connection
    _, body, _ = get(url + "/headers", {"X-Forwarded-For": "203.0.113.7"})
    assert json.loads(body)["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"


async def test_bodies_pass_both_ways_whole_or_streamed(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    healthy_group(plane, "tg", [blue])
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    small, large = os.urandom(1000), os.urandom(3 * 1024 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(large), 65536):
            yield large[start:start + 65536]

    async with aiohttp.ClientSession() as session:
        # sized and read whole by the proxy, sized and streamed, chunked (no length) and streamed
        for data, sent in ((small, small), (io.BytesIO(large), large), (chunks(), large)):
            async with session.post(url + "/echo", data=data) as response:
                assert response.status == 200
                assert await response.read() == sent
        async with session.get(url + "/stream") as response:  # an answer without a length
            assert await response.text() == "blueblueblue"
        async with session.head(url + "/") as response:
            assert (response.status, response.headers["Content-Length"]) == (200, "4")
            assert await response.read() == b""


def test_keep_alive_on_both_sides(plane: DataPlane, backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    healthy_group(plane, "tg", [blue])
    url = serve(plane, [("tg", 1)])
    wait_healthy(plane, "tg")
    host, port = url.removeprefix("http://").split(":")
    client = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        client.request("GET", "/")
        assert client.getresponse().read() == b"blue"
        assert client.sock is not None
        first = client.sock
        for _ in range(50):
            client.request("GET", "/")
            response = client.getresponse()
            assert (response.status, response.read()) == (200, b"blue")
            assert client.sock is first  # never reconnected
    finally:
        client.close()
    assert blue.served == 51 and len(blue.peers) == 1  # one upstream connection, reused
