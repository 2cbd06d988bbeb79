"""ECS tasks as containers on the local Docker engine.

One container per container definition, each containerPort published on 127.0.0.1 with a port
the engine picks (tasks of one service share container ports; fixed host ports would collide).
Every engine call runs in a worker or the monitor thread, never in the caller's: ``start_async``
and ``stop_async`` answer at once with the task PROVISIONING / DEPROVISIONING, ``status`` reads
memory. The monitor polls the engine for this runtime's containers while tasks run and stops a
task whose essential container exited, as ECS does. Details: docs/sandbox-runtime.md.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from . import containers as C
from . import labels as L
from .engine import ClientFactory, ClientPool, default_client_factory, explanation
from .images import RegistryAuth
from .logs import parse_timestamped, since_filter
from .monitor import ExitMonitor
from .pull import ImagePuller, Pulled, PullFailed, untag
from .records import ContainerRecord, TaskRecord
from .spec import ContainerSpec, TaskSpec
from .status import (
    DEPROVISIONING,
    ESSENTIAL_CONTAINER_EXITED,
    ESSENTIAL_EXITED_REASON,
    PENDING,
    RUNNING,
    STOPPED,
    STOPPED_BY_USER_REASON,
    TASK_FAILED_TO_START,
    USER_INITIATED,
    RunningTask,
    TaskStatus,
)

log = logging.getLogger("bluegreen.sandbox.runtime")


class DockerRuntime:
    simulated = False

    def __init__(
        self,
        client_factory: ClientFactory | None,
        registry_host: str,
        auth: RegistryAuth = None,
        *,
        time_scale: float = 1.0,
        stop_timeout_s: float = 2.0,
        poll_interval_s: float = 0.25,
        workers: int = 4,
        instance_id: str | None = None,
    ) -> None:
        """``stop_timeout_s``: how long ``docker stop`` lets a container handle SIGTERM before
        SIGKILL, divided by ``time_scale`` and rounded up to whole seconds (the engine's unit).
        ``poll_interval_s``: how soon an exited container is noticed (not scaled: it is latency,
        not AWS time)."""
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale}")
        self.instance_id = instance_id or L.new_instance_id()
        self.registry_host = registry_host
        self.time_scale = time_scale
        self._stop_timeout = math.ceil(stop_timeout_s / time_scale) if stop_timeout_s > 0 else 0
        self._pool = ClientPool(client_factory or default_client_factory)
        self._puller = ImagePuller(self._pool, registry_host, auth)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bluegreen-sandbox-runtime")
        self._lock = threading.RLock()
        self._tasks: dict[str, TaskRecord] = {}
        self._closing = False
        self._monitor = ExitMonitor(
            self._pool, self.instance_id, poll_interval_s, self._watched, self._container_exited
        )

    # --- the TaskRuntime interface -----------------------------------------------------------

    def start_async(self, spec: TaskSpec) -> Future[RunningTask]:
        with self._lock:
            if self._closing:
                raise RuntimeError("the task runtime is closed")
            if spec.task_id in self._tasks:
                raise ValueError(f"task {spec.task_id} already exists")
            record = TaskRecord(spec, created_at=time.time())
            self._tasks[spec.task_id] = record
            self._executor.submit(self._launch, record)
        return record.launched

    def start(self, spec: TaskSpec) -> RunningTask:
        return self.start_async(spec).result()

    def status(self, task_id: str) -> TaskStatus:
        with self._lock:
            return self._record(task_id).snapshot()

    def tasks(self) -> list[TaskStatus]:
        with self._lock:
            return [r.snapshot() for r in self._tasks.values()]

    def stop_async(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> Future[TaskStatus]:
        with self._lock:
            record = self._record(task_id)
            begun = self._begin_stop(record, reason, stop_code)
        if begun:
            self._schedule_teardown(record)
        return record.stopped

    def stop(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> TaskStatus:
        return self.stop_async(task_id, reason, stop_code).result()

    def logs(self, task_id: str, container_name: str, since: int | None = None) -> list[tuple[int, str]]:
        import docker

        with self._lock:
            container = self._container(task_id, container_name)
            archived, runtime_id = container.archived_logs, container.runtime_id
        if archived is not None:
            return since_filter(archived, since)
        if runtime_id is None:
            return []  # not created yet (or never: a failed pull)
        try:
            with self._pool.client() as client:
                # the engine filters by whole seconds; the exact cut is made below, in ms
                after = since // 1000 if since and since >= 1000 else None
                output = client.api.logs(runtime_id, stdout=True, stderr=True, timestamps=True, since=after)
        except docker.errors.NotFound:
            with self._lock:  # removed meanwhile: its output was archived first
                archived = container.archived_logs
            return since_filter(archived or [], since)
        return since_filter(parse_timestamped(output), since)

    def stop_all(self, reason: str = STOPPED_BY_USER_REASON) -> None:
        with self._lock:
            ids = [r.spec.task_id for r in self._tasks.values() if r.last_status != STOPPED]
        wait([self.stop_async(i, reason) for i in ids])
        self._remove_strays()

    def sweep_orphans(self) -> list[str]:
        # process imports the server module, which will import this package: import late
        from ..process import _alive

        removed: list[str] = []
        images: set[str] = set()
        with self._pool.client() as client:
            for found in client.api.containers(all=True, filters={"label": L.SANDBOX}):
                found_labels = found.get("Labels") or {}
                if not L.is_orphan(found_labels, self.instance_id, _alive):
                    continue
                with contextlib.suppress(Exception):  # gone meanwhile: swept by another sandbox
                    client.api.remove_container(found["Id"], force=True)
                    removed.append(_name(found))
                if found_labels.get(L.IMAGE):
                    images.add(found_labels[L.IMAGE])
        untag(self._pool, images)
        return removed

    def close(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
        try:
            self.stop_all()
        finally:
            self._monitor.close()
            self._executor.shutdown(wait=True)
            self._puller.remove_owned()
            self._pool.close()

    # --- launching ---------------------------------------------------------------------------

    def _launch(self, record: TaskRecord) -> None:
        """Whatever happens, the launch future gets an answer: callers wait on it."""
        try:
            result = self._launch_steps(record)
        except Exception as exc:  # the engine went away mid-launch, or refused something odd
            log.exception("task %s failed to launch", record.spec.task_id)
            try:
                result = self._fail_start(record, f"CannotStartContainerError: {explanation(exc)}", None)
            except Exception:
                with self._lock:
                    self._mark_stopped(record)
                    result = record.running_task()
        record.launched.set_result(result)

    def _launch_steps(self, record: TaskRecord) -> RunningTask:
        with self._lock:
            if record.desired_status == STOPPED:  # stopped before its turn came
                return self._stopped_unstarted(record)
            record.last_status = PENDING
            record.pull_started_at = time.time()
        pulled: dict[str, Pulled] = {}
        for c in record.spec.containers:
            if c.image in pulled:
                continue
            try:
                pulled[c.image] = self._puller.pull(c.image)
            except PullFailed as failed:
                return self._fail_start(record, failed.reason, c.image)
        with self._lock:
            record.pull_stopped_at = time.time()
            for held in record.containers.values():
                held.image_digest = pulled[held.spec.image].digest
            if record.desired_status == STOPPED:
                return self._stopped_unstarted(record)
        for c in record.spec.containers:
            failure = self._run_container(record, c, pulled[c.image])
            if failure is not None:
                return self._fail_start(record, failure, None)
        with self._lock:
            if record.desired_status == STOPPED:  # its teardown is scheduled after this launch
                return record.running_task()
            record.last_status = RUNNING
            record.started_at = time.time()
            for held in record.containers.values():
                if held.last_status == PENDING:
                    held.last_status = RUNNING
            self._monitor.ensure_started()
            return record.running_task()

    def _run_container(self, record: TaskRecord, spec: ContainerSpec, image: Pulled) -> str | None:
        """Create, start and read the published ports of one container; the failure reason, if any."""
        labels = L.container_labels(self.instance_id, record.spec, spec, image.reference if image.owned else None)
        kwargs = C.create_arguments(record.spec, spec, image.reference, labels)
        with self._pool.client() as client:
            try:
                container = client.containers.create(**kwargs)
            except Exception as exc:
                return self._container_failed(record, spec, "CannotCreateContainerError", exc)
            with self._lock:
                record.containers[spec.name].runtime_id = container.id
            try:
                container.start()
            except Exception as exc:
                return self._container_failed(record, spec, "CannotStartContainerError", exc)
            bindings = C.read_bindings(container, spec)
        with self._lock:
            record.containers[spec.name].bindings = bindings
        return None

    def _container_failed(self, record: TaskRecord, spec: ContainerSpec, error: str, exc: Exception) -> str:
        # the ECS agent's form: the error kind, then the engine's answer
        reason = f"{error}: Error response from daemon: {explanation(exc)}"
        with self._lock:
            record.containers[spec.name].reason = reason
        return reason

    def _fail_start(self, record: TaskRecord, reason: str, image: str | None) -> RunningTask:
        """The task never ran: remove what was created; STOPPED, TaskFailedToStart."""
        try:
            self._remove_containers(record)
        except Exception:
            log.exception("task %s: removing its containers failed", record.spec.task_id)
        with self._lock:
            for c in record.containers.values():
                if image is not None and c.spec.image == image:
                    c.reason = reason
            if record.desired_status != STOPPED or record.stopped_reason is None:
                record.stopped_reason, record.stop_code = reason, TASK_FAILED_TO_START
            record.desired_status = STOPPED
            record.stopping_at = record.stopping_at or time.time()
            self._mark_stopped(record)
            return record.running_task()

    def _stopped_unstarted(self, record: TaskRecord) -> RunningTask:
        self._mark_stopped(record)
        return record.running_task()

    # --- stopping ----------------------------------------------------------------------------

    def _begin_stop(self, record: TaskRecord, reason: str, stop_code: str) -> bool:
        """Under the lock: the first stop request (or essential exit) sets the reason; True when
        a teardown must be scheduled."""
        if record.last_status == STOPPED:
            if not record.stopped.done():
                record.stopped.set_result(record.snapshot())
            return False
        if record.desired_status == STOPPED:
            return False  # already stopping: same future, first reason kept
        record.desired_status = STOPPED
        record.stopped_reason, record.stop_code = reason, stop_code
        record.stopping_at = time.time()
        if record.last_status == RUNNING:
            record.last_status = DEPROVISIONING
        return True

    def _schedule_teardown(self, record: TaskRecord) -> None:
        """After the launch is over (at once if it is): a launch and a teardown of one task never
        run at the same time, and no worker ever waits for another."""

        def submit(_: Future[RunningTask]) -> None:
            try:
                self._executor.submit(self._teardown, record)
            except RuntimeError:  # executor shut down: tear down here
                self._teardown(record)

        record.launched.add_done_callback(submit)

    def _teardown(self, record: TaskRecord) -> None:
        try:
            self._remove_containers(record)
        except Exception:
            log.exception("task %s: removing its containers failed", record.spec.task_id)
        with self._lock:
            self._mark_stopped(record)

    def _remove_containers(self, record: TaskRecord) -> None:
        """Stop each container, keep its exit code and output, then remove it. In a worker."""
        with self._lock:
            todo = [c for c in record.containers.values() if c.runtime_id and not c.removed]
        for c in todo:
            assert c.runtime_id is not None
            with self._pool.client() as client:
                exit_code, archived = C.stop_and_collect(client, c.runtime_id, self._stop_timeout)
                with self._lock:  # archived before removal: logs() always finds one or the other
                    if c.exit_code is None:
                        c.exit_code = exit_code
                    c.archived_logs = archived
                C.remove(client, c.runtime_id)
            with self._lock:
                c.removed = True

    def _mark_stopped(self, record: TaskRecord) -> None:
        """Under the lock."""
        record.last_status = STOPPED
        record.desired_status = STOPPED
        record.stopped_at = record.stopped_at or time.time()
        for c in record.containers.values():
            c.last_status = STOPPED
        if not record.stopped.done():
            record.stopped.set_result(record.snapshot())

    def _remove_strays(self) -> None:
        """Containers of this instance no record tracks (a create the engine did although the
        call failed): stop_all leaves none."""
        with self._pool.client() as client:
            for found in client.api.containers(all=True, filters={"label": f"{L.SANDBOX}={self.instance_id}"}):
                task_id = (found.get("Labels") or {}).get(L.TASK_ID, "")
                with self._lock:
                    record = self._tasks.get(task_id)
                    if record is not None and record.last_status != STOPPED:
                        continue  # a task started since: not a stray
                with contextlib.suppress(Exception):
                    client.api.remove_container(found["Id"], force=True)

    # --- watching running containers ---------------------------------------------------------

    def _watched(self) -> set[str]:
        """The monitor's question: containers of RUNNING tasks that still run."""
        with self._lock:
            return {
                c.runtime_id
                for r in self._tasks.values()
                if r.last_status == RUNNING
                for c in r.containers.values()
                if c.last_status == RUNNING and c.runtime_id
            }

    def _container_exited(self, runtime_id: str, exit_code: int | None) -> None:
        """The monitor's report. An essential container's exit stops its task, as on ECS."""
        with self._lock:
            found = [(r, c) for r in self._tasks.values() for c in r.containers.values() if c.runtime_id == runtime_id]
            if not found or found[0][1].last_status != RUNNING:
                return
            record, container = found[0]
            container.last_status = STOPPED
            container.exit_code = exit_code
            begun = container.spec.essential and self._begin_stop(
                record, ESSENTIAL_EXITED_REASON, ESSENTIAL_CONTAINER_EXITED
            )
        if begun:
            self._schedule_teardown(record)

    # --- lookups -----------------------------------------------------------------------------

    def _record(self, task_id: str) -> TaskRecord:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"no task {task_id!r} in this runtime") from None

    def _container(self, task_id: str, name: str) -> ContainerRecord:
        record = self._record(task_id)
        try:
            return record.containers[name]
        except KeyError:
            raise KeyError(f"task {task_id} has no container named {name!r}") from None


def _name(found: dict[str, Any]) -> str:
    names = found.get("Names") or []
    return str(names[0]).lstrip("/") if names else str(found.get("Id", ""))[:12]
