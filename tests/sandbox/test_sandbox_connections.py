"""Connections to the sandbox: HTTP/1.1 keep-alive as AWS's endpoints keep connections open, and
timeouts so that a slow or silent client never holds a server thread for long."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests

from bluegreen.sandbox.server import SandboxHandle, start_sandbox

READ_TIMEOUT = 1.0
IDLE_TIMEOUT = 2.0
SLACK = 1.5  # scheduling on a loaded 2-core CI machine
SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
ECS = "AmazonEC2ContainerServiceV20141113"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    """A sandbox with short timeouts (the defaults are 20 s and 60 s), stopped with its threads."""
    before = set(threading.enumerate())
    with start_sandbox(port=0, seed=False, read_timeout=READ_TIMEOUT, idle_timeout=IDLE_TIMEOUT) as handle:
        yield handle
    time.sleep(0.05)
    leftover = [t for t in threading.enumerate() if t not in before and t.name.startswith("bluegreen-sandbox")]
    assert not leftover, leftover


@contextlib.contextmanager
def raw(handle: SandboxHandle) -> Iterator[socket.socket]:
    host, port = handle.endpoint_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=IDLE_TIMEOUT + 10)
    try:
        yield sock
    finally:
        sock.close()


def request(target: str, body: bytes, service: str = "ecs", extra: str = "") -> bytes:
    head = (
        "POST / HTTP/1.1\r\nHost: sandbox\r\n"
        f"X-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\n"
        f"Authorization: {SIGV4.format(service=service)}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


class _OneReader:
    """The socket as http.client sees it, with one buffered reader for all its responses: a
    reader per response would keep (and lose) the bytes of the next one when two answers
    arrive together, as they do for pipelined requests."""

    _readers: ClassVar[weakref.WeakKeyDictionary[socket.socket, Any]] = weakref.WeakKeyDictionary()

    def __init__(self, sock: socket.socket) -> None:
        if sock not in self._readers:
            self._readers[sock] = sock.makefile("rb")
        self.file = self._readers[sock]

    def makefile(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def close(self) -> None:
        pass  # HTTPResponse closes its reader at the end of each body; the next answer needs it


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response off the socket (Content-Length framed, as every sandbox answer is)."""
    resp = http.client.HTTPResponse(_OneReader(sock))  # type: ignore[arg-type]
    resp.begin()
    body = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def wait_closed(sock: socket.socket) -> float:
    """Seconds until the server closes the connection (reads and drops anything it sends)."""
    started = time.monotonic()
    while sock.recv(65536):
        pass
    return time.monotonic() - started


# --- keep-alive ---------------------------------------------------------------------------------


def test_one_connection_carries_several_requests_including_validation_errors(sandbox) -> None:
    with raw(sandbox) as sock:
        sock.sendall(request(f"{ECS}.ListClusters", b"{}"))
        status, headers, body = read_response(sock)
        assert status == 200 and "clusterArns" in json.loads(body)
        assert headers.get("connection", "") != "close"
        # A 400 from validation (body read whole) keeps the connection too.
        sock.sendall(request(f"{ECS}.CreateCluster", b'{"clusterName": 7}'))
        status, headers, body = read_response(sock)
        assert status == 400 and json.loads(body)["__type"] == "SerializationException"
        assert headers.get("connection", "") != "close"
        sock.sendall(request(f"{ECS}.CreateCluster", b"not json"))
        status, _, body = read_response(sock)
        assert status == 400 and json.loads(body)["__type"] == "SerializationException"
        sock.sendall(b"GET /_bluegreen/health HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        status, _, body = read_response(sock)
        assert status == 200 and json.loads(body)["sandbox"] == "bluegreen"


def test_pipelined_and_chunked_requests_on_one_connection(sandbox) -> None:
    chunked = (
        f"POST / HTTP/1.1\r\nHost: sandbox\r\nX-Amz-Target: {ECS}.ListClusters\r\n"
        f"Authorization: {SIGV4.format(service='ecs')}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
    ).encode()
    with raw(sandbox) as sock:
        sock.sendall(chunked + request(f"{ECS}.ListClusters", b"{}"))  # both at once
        assert read_response(sock)[0] == 200
        assert read_response(sock)[0] == 200


def test_boto3_reuses_one_connection(sandbox, monkeypatch) -> None:
    import urllib3.util.connection

    connects: list[object] = []
    real = urllib3.util.connection.create_connection

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        connects.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    sts = sandbox.client("sts")
    for _ in range(5):
        sts.get_caller_identity()
    iam = sandbox.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="nobody")  # a 4xx answer keeps the connection too
    iam.list_roles()
    iam.list_roles()
    assert len(connects) == 2, f"{len(connects)} connections for 8 requests of 2 clients"


def test_http_client_keeps_its_socket(sandbox) -> None:
    host, port = sandbox.endpoint_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/_bluegreen/health")
        resp = conn.getresponse()
        resp.read()
        first = conn.sock.getsockname()
        conn.request("GET", "/_bluegreen/health")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and not resp.will_close
        assert conn.sock.getsockname() == first
    finally:
        conn.close()


