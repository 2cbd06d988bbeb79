"""The load balancer check: what answered, how fast, and never a lookup of a made-up name."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from bluegreen.aws.probe import probe


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        pages = {"/": (200, b"<html><head><title>sample-website v2</title></head><h1>Hello</h1></html>"),
                 "/plain": (200, b"<h1>Hello from blue</h1>")}
        status, body = pages.get(self.path, (503, b"no healthy targets"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_is_known_by_its_title_else_its_first_words(loopback_server: int) -> None:
    answer = probe(f"http://127.0.0.1:{loopback_server}/", sandbox=True)
    assert answer.ok and answer.status == 200 and answer.answered_by == "sample-website v2"
    assert answer.text.startswith("HTTP 200 in ") and answer.text.endswith(" ms: sample-website v2")
    assert answer.latency_ms is not None and answer.latency_ms >= 0
    plain = probe(f"http://127.0.0.1:{loopback_server}/plain", sandbox=True)
    assert plain.ok and plain.answered_by == "Hello from blue"
    down = probe(f"http://127.0.0.1:{loopback_server}/down", sandbox=True)
    assert not down.ok and down.status == 503 and down.text == "HTTP 503 Service Unavailable: no healthy targets"


def test_a_closed_loopback_port_fails_fast() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]  # closed again when the block ends
    started = time.monotonic()
    answer = probe(f"http://127.0.0.1:{port}/", sandbox=True, timeout=1.0)
    assert not answer.ok and answer.text.startswith("not reachable") and answer.status is None
    assert time.monotonic() - started < 3


def test_a_sandbox_name_that_is_not_loopback_is_never_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lookups(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a made-up DNS name must not be resolved")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookups)
    monkeypatch.setattr(socket, "create_connection", no_lookups)
    answer = probe("http://demo-alb-1.us-east-1.elb.amazonaws.com:80/", sandbox=True)
    assert not answer.ok and "not a loopback address" in answer.text and "no request sent" in answer.text
