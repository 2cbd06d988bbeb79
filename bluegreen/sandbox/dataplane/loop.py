"""A private asyncio event loop on its own thread, driven from other threads.

The sandbox answers API calls on WSGI threads; the proxy, the health checks and the draining
timers live on one event loop. Every change is applied on that loop (so none needs a lock) and the
calling thread waits for it, so a caller that set something reads it back at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            self._finish()

    def _finish(self) -> None:
        # Whatever is still pending (a task a caller forgot) is cancelled and awaited, so the
        # loop closes without "Task was destroyed but it is pending" and no executor thread stays.
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop and wait for its result (its exception is raised here)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("the data plane's facade was called from its own event loop")
        if not self._thread.is_alive():
            coro.close()
            raise RuntimeError("the data plane is stopped")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        # A call that races with stop() may be queued on a loop that no longer runs: never wait
        # for it forever.
        while not future.done():
            concurrent.futures.wait([future], timeout=1.0)
            if not future.done() and not self._thread.is_alive():
                future.cancel()
                raise RuntimeError("the data plane is stopped")
        return future.result()

    def stop(self) -> None:
        """Stop the loop after what is queued, and join the thread."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