def test_an_unread_body_closes_the_connection_after_the_answer(sandbox) -> None:
    from bluegreen.sandbox.router import MAX_BODY

    body = b'{"clusterName": "' + b"x" * MAX_BODY + b'"}'
    r = requests.post(
        sandbox.endpoint_url, data=body, timeout=30,
        headers={"X-Amz-Target": f"{ECS}.CreateCluster", "Authorization": SIGV4.format(service="ecs")},
    )
    assert r.status_code == 413 and r.json()["__type"] == "RequestEntityTooLarge"
    assert r.headers["Connection"] == "close"


def test_http_1_0_and_an_unreadable_content_length_close(sandbox) -> None:
    with raw(sandbox) as sock:
        sock.sendall(b"GET /_bluegreen/health HTTP/1.0\r\n\r\n")
        status, headers, _ = read_response(sock)
        assert status == 200 and headers["connection"] == "close"
        assert wait_closed(sock) < SLACK
    with raw(sandbox) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        status, headers, body = read_response(sock)
        assert status == 400 and headers["connection"] == "close"
        assert "html" not in headers["content-type"] and b"<" not in body
        assert wait_closed(sock) < SLACK


# --- timeouts -----------------------------------------------------------------------------------


def test_half_a_request_is_closed_after_the_read_timeout_and_others_are_served(sandbox) -> None:
    with raw(sandbox) as stalled:
        stalled.sendall(b"POST / HTTP/1.1\r\nHost: sandbox\r\nX-Amz-Tar")
        started = time.monotonic()
        # Meanwhile the sandbox answers everyone else at once.
        assert requests.get(f"{sandbox.endpoint_url}/_bluegreen/health", timeout=5).status_code == 200
        sandbox.client("sts").get_caller_identity()
        assert time.monotonic() - started < READ_TIMEOUT
        wait_closed(stalled)
        total = time.monotonic() - started  # from the half request to the close
        assert READ_TIMEOUT * 0.8 <= total < READ_TIMEOUT + SLACK, total


def test_a_trickled_head_does_not_extend_the_deadline(sandbox) -> None:
    with raw(sandbox) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /_bluegreen/health HTTP/1.1\r\n")
        closed = False
        for i in range(int((READ_TIMEOUT + SLACK) / 0.2) + 5):  # a header byte every 0.2 s
            try:
                sock.sendall(b"X-Slow-%d: 1\r\n" % i)
            except OSError:
                closed = True
                break
            sock.settimeout(0.2)
            try:
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        elapsed = time.monotonic() - started
        assert closed and elapsed < READ_TIMEOUT + SLACK, elapsed


def test_a_stalled_body_gets_request_timeout_and_the_connection_closes(sandbox) -> None:
    with raw(sandbox) as sock:
        whole = request(f"{ECS}.CreateCluster", b'{"clusterName": "slow-body-cluster"}')
        started = time.monotonic()
        sock.sendall(whole[:-10])  # the head and part of the body; the rest never comes
        status, headers, body = read_response(sock)
        elapsed = time.monotonic() - started
        assert status == 400 and json.loads(body)["__type"] == "RequestTimeout"
        assert headers["connection"] == "close"
        assert READ_TIMEOUT * 0.8 <= elapsed < READ_TIMEOUT + SLACK
        assert wait_closed(sock) < SLACK
    clusters = sandbox.client("ecs").list_clusters()["clusterArns"]
    assert not any(a.endswith("/slow-body-cluster") for a in clusters)


def test_a_body_cut_short_is_incomplete_body(sandbox) -> None:
    with raw(sandbox) as sock:
        whole = request(f"{ECS}.CreateCluster", b'{"clusterName": "cut-short-cluster"}')
        sock.sendall(whole[:-10])
        sock.shutdown(socket.SHUT_WR)  # the client is done sending: the body ends 10 bytes early
        status, headers, body = read_response(sock)
        assert status == 400 and json.loads(body)["__type"] == "IncompleteBody"
        assert headers["connection"] == "close"


def test_an_idle_kept_connection_is_closed_after_the_idle_timeout(sandbox) -> None:
    with raw(sandbox) as sock:
        sock.sendall(b"GET /_bluegreen/health HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        assert read_response(sock)[0] == 200
        waited = wait_closed(sock)
        assert IDLE_TIMEOUT * 0.8 <= waited < IDLE_TIMEOUT + SLACK, waited


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        start_sandbox(port=0, seed=False, read_timeout=0)


def test_a_stalled_registry_upload_gets_a_registry_error_and_the_connection_closes(sandbox) -> None:
    ecr = sandbox.client("ecr")
    ecr.create_repository(repositoryName="stall/app")
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    with raw(sandbox) as sock:
        head = (f"POST /v2/stall/app/blobs/uploads/ HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Basic {token}\r\n"
                "Content-Length: 1000\r\n\r\n")
        started = time.monotonic()
        sock.sendall(head.encode() + b"x" * 10)  # 990 bytes never come
        status, headers, body = read_response(sock)
        assert status == 400 and json.loads(body)["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
        assert headers["connection"] == "close"
        assert READ_TIMEOUT * 0.8 <= time.monotonic() - started < READ_TIMEOUT + SLACK
