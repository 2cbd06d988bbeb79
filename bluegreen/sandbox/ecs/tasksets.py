"""Task sets of CODE_DEPLOY services, for the sandbox's CodeDeploy.

On AWS, CodeDeploy manages a CODE_DEPLOY service's task sets itself; the public CreateTaskSet,
UpdateTaskSet and DeleteTaskSet are for the EXTERNAL controller and refused here too. This is the
way in for the deployment engine: the same operations, on the scheduler's records. Errors are
:class:`bluegreen.sandbox.wire.AwsError` with ECS's codes.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..wire import AwsError
from .model import ACTIVE, DRAINING, PRIMARY, LoadBalancerSpec, ServiceRecord, TaskSetRecord
from .motostate import MotoState
from .scheduler import Scheduler


@dataclass(frozen=True)
class TaskSetView:
    arn: str
    id: str
    service_arn: str
    cluster_arn: str
    status: str  # PRIMARY | ACTIVE | DRAINING
    task_definition: str
    target_group_arn: str | None
    scale_percent: float
    computed_desired: int
    pending: int
    running: int
    healthy_targets: int
    stability: str  # STEADY_STATE | STABILIZING
    external_id: str | None
    created_at: datetime
    updated_at: datetime


def view(ts: TaskSetRecord) -> TaskSetView:
    """Under the scheduler's lock."""
    return TaskSetView(
        arn=ts.arn, id=ts.id, service_arn=ts.service.arn, cluster_arn=ts.service.cluster_arn,
        status=ts.status, task_definition=ts.task_definition_arn,
        target_group_arn=ts.load_balancers[0].target_group_arn if ts.load_balancers else None,
        scale_percent=ts.scale_percent, computed_desired=ts.computed_desired, pending=ts.pending,
        running=ts.running, healthy_targets=ts.healthy_targets, stability=ts.stability,
        external_id=ts.external_id, created_at=datetime.fromtimestamp(ts.created_at, UTC),
        updated_at=datetime.fromtimestamp(ts.updated_at, UTC),
    )


def new_task_set_id() -> str:
    """ECS's form: ``ecs-svc/`` and 19 digits."""
    return f"ecs-svc/{random.randrange(10**18, 10**19)}"


