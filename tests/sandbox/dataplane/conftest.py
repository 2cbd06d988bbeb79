"""Fixtures for the data plane: a DataPlane stopped after each test (and checked to leave no
thread), and tiny real HTTP servers on 127.0.0.1 that answer their own name."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web

from bluegreen.sandbox.dataplane import DataPlane, HealthCheck
from bluegreen.sandbox.dataplane.facade import THREAD_NAME
from bluegreen.sandbox.dataplane.loop import LoopThread

# Fast checks at the tests' time scale: every 0.1 s (5 s / 50); the scaled timeout is 1 s.
TIME_SCALE = 50.0
FAST = HealthCheck(path="/health", interval_s=5, timeout_s=2, healthy_threshold=2, unhealthy_threshold=2)


class Backend:
    """A target: answers its name on any path; /health answers `health_status` (or never, when
    `health_hangs`); /slow?s=N answers after N seconds; /echo returns the request body; /headers
    the request headers; /stream its name in 3 chunks without a length. It notes the client
    ports of the (non-health-check) connections it served, to count upstream connections."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.health_status = 200
        self.health_hangs = False
        self.health_checks = 0
        self.peers: set[int] = set()
        self.served = 0
        self._thread = LoopThread(f"test-backend-{name}")
        self._release = asyncio.Event()
        self._runner: web.ServerRunner | None = None
        self.port = self._thread.run(self._start())

    async def _start(self) -> int:
        self._runner = web.ServerRunner(web.Server(self._handle, access_log=None), handle_signals=False,
                                        shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/health":
            self.health_checks += 1
            if self.health_hangs:
                await self._release.wait()
            return web.Response(status=self.health_status, text=self.name)
        self.served += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.peers.add(peer[1])
        if request.path == "/slow":
            await asyncio.sleep(float(request.query.get("s", "1")))
        elif request.path == "/echo":
            return web.Response(body=await request.content.read())
        elif request.path == "/headers":
            return web.json_response(dict(request.headers))
        elif request.path == "/stream":
            response = web.StreamResponse()
            await response.prepare(request)
            for _ in range(3):
                await response.write(self.name.encode())
                await asyncio.sleep(0.01)
            await response.write_eof()
            return response
        return web.Response(text=self.name)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def stop(self) -> None:
        if self._runner is not None:
            self._thread.loop.call_soon_threadsafe(self._release.set)
            self._thread.run(self._runner.cleanup())
            self._runner = None
        self._thread.stop()


@pytest.fixture
def backends() -> Iterator[Callable[[str], Backend]]:
    made: list[Backend] = []

    def make(name: str) -> Backend:
        made.append(Backend(name))
        return made[-1]

    try:
        yield make
    finally:
        for backend in made:
            backend.stop()


def plane_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


@pytest.fixture
def plane() -> Iterator[DataPlane]:
    before = set(plane_threads())
    dp = DataPlane(time_scale=TIME_SCALE)
    try:
        yield dp
    finally:
        dp.stop()
    assert not [t for t in plane_threads() if t not in before]


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `check` until it holds; fail with the last view after `timeout` (a hang guard, not
    a timing assertion: the states under test arrive within a second or two)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def states(dp: DataPlane, group: str) -> dict[int, tuple[str, str | None]]:
    return {h.port: (h.state, h.reason) for h in dp.target_health(group)}


def serve(dp: DataPlane, forward: list[tuple[str, int]], listener: str = "listener") -> str:
    """Open a listener forwarding to `forward`; its base URL."""
    host, port = dp.open_listener(listener, "127.0.0.1", 0)
    dp.set_forward(listener, forward)
    return f"http://{host}:{port}"


def healthy_group(dp: DataPlane, group: str, targets: list[Backend], delay_s: float = 30) -> None:
    dp.configure_group(group, FAST, delay_s)
    dp.register(group, [t.address for t in targets])


def wait_healthy(dp: DataPlane, group: str) -> None:
    wait_for(lambda: all(h.state == "healthy" for h in dp.target_health(group)))
