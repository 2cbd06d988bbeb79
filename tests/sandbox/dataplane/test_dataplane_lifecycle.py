"""The facade: errors for the caller, calls from many threads, and stop() leaving no thread,
task, connection or port behind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest
from conftest import FAST, TIME_SCALE, Backend, healthy_group, plane_threads, serve, wait_for, wait_healthy

from bluegreen.sandbox.dataplane import DataPlane, HealthCheck


def bindable(port: int) -> bool:
    """As a server binds (SO_REUSEADDR: the closed connections' TIME_WAIT does not count, a socket
    still listening on the port does)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_stop_frees_the_ports_and_the_thread_even_with_a_request_in_flight(backends: Callable[[str], Backend]) -> None:
    before = set(plane_threads())
    blue = backends("blue")
    dp = DataPlane(time_scale=TIME_SCALE)
    try:
        healthy_group(dp, "tg", [blue])
        url = serve(dp, [("tg", 1)])
        second = dp.open_listener("second")[1]
        wait_healthy(dp, "tg")
        port = int(url.rsplit(":", 1)[1])
        assert not bindable(port)
        request = b"GET /slow?s=30 HTTP/1.1\r\nHost: x\r\n\r\n"  # will not finish in time
        in_flight = socket.create_connection(("127.0.0.1", port))
        in_flight.sendall(request)
        wait_for(lambda: blue.served == 1)
        just_sent = socket.create_connection(("127.0.0.1", port))  # maybe not even accepted yet
        just_sent.sendall(request)
    finally:
        dp.stop()
    for client in (in_flight, just_sent):
        client.settimeout(10)
        try:  # the proxy closed its side: an orderly close, or a reset when the request was unread
            assert client.recv(100) == b""
        except ConnectionResetError:
            pass
        finally:
            client.close()
    assert bindable(port) and bindable(second)
    assert [t for t in plane_threads() if t not in before] == []
    dp.stop()  # twice is fine
    with pytest.raises(RuntimeError):
        dp.target_health("tg")


def test_the_facade_reports_the_callers_mistakes(plane: DataPlane) -> None:
    plane.configure_group("tg", HealthCheck(), 30)
    _, port = plane.open_listener("listener")
    with pytest.raises(OSError):
        plane.open_listener("taken", "127.0.0.1", port)
    with pytest.raises(ValueError):
        plane.open_listener("listener")
    with pytest.raises(ValueError):
        plane.set_forward("listener", [("tg", 1000)])
    with pytest.raises(KeyError):
        plane.set_forward("listener", [("nope", 1)])
    with pytest.raises(KeyError):
        plane.set_forward("nope", [("tg", 1)])
    with pytest.raises(KeyError):
        plane.register("nope", [("127.0.0.1", 80)])
    with pytest.raises(ValueError):
        plane.register("tg", [("127.0.0.1", 0)])
    plane.set_forward("listener", [("tg", 1)])
    with pytest.raises(ValueError):
        plane.delete_group("tg")  # in use, as ELBv2's ResourceInUse
    plane.close_listener("listener")
    plane.delete_group("tg")
    with pytest.raises(KeyError):
        plane.target_health("tg")


def test_calls_from_many_threads_each_see_their_own_change(plane: DataPlane,
                                                           backends: Callable[[str], Backend]) -> None:
    blue = backends("blue")
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            group, listener = f"group-{index}", f"listener-{index}"
            plane.configure_group(group, FAST, 30)
            plane.register(group, [blue.address])
            plane.open_listener(listener)
            for weight in range(0, 1000, 37):
                plane.set_forward(listener, [(group, weight)])
                assert plane.forward_weights(listener) == [(group, weight)]
            assert [h.port for h in plane.target_health(group)] == [blue.port]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
