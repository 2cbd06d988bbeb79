"""The one interface the ECS emulation uses, whether tasks are containers or simulated."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Protocol, runtime_checkable

from .spec import TaskSpec
from .status import STOPPED_BY_USER_REASON, USER_INITIATED, RunningTask, TaskStatus


@runtime_checkable
class TaskRuntime(Protocol):
    simulated: bool  # True: no container runs; every status says why in status_reason
    instance_id: str  # the value of the bluegreen.sandbox label on everything it starts

    def start_async(self, spec: TaskSpec) -> Future[RunningTask]:
        """Register the task (PROVISIONING at once) and launch it in a worker; never blocks on
        the engine. Raises ValueError for a task id already known."""
        ...

    def start(self, spec: TaskSpec) -> RunningTask:
        """``start_async(spec).result()``."""
        ...

    def status(self, task_id: str) -> TaskStatus:
        """The task's current status, from memory (no engine call). KeyError for an unknown id."""
        ...

    def tasks(self) -> list[TaskStatus]:
        """Every task this runtime knows, stopped ones included."""
        ...

    def stop_async(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> Future[TaskStatus]:
        """Ask the task to stop (desiredStatus STOPPED at once, DEPROVISIONING while its
        containers go); the future gives the STOPPED status. A stopped task keeps its reason."""
        ...

    def stop(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> TaskStatus:
        """``stop_async(...).result()``."""
        ...

    def logs(self, task_id: str, container_name: str, since: int | None = None) -> list[tuple[int, str]]:
        """The container's output as (timestamp in ms, line), oldest first; ``since`` (ms) keeps
        lines at or after it. Still readable after the task stopped."""
        ...

    def stop_all(self, reason: str = STOPPED_BY_USER_REASON) -> None:
        """Stop every task still running and wait until they are STOPPED."""
        ...

    def sweep_orphans(self) -> list[str]:
        """Remove what sandboxes whose process is gone left behind; the names removed."""
        ...

    def close(self) -> None:
        """``stop_all``, then free the runtime's threads and engine connections."""
        ...
