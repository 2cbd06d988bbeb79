"""The service scheduler: keeps each task set of a CODE_DEPLOY service at its computed desired
count, with real tasks.

One thread reconciles every service a few times a second (and at once after a change): it
starts the tasks a task set lacks through the task runtime, registers a task's targets once it
is RUNNING, and stops the tasks it has too many of the way ECS does: deregister first, wait out
the target group's deregistration delay (the load balancer drains the task meanwhile), then stop
the containers. A task whose essential container exits is deregistered at once and replaced.
Tasks that never reach RUNNING are retried with a growing delay (ECS's service throttle logic).

All state is under one lock; the calls made while holding it (the runtime's ``start_async`` /
``stop_async`` / ``status``, the data plane's) return at once and never call back in here.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from ..clock import Clock
from ..runtime import (
    RUNNING as RT_RUNNING,
)
from ..runtime import (
    SERVICE_SCHEDULER_INITIATED,
    STOPPED_BY_USER_REASON,
    TASK_FAILED_TO_START,
    USER_INITIATED,
    TaskRuntime,
    TaskSpec,
    scaling_reason,
)
from ..runtime import (
    STOPPED as RT_STOPPED,
)
from . import events
from .addresses import Address, AddressMap
from .logstreams import TaskLogStreams
from .model import (
    ACTIVE,
    DEACTIVATING,
    DRAINING,
    INACTIVE,
    LAUNCHING,
    RUNNING,
    STABILIZING,
    STEADY_STATE,
    STOPPED,
    STOPPING,
    Eni,
    ServiceRecord,
    TaskRecord,
    TaskSetRecord,
)

log = logging.getLogger("bluegreen.sandbox.ecs")

THROTTLE_FIRST_S = 5.0  # AWS seconds before retrying after the first failed start
THROTTLE_MAX_S = 27 * 60.0  # the Developer Guide's ceiling between attempts
THROTTLE_REPORT_AFTER = 3  # failed starts in a row before the "unable to consistently" event
STOPPED_TASKS_KEPT_S = 3600.0  # ECS lists a stopped task for at least an hour
MAX_STOPPED_TASKS = 1000


class Targets(Protocol):
    """What the scheduler asks of the load balancers (the sandbox's ELBv2)."""

    def register(self, group_arn: str, targets: list[Address]) -> None: ...
    def deregister(self, group_arn: str, targets: list[Address]) -> None: ...
    def healthy(self, group_arn: str, targets: list[Address]) -> set[Address]: ...
    def deregistration_delay_s(self, group_arn: str) -> float: ...


# (region, task definition ARN) -> the definition as DescribeTaskDefinition shapes it
DefinitionSource = Callable[[str, str], dict[str, Any]]
# (region, subnet id) -> (CIDR, availability zone, private IPs other interfaces hold there)
SubnetSource = Callable[[str, str], tuple[str, str, set[str]]]


class Scheduler:
    def __init__(
        self,
        account_id: str,
        runtime: TaskRuntime,
        targets: Targets,
        addresses: AddressMap,
        clock: Clock,
        logs: TaskLogStreams,
        definitions: DefinitionSource,
        subnets: SubnetSource,
        *,
        tick_s: float = 0.1,
    ) -> None:
        self.account_id = account_id
        self.runtime = runtime
        self.targets = targets
        self.addresses = addresses
        self.clock = clock
        self.logs = logs
        self.definitions = definitions
        self.subnets = subnets
        self.tick_s = tick_s
        self.lock = threading.RLock()
        self.services: dict[str, ServiceRecord] = {}  # by ARN; a re-created service replaces it
        self.task_sets: dict[str, TaskSetRecord] = {}  # by ARN, while in a service
        self.tasks: dict[str, TaskRecord] = {}  # by ARN, stopped ones for a while
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bluegreen-sandbox-ecs-scheduler", daemon=True)
        self._thread.start()

    # --- changes from the API and from CodeDeploy (callers hold no lock) -------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """End the loop (the runtime stops the containers when it closes)."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def begin_stop(self, task: TaskRecord, reason: str, stop_code: str) -> None:
        """Under the lock: desired STOPPED; deregister and drain first when it has targets."""
        if task.desired_status == "STOPPED" or task.phase == STOPPED:
            return
        task.desired_status = "STOPPED"
        task.stopped_reason, task.stop_code = reason, stop_code
        if task.phase == RUNNING and task.registered:
            groups = {group for group, _, _ in task.registered}
            delay = max(self.targets.deregistration_delay_s(g) for g in groups)
            self._deregister(task)
            events.record(task.service, events.draining(task.service, task.task_set, 1))
            task.drain_until = time.monotonic() + self.clock.real(delay)
            task.phase = DEACTIVATING
        else:
            self._stop_containers(task)
        self.wake()

    def stop_task(self, task: TaskRecord, reason: str | None) -> None:
        """StopTask: the scheduler replaces it, as it replaces any task of a service."""
        with self.lock:
            self.begin_stop(task, reason or STOPPED_BY_USER_REASON, USER_INITIATED)

    # --- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.tick_s)
            self._wake.clear()
            if self._stopping.is_set():
                return
            with self.lock:
                for service in list(self.services.values()):
                    if service.status == INACTIVE:
                        continue
                    try:
                        self._reconcile(service)
                    except Exception:  # one service's trouble must not stop the others
                        log.exception("ECS scheduler failed on service %s", service.arn)
                self._prune()

    def _reconcile(self, service: ServiceRecord) -> None:
        now = time.monotonic()
        for task_set in list(service.task_sets):
            self._advance(task_set, now)
            self._scale(task_set, now)
            self._measure(task_set)
            if task_set.status == DRAINING and not task_set.unfinished:
                service.task_sets.remove(task_set)  # gone from DescribeServices, as on ECS
                self.task_sets.pop(task_set.arn, None)
        if service.status == ACTIVE:
            steady = bool(service.task_sets) and all(ts.stability == STEADY_STATE for ts in service.task_sets)
            if steady and not service.steady:
                events.record(service, events.steady_state(service))
            service.steady = steady
        elif service.status == DRAINING and not any(ts.unfinished for ts in service.task_sets):
            service.status = INACTIVE
            service.inactive_at = time.time()
            for task_set in service.task_sets:
                self.task_sets.pop(task_set.arn, None)
            service.task_sets = []

    def _advance(self, task_set: TaskSetRecord, now: float) -> None:
        """Follow each task's runtime status and act on what changed."""
        for task in task_set.tasks:
            if task.phase == STOPPED:
                continue
            # KeyError: the runtime never took it (its start failed): the record says why
            with contextlib.suppress(KeyError):
                task.status = self.runtime.status(task.task_id)
            status = task.status
            last = status.last_status if status is not None else None
            if task.phase == LAUNCHING:
                if last == RT_RUNNING and task.desired_status == "RUNNING":
                    task.ran = True
                    task_set.failed_starts = 0
                    task_set.throttle_reported = False
                    self._register(task)
                    task.phase = RUNNING
                elif last == RT_STOPPED:
                    self._finish(task, failed_start=True)
            elif task.phase == RUNNING and last in ("DEPROVISIONING", RT_STOPPED):
                # an essential container exited: the runtime stops the task; it leaves the load
                # balancer at once (there is nothing to drain) and the scheduler replaces it
                task.desired_status = "STOPPED"
                self._deregister(task)
                task.phase = STOPPING
            elif task.phase == DEACTIVATING and task.drain_until is not None and now >= task.drain_until:
                self._stop_containers(task)
            if task.phase == STOPPING and last == RT_STOPPED:
                self._finish(task)

    def _scale(self, task_set: TaskSetRecord, now: float) -> None:
        service = task_set.service
        want = task_set.computed_desired
        live = task_set.live_tasks
        if len(live) < want and service.status == ACTIVE and now >= task_set.next_start_at:
            started = [self._start_task(task_set) for _ in range(want - len(live))]
            events.record(service, events.started(service, task_set, [t.task_id for t in started]))
        elif len(live) > want:
            # tasks still starting go first, then the newest: the ones that served longest stay
            order = sorted(live, key=lambda t: (t.phase == RUNNING, -t.created_at))
            extra = order[: len(live) - want]
            for task in extra:
                self.begin_stop(task, scaling_reason(task_set.id), SERVICE_SCHEDULER_INITIATED)
            events.record(service, events.stopped(service, [t.task_id for t in extra]))

    def _measure(self, task_set: TaskSetRecord) -> None:
        """Healthy targets and stability (the TaskSet API reference's conditions for
        STEADY_STATE: running equals the computed desired count, nothing pending, nothing
        draining, every task healthy in its load balancers)."""
        running = [t for t in task_set.tasks if t.phase == RUNNING]
        healthy_tasks = 0
        if task_set.load_balancers:
            by_group: dict[str, list[Address]] = {}
            for task in running:
                for group, ip, port in task.registered:
                    by_group.setdefault(group, []).append((ip, port))
            healthy: set[tuple[str, str, int]] = set()
            for group, addresses in by_group.items():
                healthy |= {(group, ip, port) for ip, port in self.targets.healthy(group, addresses)}
            for task in running:
                if task.registered and all(r in healthy for r in task.registered):
                    healthy_tasks += 1
        else:
            healthy_tasks = len(running)
        task_set.healthy_targets = healthy_tasks
        settling = any(t.phase in (DEACTIVATING, STOPPING) for t in task_set.tasks)
        steady = (task_set.running == task_set.computed_desired and task_set.pending == 0 and not settling
                  and healthy_tasks == len(running))
        stability = STEADY_STATE if steady else STABILIZING
        if stability != task_set.stability:
            task_set.stability = stability
            task_set.stability_at = time.time()

    # --- one task ----------------------------------------------------------------------------

    def _start_task(self, task_set: TaskSetRecord) -> TaskRecord:
        service = task_set.service
        task_id = uuid.uuid4().hex
        arn = f"arn:aws:ecs:{service.region}:{self.account_id}:task/{service.cluster_name}/{task_id}"
        definition: dict[str, Any] = {}
        task = TaskRecord(task_id, arn, task_set, task_set.task_definition_arn, definition, None)
        task_set.tasks.append(task)
        self.tasks[arn] = task
        try:
            definition.update(self.definitions(service.region, task_set.task_definition_arn))
            if definition.get("networkMode") == "awsvpc":
                task.eni = self._eni(service)
            spec = TaskSpec.from_task_definition(
                definition, task_id=task_id, cluster=service.cluster_name, task_arn=arn,
                service=service.name, task_set_id=task_set.id, stack=service.stack)
            self.runtime.start_async(spec)
        except Exception as exc:  # a definition the runtime cannot run, no address left...
            log.info("task %s of %s could not start: %s", task_id, service.arn, exc)
            task.desired_status = "STOPPED"
            task.stopped_reason = f"CannotStartContainerError: {exc}"
            task.stop_code = TASK_FAILED_TO_START
            self._finish(task, failed_start=True)
            return task
        self.logs.watch(task_id, service.region, definition)
        return task

    def _eni(self, service: ServiceRecord) -> Eni:
        """An interface in one of the service's subnets, in turn (ECS spreads tasks over the
        availability zones of the subnets given)."""
        subnets = ((service.network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
        if not subnets:
            raise ValueError("the service has no subnet for its awsvpc tasks")
        subnet_id = str(subnets[service.subnet_turn % len(subnets)])
        service.subnet_turn += 1
        cidr, zone, taken = self.subnets(service.region, subnet_id)
        ip = self.addresses.allocate(cidr, taken)
        dns = f"ip-{ip.replace('.', '-')}." + (
            "ec2.internal" if service.region == "us-east-1" else f"{service.region}.compute.internal")
        mac = "0e:" + ":".join(f"{b:02x}" for b in uuid.uuid4().bytes[:5])
        return Eni(f"eni-{uuid.uuid4().hex[:17]}", str(uuid.uuid4()), subnet_id, zone, ip, mac, dns)

    def _register(self, task: TaskRecord) -> None:
        """The task runs: its load balancer targets go in, as ``ip`` targets at its interface's
        address (``awsvpc``) or at the published loopback port itself (other network modes)."""
        status = task.status
        if status is None:
            return
        ports = status.ports
        for lb in task.task_set.load_balancers:
            real = ports.get((lb.container_name, lb.container_port))
            if real is None:
                continue  # a simulated task has no ports; a missing port mapping neither
            registered = (task.eni.private_ip, lb.container_port) if task.eni is not None else real
            self.addresses.bind(registered, real)
            try:
                self.targets.register(lb.target_group_arn, [registered])
            except Exception as exc:  # the group went away meanwhile
                log.info("task %s: registering in %s failed: %s", task.task_id, lb.target_group_arn, exc)
                continue
            task.registered.append((lb.target_group_arn, *registered))
            events.record(task.service, events.registered(task.service, 1, lb.target_group_arn))
        if self.runtime.simulated and task.task_set.load_balancers and not task.task_set.simulated_reported:
            task.task_set.simulated_reported = True
            reason = status.status_reason or "the tasks are simulated"
            events.record(task.service, events.no_targets(task.service, reason))

    def _deregister(self, task: TaskRecord) -> None:
        groups: dict[str, list[Address]] = {}
        for group, ip, port in task.registered:
            groups.setdefault(group, []).append((ip, port))
        task.registered = []
        for group, addresses in groups.items():
            try:
                self.targets.deregister(group, addresses)
            except Exception as exc:  # the group was deleted first: nothing left to leave
                log.info("task %s: deregistering from %s failed: %s", task.task_id, group, exc)
            events.record(task.service, events.deregistered(task.service, len(addresses), group))

    def _stop_containers(self, task: TaskRecord) -> None:
        task.phase = STOPPING
        try:
            self.runtime.stop_async(task.task_id, task.stopped_reason or STOPPED_BY_USER_REASON,
                                    task.stop_code or USER_INITIATED)
        except KeyError:  # the runtime never had it
            self._finish(task)
        except RuntimeError:  # the runtime is closing: it stops everything itself
            pass

    def _finish(self, task: TaskRecord, failed_start: bool = False) -> None:
        task.phase = STOPPED
        task.desired_status = "STOPPED"
        task.finished_at = time.time()
        if task.status is not None and task.stopped_reason is None:
            task.stopped_reason, task.stop_code = task.status.stopped_reason, task.status.stop_code
        if task.eni is not None:
            self.addresses.release(task.eni.private_ip)
        self.logs.finish(task.task_id)
        if failed_start and not task.ran:
            self._throttle(task.task_set)

    def _throttle(self, task_set: TaskSetRecord) -> None:
        """ECS's service throttle logic: a growing wait between attempts to start tasks that
        never reach RUNNING, up to 27 minutes, and one event saying so."""
        task_set.failed_starts += 1
        delay = min(THROTTLE_MAX_S, THROTTLE_FIRST_S * 2 ** (task_set.failed_starts - 1))
        task_set.next_start_at = time.monotonic() + self.clock.real(delay)
        if task_set.failed_starts >= THROTTLE_REPORT_AFTER and not task_set.throttle_reported:
            task_set.throttle_reported = True
            events.record(task_set.service, events.start_impaired(task_set.service))

    def _prune(self) -> None:
        cutoff = time.time() - STOPPED_TASKS_KEPT_S
        stopped = [t for t in self.tasks.values() if t.phase == STOPPED]
        old = [t for t in stopped if (t.finished_at or 0) < cutoff]
        if len(stopped) - len(old) > MAX_STOPPED_TASKS:
            old += sorted(stopped, key=lambda t: t.finished_at or 0)[: len(stopped) - MAX_STOPPED_TASKS]
        for task in old:
            self.tasks.pop(task.arn, None)
            if task in task.task_set.tasks:
                task.task_set.tasks.remove(task)
