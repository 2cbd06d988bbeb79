"""DataPlane: the load balancer's data plane behind blocking, thread-safe calls.

The sandbox's ELBv2 emulation calls it from its WSGI threads (CreateListener, ModifyListener,
RegisterTargets, DescribeTargetHealth...). Each call is carried out on the data plane's own event
loop and returns once applied, with the loop's result or exception.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType

from .control import Control
from .loop import LoopThread
from .model import HealthCheck, TargetHealth

THREAD_NAME = "bluegreen-sandbox-dataplane"


class DataPlane:
    def __init__(self, time_scale: float = 1.0, *, idle_timeout_s: float = 60.0,
                 connect_timeout_s: float = 10.0) -> None:
        """`time_scale` divides health-check intervals and timeouts and deregistration delays;
        the client-facing timeouts (ALB's idle timeout, its 10 s connect timeout) are not scaled."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._control = Control(time_scale, idle_timeout_s, connect_timeout_s)
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = LoopThread(THREAD_NAME)
        try:
            self._thread.run(self._control.start())
        except BaseException:
            self._thread.stop()
            raise

    @property
    def time_scale(self) -> float:
        return self._control.time_scale

    def stop(self) -> None:
        """Close every listener, check and connection, and join the thread. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            self._thread.run(self._control.close())
        finally:
            self._thread.stop()

    def __enter__(self) -> DataPlane:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # --- target groups -------------------------------------------------------------------------

    def configure_group(self, group_id: str, health: HealthCheck, deregistration_delay_s: float = 300.0) -> None:
        """Create the group, or change its health check and delay (its targets keep their state)."""
        self._thread.run(self._control.configure_group(group_id, health, deregistration_delay_s))

    def delete_group(self, group_id: str) -> None:
        """ValueError while a listener forwards to it (ELBv2's ResourceInUse)."""
        self._thread.run(self._control.delete_group(group_id))

    def register(self, group_id: str, targets: Iterable[tuple[str, int]]) -> None:
        self._thread.run(self._control.register(group_id, list(targets)))

    def deregister(self, group_id: str, targets: Iterable[tuple[str, int]]) -> None:
        """The targets get no new request from now on and are `draining` for the (scaled)
        deregistration delay; requests still in flight at its end are cut (ALB's 502)."""
        self._thread.run(self._control.deregister(group_id, list(targets)))

    def target_health(self, group_id: str, targets: Iterable[tuple[str, int]] | None = None) -> list[TargetHealth]:
        """Every registered and draining target, or the ones asked for (`unused`,
        Target.NotRegistered for one that is neither)."""
        wanted = None if targets is None else list(targets)
        return self._thread.run(self._control.target_health(group_id, wanted))

    # --- listeners -----------------------------------------------------------------------------

    def open_listener(self, listener_id: str, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Bind the listener's proxy (port 0: any free port) and return where it listens. It
        answers 503 until set_forward() gives it target groups. OSError when it cannot bind."""
        return self._thread.run(self._control.open_listener(listener_id, host, port))

    def set_forward(self, listener_id: str, forward: Iterable[tuple[str, int]]) -> None:
        """Forward to these (group, weight 0-999) pairs from the next request on. A plain
        forward to one group is [(group, 1)], as DescribeListeners shows it."""
        self._thread.run(self._control.set_forward(listener_id, list(forward)))

    def forward_weights(self, listener_id: str) -> list[tuple[str, int]]:
        """The (group, weight) pairs the proxy uses now."""
        return self._thread.run(self._control.forward_weights(listener_id))

    def close_listener(self, listener_id: str) -> None:
        self._thread.run(self._control.close_listener(listener_id))
