"""Noticing containers that exited, the way the ECS agent notices them.

One thread per runtime. While some container is watched it lists the runtime's containers (one
engine call) every interval and reports each watched one that is no longer alive, with its exit
code (None when it was removed behind the sandbox's back). Polling rather than the engine's event
stream: nothing to reconnect or replay when the engine restarts, and the cost is one list call
per interval, only while tasks run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from . import labels as L
from .containers import LIVE_STATES
from .engine import ClientPool, explanation

log = logging.getLogger("bluegreen.sandbox.runtime")


class ExitMonitor:
    def __init__(
        self,
        pool: ClientPool,
        instance_id: str,
        interval_s: float,
        watched: Callable[[], set[str]],
        exited: Callable[[str, int | None], None],
    ) -> None:
        """``watched()`` gives the runtime ids to look at now; ``exited(id, exit_code)`` is
        called (in the monitor's thread) for each that is gone or no longer alive."""
        self._pool = pool
        self._instance_id = instance_id
        self._interval = interval_s
        self._watched = watched
        self._exited = exited
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name=f"bluegreen-sandbox-runtime-monitor-{self._instance_id}", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            watched = self._watched()
            if not watched:
                continue
            try:
                self._check(watched)
            except Exception as exc:  # the engine is briefly unreachable: try again next round
                log.debug("runtime monitor: %s", explanation(exc))

    def _check(self, watched: set[str]) -> None:
        import docker

        with self._pool.client() as client:
            listing = client.api.containers(all=True, filters={"label": f"{L.SANDBOX}={self._instance_id}"})
            states = {found["Id"]: found.get("State") for found in listing}
            for runtime_id in watched:
                if states.get(runtime_id) in LIVE_STATES:
                    continue
                try:
                    exit_code = client.api.inspect_container(runtime_id)["State"].get("ExitCode")
                except docker.errors.NotFound:
                    exit_code = None
                self._exited(runtime_id, exit_code)
