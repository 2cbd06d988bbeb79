"""What a task looks like from outside: ECS's lifecycle states, stop codes and reasons.

The shapes mirror ECS's ``Task`` and ``Container`` (DescribeTasks) closely enough that the ECS
emulation copies fields across one by one. Snapshots are frozen: a status handed to a request
thread never changes under it. Sources of the reason texts: docs/sandbox-runtime.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# ECS task lifecycle (lastStatus / desiredStatus)
PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
DEPROVISIONING = "DEPROVISIONING"
STOPPED = "STOPPED"

# ECS TaskStopCode values
TASK_FAILED_TO_START = "TaskFailedToStart"
ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
USER_INITIATED = "UserInitiated"
SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"

# stoppedReason texts ECS uses
ESSENTIAL_EXITED_REASON = "Essential container in task exited"
STOPPED_BY_USER_REASON = "Task stopped by user"


def scaling_reason(deployment_id: str) -> str:
    """The reason ECS gives a task its scheduler stops while scaling a service down."""
    return f"Scaling activity initiated by (deployment {deployment_id})"


def simulated_reason(why: str) -> str:
    """The status reason of every simulated task: says that and why no container runs."""
    return f"simulated: no Docker engine reachable ({why})"


@dataclass(frozen=True)
class NetworkBinding:
    """ECS's ``networkBindings`` entry: where a container port is reachable from this machine."""

    bind_ip: str
    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    last_status: str
    image: str
    essential: bool
    exit_code: int | None = None
    reason: str | None = None
    runtime_id: str | None = None  # the Docker container id (ECS's ``runtimeId``)
    image_digest: str | None = None
    network_bindings: tuple[NetworkBinding, ...] = ()


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    last_status: str
    desired_status: str
    containers: tuple[ContainerStatus, ...]
    stopped_reason: str | None = None
    stop_code: str | None = None
    status_reason: str | None = None  # set on every simulated task: why it is simulated
    created_at: float | None = None  # epoch seconds, as ECS's timestamps
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None

    @property
    def ports(self) -> dict[tuple[str, int], tuple[str, int]]:
        """(container name, containerPort) -> (host, hostPort) for every published TCP port."""
        out: dict[tuple[str, int], tuple[str, int]] = {}
        for c in self.containers:
            for b in c.network_bindings:
                if b.protocol == "tcp":
                    out[(c.name, b.container_port)] = (b.bind_ip, b.host_port)
        return out

    def container(self, name: str) -> ContainerStatus:
        for c in self.containers:
            if c.name == name:
                return c
        raise KeyError(f"task {self.task_id} has no container named {name!r}")


@dataclass(frozen=True)
class RunningTask:
    """What ``start`` answers once the task left PENDING: RUNNING with its ports, or STOPPED
    (a pull or start failure) with the reason in ``status``. Simulated tasks have no ports."""

    task_id: str
    status: TaskStatus
    ports: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
