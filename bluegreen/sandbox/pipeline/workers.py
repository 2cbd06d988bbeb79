"""The engine's threads: one per running action, all of them joined when the sandbox stops.

A thread per action keeps each action's code straight-line (a deploy action waits on its
deployment for as long as it lasts) without one action holding up another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("bluegreen.sandbox.pipeline")

THREAD_NAME = "bluegreen-sandbox-pipeline"


class Workers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._closed = False

    def start(self, job: Callable[[], None]) -> bool:
        """Run ``job`` in a new thread; False once the workers are closed."""
        with self._lock:
            if self._closed:
                return False
            thread = threading.Thread(target=self._run, args=(job,), name=THREAD_NAME, daemon=True)
            self._threads.add(thread)
            thread.start()
        return True

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a job reports its own failures; this is a bug, never a crash
            log.exception("pipeline worker failed")
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def close(self, timeout: float = 10.0) -> None:
        """No new jobs; wait for the running ones (they have been told to stop)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
