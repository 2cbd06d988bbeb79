"""The runtime's mutable book-keeping of one task, and its frozen snapshot.

Records are changed only under the owning runtime's lock; everything handed out is a
:class:`TaskStatus` snapshot taken under that lock.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

from .spec import ContainerSpec, TaskSpec
from .status import PENDING, PROVISIONING, RUNNING, ContainerStatus, NetworkBinding, RunningTask, TaskStatus


@dataclass
class ContainerRecord:
    spec: ContainerSpec
    last_status: str = PENDING
    exit_code: int | None = None
    reason: str | None = None
    runtime_id: str | None = None
    image_digest: str | None = None
    bindings: tuple[NetworkBinding, ...] = ()
    archived_logs: list[tuple[int, str]] | None = None  # set just before the container is removed
    removed: bool = False

    def snapshot(self) -> ContainerStatus:
        return ContainerStatus(
            name=self.spec.name,
            last_status=self.last_status,
            image=self.spec.image,
            essential=self.spec.essential,
            exit_code=self.exit_code,
            reason=self.reason,
            runtime_id=self.runtime_id,
            image_digest=self.image_digest,
            network_bindings=self.bindings,
        )


@dataclass
class TaskRecord:
    spec: TaskSpec
    created_at: float
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    last_status: str = PROVISIONING
    desired_status: str = RUNNING
    stopped_reason: str | None = None
    stop_code: str | None = None
    status_reason: str | None = None
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None
    launched: Future[RunningTask] = field(default_factory=Future)
    stopped: Future[TaskStatus] = field(default_factory=Future)

    def __post_init__(self) -> None:
        if not self.containers:
            self.containers = {c.name: ContainerRecord(c) for c in self.spec.containers}

    def snapshot(self) -> TaskStatus:
        return TaskStatus(
            task_id=self.spec.task_id,
            last_status=self.last_status,
            desired_status=self.desired_status,
            containers=tuple(c.snapshot() for c in self.containers.values()),
            stopped_reason=self.stopped_reason,
            stop_code=self.stop_code,
            status_reason=self.status_reason,
            created_at=self.created_at,
            pull_started_at=self.pull_started_at,
            pull_stopped_at=self.pull_stopped_at,
            started_at=self.started_at,
            stopping_at=self.stopping_at,
            stopped_at=self.stopped_at,
        )

    def running_task(self) -> RunningTask:
        status = self.snapshot()
        return RunningTask(self.spec.task_id, status, status.ports)
