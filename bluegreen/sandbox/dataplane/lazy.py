"""A data plane that starts with the first load balancer, not with the sandbox.

Its event loop thread and aiohttp (about a tenth of a second of a sandbox's start) are only
needed once a listener or a target group exists; most sandboxes answer their first calls long
before that, and many (tests of other services) never get there.
"""

from __future__ import annotations

import threading
from typing import Any

from .model import HealthCheck, TargetHealth


class LazyDataPlane:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._plane: Any = None
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def started(self) -> bool:
        return self._plane is not None

    def _started(self) -> Any:
        with self._lock:
            if self._stopped:
                raise RuntimeError("the data plane is stopped")
            if self._plane is None:
                from .facade import DataPlane

                self._plane = DataPlane(time_scale=self.time_scale)
            return self._plane

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            plane, self._plane = self._plane, None
        if plane is not None:
            plane.stop()

    # the DataPlane calls, each starting it first
    def configure_group(self, group_id: str, health: HealthCheck, deregistration_delay_s: float = 300.0) -> None:
        self._started().configure_group(group_id, health, deregistration_delay_s)

    def delete_group(self, group_id: str) -> None:
        self._started().delete_group(group_id)

    def register(self, group_id: str, targets: Any) -> None:
        self._started().register(group_id, targets)

    def deregister(self, group_id: str, targets: Any) -> None:
        self._started().deregister(group_id, targets)

    def target_health(self, group_id: str, targets: Any = None) -> list[TargetHealth]:
        return list(self._started().target_health(group_id, targets))

    def open_listener(self, listener_id: str, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        return tuple(self._started().open_listener(listener_id, host, port))

    def set_forward(self, listener_id: str, forward: Any) -> None:
        self._started().set_forward(listener_id, forward)

    def forward_weights(self, listener_id: str) -> list[tuple[str, int]]:
        return list(self._started().forward_weights(listener_id))

    def close_listener(self, listener_id: str) -> None:
        self._started().close_listener(listener_id)
