"""One HTTP/1.1 connection of the sandbox: keep-alive, read timeouts and request bodies.

werkzeug's request handler answers every request with ``Connection: close``. AWS's endpoints keep
a connection open for the next request, and the SDKs count on it (botocore's connection pool,
Docker's registry client). This handler keeps the connection after an answer when the request's
body was read to its end, so the next request starts exactly where this one ended; otherwise
(a body left unread, a broken body, HTTP/1.0, ``Connection: close``) it says ``Connection: close``
and closes.

Timeouts, so that no client holds a server thread for longer than a bounded time:

- ``idle_timeout``: an open connection with no new request for this long is closed (Elastic Load
  Balancing's documented default idle timeout is 60 s);
- ``read_timeout``: the request line and headers must arrive whole within this time, and while the
  body is read and the answer written no single read or write may wait longer than this. A body
  that stalls is an ``OSError`` (``TimeoutError``) for the application reading it, which answers
  with its protocol's timeout error; the connection is then closed.
"""

from __future__ import annotations

import io
import logging
import socket
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import DechunkedInput, WSGIRequestHandler

log = logging.getLogger("bluegreen.sandbox.connection")

READ_TIMEOUT = 20.0
IDLE_TIMEOUT = 60.0
# Unread body bytes the server reads and discards after an answer to keep the connection; a client
# that sent more than this gets ``Connection: close`` instead.
DRAIN_LIMIT = 64 * 1024
# After an answer that closes the connection with a body left unread, the rest of the body is read
# and discarded for up to this long: closing a socket with unread data resets the connection, and
# the client (still sending) would lose the answer.
LINGER_SECONDS = 2.0
_BUFFER = 64 * 1024


class IncompleteBody(ConnectionError):
    """The client ended the connection (or sent broken chunks) before the whole body."""


class _SocketReader(io.RawIOBase):
    """The connection's bytes, each read bounded by the timeout of the request's phase: waiting for
    a request (idle), its head (one deadline for line and headers together), its body."""

    def __init__(self, sock: socket.socket, idle_timeout: float, read_timeout: float) -> None:
        self.sock = sock
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self._deadline: float | None = None

    def readable(self) -> bool:
        return True

    def wait_for_request(self) -> None:
        self._deadline = None
        self._timeout = self.idle_timeout

    def begin_head(self) -> None:
        self._deadline = time.monotonic() + self.read_timeout

    def begin_body(self) -> None:
        self._deadline = None
        self._timeout = self.read_timeout

    def readinto(self, buf: Any) -> int:
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request's head did not arrive in time")
            self.sock.settimeout(left)
        else:
            self.sock.settimeout(self._timeout)
        return self.sock.recv_into(buf)