class TaskSetControl:
    def __init__(self, account_id: str, scheduler: Scheduler, moto: MotoState) -> None:
        self.account_id = account_id
        self.scheduler = scheduler
        self.moto = moto

    # --- lookups (under the lock) ---------------------------------------------------------

    def find_service(self, region: str, cluster: str, service: str) -> ServiceRecord | None:
        """The newest record of a service by name or ARN (DRAINING and INACTIVE included)."""
        cluster_name = cluster.split("/")[-1]
        name = service.split("/")[-1]
        found = [s for s in self.scheduler.services.values()
                 if s.region == region and s.cluster_name == cluster_name and s.name == name]
        return max(found, key=lambda s: s.created_at) if found else None

    def _active_service(self, region: str, cluster: str, service: str) -> ServiceRecord:
        if self.moto.cluster(region, cluster) is None:
            raise AwsError("ClusterNotFoundException", "Cluster not found.")
        record = self.find_service(region, cluster, service)
        if record is None:
            raise AwsError("ServiceNotFoundException", "Service not found.")
        if record.status != ACTIVE:
            raise AwsError("ServiceNotActiveException", "Service was not ACTIVE.")
        return record

    def _task_set(self, arn: str) -> TaskSetRecord:
        ts = self.scheduler.task_sets.get(arn)
        if ts is None:
            raise AwsError("TaskSetNotFoundException", f"The specified task set does not exist: {arn}")
        return ts

    # --- TaskSetControl ---------------------------------------------------------------------

    def create_task_set(
        self,
        *,
        region: str,
        cluster: str,
        service: str,
        task_definition: str,
        target_group_arn: str,
        container_name: str,
        container_port: int,
        external_id: str | None = None,
        scale_percent: float = 100.0,
    ) -> TaskSetView:
        """A new ACTIVE task set with the service's network configuration and launch type."""
        _check_scale(scale_percent)
        definition = self.moto.task_definition(region, task_definition)
        if not self.moto.target_group_exists(region, target_group_arn):
            raise AwsError("InvalidParameterException",
                           f"Unable to assume role and validate the specified targetGroupArn. Please verify "
                           f"that the ECS service role being passed has the proper permissions. ({target_group_arn})")
        names = {c.get("name") for c in definition["containerDefinitions"]}
        if container_name not in names:
            raise AwsError("InvalidParameterException",
                           f"The container {container_name} does not exist in the task definition.")
        with self.scheduler.lock:
            record = self._active_service(region, cluster, service)
            ts = self.add_task_set(record, definition["taskDefinitionArn"],
                                   [LoadBalancerSpec(target_group_arn, container_name, int(container_port))],
                                   ACTIVE, scale_percent, external_id, started_by="CODE_DEPLOY")
            answer = view(ts)
        self.scheduler.wake()
        return answer

    def update_scale(self, task_set_arn: str, percent: float) -> TaskSetView:
        _check_scale(percent)
        with self.scheduler.lock:
            ts = self._task_set(task_set_arn)
            ts.scale_percent = float(percent)
            ts.updated_at = _now()
            answer = view(ts)
        self.scheduler.wake()
        return answer

    def set_primary(self, task_set_arn: str) -> TaskSetView:
        """The others become ACTIVE; the service's taskDefinition follows the primary."""
        with self.scheduler.lock:
            ts = self._task_set(task_set_arn)
            if ts.status == DRAINING:
                raise AwsError("InvalidParameterException", "The task set is being deleted.")
            for other in ts.service.task_sets:
                if other is not ts and other.status == PRIMARY:
                    other.status = ACTIVE
                    other.updated_at = _now()
            ts.status = PRIMARY
            ts.updated_at = _now()
            moto_service = self.moto.service(ts.service.region, ts.service.cluster_name, ts.service.name)
            if moto_service is not None:
                moto_service.task_definition = ts.task_definition_arn
            answer = view(ts)
        self.scheduler.wake()
        return answer

    def delete_task_set(self, task_set_arn: str) -> None:
        """DRAINING: its tasks leave their target groups and stop; then it is gone."""
        with self.scheduler.lock:
            ts = self._task_set(task_set_arn)
            ts.status = DRAINING
            ts.updated_at = _now()
        self.scheduler.wake()

    def get(self, task_set_arn: str) -> TaskSetView | None:
        with self.scheduler.lock:
            ts = self.scheduler.task_sets.get(task_set_arn)
            return view(ts) if ts is not None else None

    def service_task_sets(self, *, region: str, cluster: str, service: str) -> list[TaskSetView]:
        with self.scheduler.lock:
            record = self.find_service(region, cluster, service)
            return [view(ts) for ts in record.task_sets] if record is not None else []

    # --- shared with the service operations --------------------------------------------------

    def add_task_set(self, service: ServiceRecord, task_definition_arn: str, load_balancers: list[LoadBalancerSpec],
                     status: str, scale_percent: float, external_id: str | None,
                     started_by: str | None = None) -> TaskSetRecord:
        """Under the lock."""
        ts_id = new_task_set_id()
        arn = (f"arn:aws:ecs:{service.region}:{self.account_id}:task-set/"
               f"{service.cluster_name}/{service.name}/{ts_id}")
        ts = TaskSetRecord(ts_id, arn, service, task_definition_arn, load_balancers, status,
                           float(scale_percent), external_id, started_by)
        service.task_sets.append(ts)
        self.scheduler.task_sets[arn] = ts
        return ts


def _check_scale(percent: float) -> None:
    if not 0.0 <= float(percent) <= 100.0:
        raise AwsError("InvalidParameterException", "The scale value must be between 0 and 100 percent.")


def _now() -> float:
    return time.time()
