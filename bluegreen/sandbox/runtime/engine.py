"""Connections to the Docker engine, shared by the runtime's threads.

docker-py clients wrap a ``requests`` session, which is not documented as safe to share between
threads; each call borrows a client nobody else is using, and returns it afterwards. The pool
grows to the number of threads calling at once and every client is closed with the pool.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

ClientFactory = Callable[[], Any]  # () -> docker.DockerClient


def default_client_factory() -> Any:
    import docker

    return docker.from_env()


class ClientPool:
    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._idle: list[Any] = []
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the runtime is closed")
            client = self._idle.pop() if self._idle else None
        if client is None:
            client = self._factory()
            with self._lock:
                self._all.append(client)
        try:
            yield client
        finally:
            with self._lock:
                if self._closed:
                    _close(client)
                else:
                    self._idle.append(client)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for client in idle:
            _close(client)


def _close(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.close()


def explanation(exc: BaseException) -> str:
    """The engine's own words for a failed call (docker-py's APIError.explanation), as the
    ECS agent relays them."""
    text = getattr(exc, "explanation", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or exc).strip()