class _SocketWriter(io.BufferedIOBase):
    """Unbuffered: every write goes out whole (``sendall``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sock.sendall(data)
        return len(data)


class RequestBody(io.RawIOBase):
    """The body of one request: never more than its declared length (an application that reads to
    the end never reads into the next request), chunked bodies decoded; it knows whether it was
    read to its end."""

    def __init__(self, source: io.BufferedReader[Any], length: int | None) -> None:
        self._source = source
        self._chunks = DechunkedInput(source) if length is None else None
        self.remaining = length
        self.complete = length == 0
        self.broken = False

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self.complete:
            return 0
        if self.broken:
            raise IncompleteBody("the request body could not be read")
        try:
            if self._chunks is not None:
                n = self._chunks.readinto(buf)
                self.complete = n == 0
                return n
            assert self.remaining is not None
            with memoryview(buf) as view:
                n = self._source.readinto(view[: self.remaining])
            if not n:
                raise IncompleteBody("the client closed the connection before the whole body")
            self.remaining -= n
            self.complete = self.remaining == 0
            return n
        except ValueError as exc:  # DechunkedInput on a chunk cut short
            self.broken = True
            raise IncompleteBody(str(exc)) from exc
        except OSError:
            self.broken = True
            raise

    def drain(self, limit: int) -> bool:
        """Read and discard the rest of the body, up to ``limit`` bytes: is it read to its end?"""
        if self.complete:
            return True
        if self.broken or (self.remaining is not None and self.remaining > limit):
            return False
        scratch = bytearray(min(limit, _BUFFER) or 1)
        total = 0
        try:
            while not self.complete and total <= limit:
                total += self.readinto(scratch)
        except OSError:
            return False
        return self.complete


class ConnectionHandler(WSGIRequestHandler):
    """The request handler of :class:`bluegreen.sandbox.httpserver.StoppableServer`."""

    protocol_version = "HTTP/1.1"
    # http.server's own answers (a request line or headers it cannot read): plain text, never HTML.
    error_message_format = "%(code)d %(message)s: %(explain)s\n"
    error_content_type = "text/plain; charset=utf-8"

    def setup(self) -> None:
        self.connection = self.request
        # Answers are small and written head-and-body at once: no Nagle delay for the next request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server: Any = self.server
        self.reader = _SocketReader(
            self.connection,
            getattr(server, "idle_timeout", IDLE_TIMEOUT),
            getattr(server, "read_timeout", READ_TIMEOUT),
        )
        self.input = io.BufferedReader(self.reader, _BUFFER)
        self.rfile = self.input
        self.wfile = _SocketWriter(self.connection)
        self.body: RequestBody | None = None

    def handle_one_request(self) -> None:
        self.reader.wait_for_request()
        self.body = None
        try:
            if not self.input.peek(1):  # the client closed the connection
                self.close_connection = True
                return
        except OSError:  # idle for too long, or reset
            self.close_connection = True
            return
        self.reader.begin_head()
        super().handle_one_request()  # reads the head (TimeoutError: closed), then run_wsgi

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.reader.begin_body()
        return ok

    def _request_body(self) -> RequestBody | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return RequestBody(self.input, None)
        raw = self.headers.get_all("Content-Length") or []
        if len(set(raw)) > 1:
            return None
        text = (raw[0] if raw else "0").strip()
        if not text.isdigit():
            return None
        return RequestBody(self.input, int(text))

    def run_wsgi(self) -> None:
        if self.request_version != "HTTP/1.1":
            self.close_connection = True
        body = self._request_body()
        if body is None:  # the body's length cannot be read: nothing after it can be either
            self.send_error(400, "Bad Request", "Content-Length is not a number")
            return
        self.body = body
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        environ["wsgi.input"] = io.BufferedReader(body, _BUFFER)
        environ["wsgi.input_terminated"] = body.remaining is None
        answer = _Answer(self, body)
        app: Any = self.server.app
        try:
            result: Iterable[bytes] = app(environ, answer.start_response)
            try:
                for data in result:
                    answer.write(data)
                answer.finish()
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except (ConnectionError, TimeoutError):  # the client went away or stalled
            self.close_connection = True
        except Exception:
            log.exception("sandbox request failed: %s %s", self.command, self.path)
            self.close_connection = True
            if not answer.started:
                text = b"internal error\n"
                answer.start_response(
                    "500 Internal Server Error",
                    [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))],
                )
                answer.write(text)

    def finish(self) -> None:
        body = self.body
        if body is not None and not body.complete and not body.broken:
            self._linger()
        super().finish()

    def _linger(self) -> None:
        """The answer is out and the connection closes with a body still arriving: read and discard
        it for a while, so the client (still sending) does not get a reset instead of the answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + min(LINGER_SECONDS, self.reader.read_timeout)
        scratch = bytearray(_BUFFER)
        try:
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv_into(scratch):
                    return
        except OSError:
            return

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        # Bad requests (e.g. the TLS probe Docker sends before falling back to plain HTTP) are
        # answered with 400 by http.server; the router logs its own failures.
        pass


class _Answer:
    """The answer to one request, written as the application yields it: the head with the first
    data, framed by the application's Content-Length, else chunked."""

    def __init__(self, handler: ConnectionHandler, body: RequestBody) -> None:
        self.h = handler
        self.body = body
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.started = False
        self.chunked = False
        self.no_body = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, list(headers)
        return self.write

    def _head(self) -> bytes:
        h = self.h
        assert self.status is not None
        code = int(self.status.split(None, 1)[0])
        names = {k.lower() for k, _ in self.headers}
        self.no_body = h.command == "HEAD" or 100 <= code < 200 or code in (204, 304)
        if any(k.lower() == "connection" and "close" in v.lower() for k, v in self.headers):
            h.close_connection = True
        if not self.no_body and "content-length" not in names:
            if h.request_version == "HTTP/1.1":
                self.chunked = True
            else:
                h.close_connection = True
        # The connection carries on only from the end of this request's body.
        if not h.close_connection and not self.body.drain(DRAIN_LIMIT):
            h.close_connection = True
        lines = [f"{h.protocol_version} {self.status}", f"Server: {h.version_string()}",
                 f"Date: {h.date_time_string()}"]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() not in ("connection", "transfer-encoding")]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        if h.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() before start_response()")
        out = b""
        if not self.started:
            self.started = True
            self.h.connection.settimeout(self.h.reader.read_timeout)
            out = self._head()
        if data and not self.no_body:
            out += b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data
        if out:
            self.h.wfile.write(out)

    def finish(self) -> None:
        if not self.started:
            self.write(b"")
        if self.chunked:
            self.h.wfile.write(b"0\r\n\r\n")
