"""In-memory stand-ins for what the deployment engine works with: ECS task sets
(:class:`MemoryTaskSets`, a :class:`~.ports.TaskSetControl`) and the public API
(:class:`MemoryApi`, a :class:`~.ports.PublicApi`).

The engine's tests run on them (the way the pipeline tests run on stand-in actions): tasks of a
new task set are PENDING for ``start_after`` real seconds, then RUNNING and healthy, unless their
task definition is listed in ``unhealthy`` (running, never healthy). Nothing here is installed in
a running sandbox.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ..wire import AwsError

PRIMARY, ACTIVE = "PRIMARY", "ACTIVE"


@dataclass(frozen=True)
class MemoryTaskSet:
    arn: str
    id: str
    service_arn: str
    cluster_arn: str
    status: str
    task_definition: str
    target_group_arn: str | None
    scale_percent: float
    computed_desired: int
    pending: int
    running: int
    healthy_targets: int
    stability: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime


class MemoryTaskSets:
    def __init__(self, account_id: str = "123456789012", *, start_after: float = 0.0) -> None:
        self.account_id = account_id
        self.start_after = start_after
        self.unhealthy: set[str] = set()  # task definitions whose tasks never pass health checks
        self.desired: dict[tuple[str, str, str], int] = {}  # (region, cluster, service) -> desiredCount
        self.calls: list[tuple[str, str]] = []  # (operation, task set ARN), in order
        self._sets: dict[str, tuple[tuple[str, str, str], MemoryTaskSet, float]] = {}
        self._lock = threading.RLock()

    def add_service(self, region: str, cluster: str, service: str, *, desired: int, task_definition: str,
                    target_group_arn: str) -> MemoryTaskSet:
        """A service as CreateService leaves it: one PRIMARY task set, its tasks running."""
        self.desired[(region, cluster, service)] = desired
        view = self._new(region, cluster, service, task_definition, target_group_arn, PRIMARY)
        with self._lock:
            key, ts, _ = self._sets[view.arn]
            self._sets[view.arn] = (key, ts, 0.0)  # started long ago
        return self._view(view.arn)

    def _new(self, region: str, cluster: str, service: str, task_definition: str, tg: str,
             status: str) -> MemoryTaskSet:
        key = (region, cluster, service)
        if key not in self.desired:
            raise AwsError("ServiceNotFoundException", "Service not found.")
        ident = "ecs-svc/" + uuid.uuid4().hex[:19]
        now = datetime.now(UTC)
        prefix = f"arn:aws:ecs:{region}:{self.account_id}"
        ts = MemoryTaskSet(
            arn=f"{prefix}:task-set/{cluster}/{service}/{ident}", id=ident,
            service_arn=f"{prefix}:service/{cluster}/{service}", cluster_arn=f"{prefix}:cluster/{cluster}",
            status=status, task_definition=task_definition, target_group_arn=tg, scale_percent=100.0,
            computed_desired=self.desired[key], pending=0, running=0, healthy_targets=0,
            stability="STABILIZING", external_id=None, created_at=now, updated_at=now,
        )
        with self._lock:
            self._sets[ts.arn] = (key, ts, time.monotonic())
        return ts

    def _view(self, arn: str) -> MemoryTaskSet:
        with self._lock:
            key, ts, started = self._sets[arn]
            desired = round(self.desired[key] * ts.scale_percent / 100)
            up = time.monotonic() - started >= self.start_after
            healthy = desired if up and ts.task_definition not in self.unhealthy else 0
            return replace(ts, computed_desired=desired, pending=0 if up else desired, running=desired if up else 0,
                           healthy_targets=healthy, stability="STEADY_STATE" if healthy == desired else "STABILIZING")

    # --- TaskSetControl ---------------------------------------------------------------------------

    def create_task_set(self, *, region: str, cluster: str, service: str, task_definition: str,
                        target_group_arn: str, container_name: str, container_port: int,
                        external_id: str | None = None, scale_percent: float = 100.0) -> MemoryTaskSet:
        ts = self._new(region, cluster, service, task_definition, target_group_arn, ACTIVE)
        self.calls.append(("CreateTaskSet", ts.arn))
        return self._view(ts.arn)

    def update_scale(self, task_set_arn: str, percent: float) -> MemoryTaskSet:
        with self._lock:
            key, ts, started = self._sets[task_set_arn]
            self._sets[task_set_arn] = (key, replace(ts, scale_percent=percent), started)
        self.calls.append(("UpdateTaskSet", task_set_arn))
        return self._view(task_set_arn)

    def set_primary(self, task_set_arn: str) -> MemoryTaskSet:
        with self._lock:
            key = self._sets[task_set_arn][0]
            for arn, (k, ts, started) in list(self._sets.items()):
                if k == key:
                    self._sets[arn] = (k, replace(ts, status=PRIMARY if arn == task_set_arn else ACTIVE), started)
        self.calls.append(("UpdateServicePrimaryTaskSet", task_set_arn))
        return self._view(task_set_arn)

    def delete_task_set(self, task_set_arn: str) -> None:
        with self._lock:
            if task_set_arn not in self._sets:
                raise AwsError("TaskSetNotFoundException", "The specified task set does not exist.")
            del self._sets[task_set_arn]
        self.calls.append(("DeleteTaskSet", task_set_arn))

    def get(self, task_set_arn: str) -> MemoryTaskSet | None:
        with self._lock:
            if task_set_arn not in self._sets:
                return None
        return self._view(task_set_arn)

    def service_task_sets(self, *, region: str, cluster: str, service: str) -> list[MemoryTaskSet]:
        with self._lock:
            arns = [arn for arn, (key, _, _) in self._sets.items() if key == (region, cluster, service)]
        return [self._view(arn) for arn in arns]


class MemoryApi:
    """Listeners, target groups, Lambda functions and S3 objects in memory."""

    def __init__(self) -> None:
        self.groups: dict[str, str] = {}  # name -> ARN
        self.listeners: dict[str, dict[str, int]] = {}  # ARN -> target group ARN -> weight
        self.functions: set[str] = set()
        self.objects: dict[tuple[str, str], bytes] = {}
        self.changes: list[tuple[float, str, dict[str, int]]] = []  # (monotonic time, listener, weights)
        self._lock = threading.Lock()

    def target_group_arn(self, region: str, name: str) -> str:
        if name not in self.groups:
            raise AwsError("TargetGroupNotFound", f"One or more target groups not found: {name}")
        return self.groups[name]

    def forward(self, region: str, listener_arn: str, weights: dict[str, int]) -> None:
        with self._lock:
            if listener_arn not in self.listeners:
                raise AwsError("ListenerNotFound", "One or more listeners not found")
            self.listeners[listener_arn] = dict(weights)
            self.changes.append((time.monotonic(), listener_arn, dict(weights)))

    def weights(self, region: str, listener_arn: str) -> dict[str, int]:
        with self._lock:
            return dict(self.listeners[listener_arn])

    def function_exists(self, region: str, name: str) -> bool:
        return name.rsplit(":", 1)[-1] in self.functions or name in self.functions

    def read_object(self, region: str, bucket: str, key: str, version: str | None) -> bytes:
        if (bucket, key) not in self.objects:
            raise AwsError("NoSuchKey", "The specified key does not exist.")
        return self.objects[(bucket, key)]
