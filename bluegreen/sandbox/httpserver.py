"""A threaded WSGI server that can be stopped completely.

werkzeug's threaded server leaves keep-alive handler threads running after ``shutdown()``; this one
tracks every connection and its thread, and :meth:`StoppableServer.stop` closes the sockets and joins
the threads, so a stopped sandbox holds no port and no thread. A port that cannot be bound raises
``OSError`` (werkzeug's own bind prints to stderr and exits the process instead). Each connection is
served by :class:`bluegreen.sandbox.connection.ConnectionHandler` (keep-alive and timeouts).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, select_address_family

from .connection import IDLE_TIMEOUT, READ_TIMEOUT, ConnectionHandler

log = logging.getLogger("bluegreen.sandbox.httpserver")


class StoppableServer(ThreadedWSGIServer):
    daemon_threads = True

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        name: str = "sandbox",
        *,
        read_timeout: float = READ_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        if read_timeout <= 0 or idle_timeout <= 0:
            raise ValueError("read_timeout and idle_timeout must be positive")
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        # Bind here, so that a busy port is an OSError for the caller to report.
        sock = socket.socket(select_address_family(host, port), socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(self.request_queue_size)
            super().__init__(host, port, app, handler=ConnectionHandler, fd=sock.fileno())
        finally:
            sock.close()  # werkzeug serves a duplicate of it
        self._name = name
        self._lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._serve_thread: threading.Thread | None = None

    @property
    def bound_port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(
            target=self._run_one,
            args=(request, client_address),
            name=f"{self._name}-conn",
            daemon=True,
        )
        with self._lock:
            self._conns[t] = request
        t.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection that fails outside a request (e.g. reset while its answer is written) is the
        # client's business: no traceback on the sandbox's console.
        log.debug("connection from %s failed", client_address, exc_info=True)

    def _run_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._conns.pop(threading.current_thread(), None)

    def start(self) -> None:
        self._serve_thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=self._name, daemon=True
        )
        self._serve_thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._serve_thread is not None:
            self.shutdown()
            self._serve_thread.join(timeout)
            self._serve_thread = None
        with self._lock:
            conns = list(self._conns.items())
        for _, sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for t, _ in conns:
            t.join(timeout)
        self.server_close()
