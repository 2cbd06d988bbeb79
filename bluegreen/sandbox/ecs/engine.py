"""The sandbox's ECS engine: services under the CODE_DEPLOY controller that really run tasks.

``EcsEngine`` is what ``handle.services["ecs"]`` holds: the task-set control CodeDeploy uses
(:class:`TaskSetControl`), and the service operations the ECS API handler calls after moto has
accepted a request (a service created, scaled, deleted; a task listed, described, stopped).
"""

from __future__ import annotations

import time
from typing import Any

from ..clock import Clock
from ..runtime import TaskRuntime
from .addresses import AddressMap
from .logstreams import TaskLogStreams
from .model import ACTIVE, DRAINING, INACTIVE, PRIMARY, STOPPED, LoadBalancerSpec, ServiceRecord, TaskRecord
from .motostate import MotoState
from .scheduler import Scheduler, Targets
from .tasksets import TaskSetControl

# The product's stack tag: the containers carry its value as a label (written out here because
# the sandbox imports nothing from the rest of bluegreen).
STACK_TAG = "bluegreen:stack"


class EcsEngine(TaskSetControl):
    def __init__(self, account_id: str, runtime: TaskRuntime, targets: Targets, addresses: AddressMap,
                 clock: Clock, *, tick_s: float = 0.1) -> None:
        moto = MotoState(account_id)
        self.runtime = runtime
        self.logs = TaskLogStreams(account_id, runtime)  # read by the Logs API (services/logs)
        scheduler = Scheduler(account_id, runtime, targets, addresses, clock, self.logs,
                              moto.task_definition, moto.subnet, tick_s=tick_s)
        super().__init__(account_id, scheduler, moto)

    def stop(self) -> None:
        """The scheduler's loop ends (the runtime stops the containers)."""
        self.scheduler.stop()

    # --- services ------------------------------------------------------------------------------

    def add_service(self, region: str, service: Any) -> ServiceRecord:
        """A CODE_DEPLOY service moto just created: its first task set, PRIMARY at 100% with the
        service's task definition and load balancer, as ECS creates it."""
        tags = {t.get("key"): t.get("value") for t in service.tags or []}
        record = ServiceRecord(
            region=region, name=service.name, arn=service.arn, cluster_name=service.cluster_name,
            cluster_arn=service.cluster_arn, desired_count=int(service.desired_count or 0),
            launch_type=service.launch_type or "EC2", platform_version=service.platform_version,
            network_configuration=service.network_configuration or None,
            load_balancers=[LoadBalancerSpec(lb["targetGroupArn"], lb["containerName"], int(lb["containerPort"]))
                            for lb in service.load_balancers or [] if lb.get("targetGroupArn")],
            stack=tags.get(STACK_TAG))
        with self.scheduler.lock:
            self.scheduler.services[record.arn] = record
            if service.task_definition:
                self.add_task_set(record, service.task_definition, list(record.load_balancers), PRIMARY, 100.0, None)
        self.scheduler.wake()
        return record

    def service_record(self, region: str, cluster: str, name: str) -> ServiceRecord | None:
        with self.scheduler.lock:
            return self.find_service(region, cluster, name)

    def set_desired(self, record: ServiceRecord, count: int) -> None:
        with self.scheduler.lock:
            if record.status == ACTIVE:
                record.desired_count = int(count)
        self.scheduler.wake()

    def delete_service(self, record: ServiceRecord) -> None:
        """DRAINING until its tasks stopped, then INACTIVE (DeleteService, ECS API reference)."""
        with self.scheduler.lock:
            if record.status != ACTIVE:
                return
            record.status = DRAINING
            record.desired_count = 0
            if not record.tasks or all(t.phase == STOPPED for t in record.tasks):
                record.status = INACTIVE
                record.inactive_at = time.time()
        self.scheduler.wake()

    def cluster_counts(self, region: str, cluster_name: str) -> tuple[int, int, int, list[str]]:
        """Active services, running and pending tasks of a cluster, and the ARNs of the services
        the scheduler runs there (whichever their status)."""
        with self.scheduler.lock:
            mine = [s for s in self.scheduler.services.values()
                    if s.region == region and s.cluster_name == cluster_name]
            active = sum(1 for s in mine if s.status == ACTIVE)
            running = sum(s.running for s in mine)
            pending = sum(s.pending for s in mine)
            return active, running, pending, [s.arn for s in mine]

    def busy(self, region: str, cluster_name: str) -> tuple[bool, bool]:
        """(a service is ACTIVE or DRAINING, a task has not stopped) in the cluster."""
        with self.scheduler.lock:
            mine = [s for s in self.scheduler.services.values()
                    if s.region == region and s.cluster_name == cluster_name]
            services = any(s.status in (ACTIVE, DRAINING) for s in mine)
            tasks = any(t.phase != STOPPED for s in mine for t in s.tasks)
            return services, tasks

    # --- tasks ---------------------------------------------------------------------------------

    def find_task(self, region: str, cluster_name: str, reference: str) -> TaskRecord | None:
        """A task by ARN or id, in that cluster (under the lock or not: the lookup is atomic)."""
        task_id = reference.split("/")[-1]
        for task in list(self.scheduler.tasks.values()):
            service = task.service
            if task.task_id == task_id and service.region == region and service.cluster_name == cluster_name:
                return task
        return None

    def list_tasks(self, region: str, cluster_name: str, *, service: str | None, family: str | None,
                   started_by: str | None, desired_status: str, launch_type: str | None) -> list[str]:
        with self.scheduler.lock:
            out = []
            for task in self.scheduler.tasks.values():
                record = task.service
                if record.region != region or record.cluster_name != cluster_name:
                    continue
                if service is not None and record.name != service.split("/")[-1]:
                    continue
                if family is not None and task.definition.get("family") != family:
                    continue
                if started_by is not None and task.task_set.id != started_by:
                    continue
                if launch_type is not None and record.launch_type != launch_type:
                    continue
                if task.desired_status != desired_status:
                    continue
                out.append(task.arn)
            return out
