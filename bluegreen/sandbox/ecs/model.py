"""The ECS scheduler's records: services under the CODE_DEPLOY controller, their task sets and
tasks. Mutable, and only ever touched under the scheduler's lock; what leaves the lock is a
rendered answer or a frozen view.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from ..runtime import TaskStatus

# Service.status
ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
INACTIVE = "INACTIVE"

# TaskSet.status (and ACTIVE, DRAINING above)
PRIMARY = "PRIMARY"

# TaskSet.stabilityStatus
STEADY_STATE = "STEADY_STATE"
STABILIZING = "STABILIZING"

# Where a task is in the scheduler's hands (the runtime knows the container side)
LAUNCHING = "launching"  # started in the runtime, not RUNNING yet
RUNNING = "running"  # RUNNING; its targets registered
DEACTIVATING = "deactivating"  # deregistered, waiting out the deregistration delay
STOPPING = "stopping"  # the runtime is stopping (or has stopped) its containers
STOPPED = "stopped"  # gone; kept a while for DescribeTasks, as ECS keeps stopped tasks


@dataclass(frozen=True)
class LoadBalancerSpec:
    """One entry of a service's (or task set's) ``loadBalancers``."""

    target_group_arn: str
    container_name: str
    container_port: int

    def shape(self) -> dict[str, Any]:
        return {"targetGroupArn": self.target_group_arn, "containerName": self.container_name,
                "containerPort": self.container_port}


@dataclass
class Eni:
    """The elastic network interface of an ``awsvpc`` task (synthetic: not in EC2's list)."""

    id: str
    attachment_id: str
    subnet_id: str
    availability_zone: str
    private_ip: str
    mac: str
    private_dns_name: str


@dataclass
class TaskRecord:
    task_id: str
    arn: str
    task_set: TaskSetRecord
    task_definition_arn: str
    definition: dict[str, Any]  # family, revision, containerDefinitions, cpu, memory, networkMode
    eni: Eni | None
    created_at: float = field(default_factory=time.time)
    phase: str = LAUNCHING
    desired_status: str = "RUNNING"
    stopped_reason: str | None = None
    stop_code: str | None = None
    status: TaskStatus | None = None  # the runtime's latest snapshot
    registered: list[tuple[str, str, int]] = field(default_factory=list)  # (group, ip, port)
    drain_until: float | None = None  # monotonic time the deregistration delay ends
    ran: bool = False  # reached RUNNING once (a failed start counts for the throttle)
    finished_at: float | None = None

    @property
    def last_status(self) -> str:
        if self.phase == DEACTIVATING:
            return "DEACTIVATING"
        if self.status is None:
            return "PROVISIONING"
        return self.status.last_status

    @property
    def service(self) -> ServiceRecord:
        return self.task_set.service


@dataclass
class TaskSetRecord:
    id: str  # ecs-svc/<digits>, also the startedBy of its tasks
    arn: str
    service: ServiceRecord
    task_definition_arn: str
    load_balancers: list[LoadBalancerSpec]
    status: str
    scale_percent: float = 100.0
    external_id: str | None = None
    started_by: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    stability: str = STABILIZING
    stability_at: float = field(default_factory=time.time)
    tasks: list[TaskRecord] = field(default_factory=list)
    failed_starts: int = 0  # in a row: the service throttle logic
    next_start_at: float = 0.0  # monotonic
    throttle_reported: bool = False
    simulated_reported: bool = False
    healthy_targets: int = 0

    @property
    def computed_desired(self) -> int:
        """ECS: the service's desiredCount times the scale, rounded up."""
        if self.status == DRAINING or self.service.status != ACTIVE:
            return 0
        return math.ceil(self.service.desired_count * self.scale_percent / 100.0 - 1e-9)

    @property
    def live_tasks(self) -> list[TaskRecord]:
        return [t for t in self.tasks if t.desired_status == "RUNNING" and t.phase != STOPPED]

    @property
    def running(self) -> int:
        return sum(1 for t in self.tasks if t.phase != STOPPED and t.last_status == "RUNNING")

    @property
    def pending(self) -> int:
        return sum(1 for t in self.tasks if t.desired_status == "RUNNING" and t.phase == LAUNCHING)

    @property
    def unfinished(self) -> list[TaskRecord]:
        return [t for t in self.tasks if t.phase != STOPPED]


@dataclass
class ServiceRecord:
    region: str
    name: str
    arn: str
    cluster_name: str
    cluster_arn: str
    desired_count: int
    launch_type: str
    platform_version: str | None
    network_configuration: dict[str, Any] | None
    load_balancers: list[LoadBalancerSpec]
    stack: str | None = None  # the bluegreen:stack tag, for the containers' labels
    status: str = ACTIVE
    task_sets: list[TaskSetRecord] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # newest first, as ECS answers
    steady: bool = False
    created_at: float = field(default_factory=time.time)
    inactive_at: float | None = None
    subnet_turn: int = 0  # tasks spread over the subnets in turn, as over availability zones

    @property
    def primary(self) -> TaskSetRecord | None:
        return next((ts for ts in self.task_sets if ts.status == PRIMARY), None)

    @property
    def tasks(self) -> list[TaskRecord]:
        return [t for ts in self.task_sets for t in ts.tasks]

    @property
    def running(self) -> int:
        return sum(ts.running for ts in self.task_sets)

    @property
    def pending(self) -> int:
        return sum(ts.pending for ts in self.task_sets)
