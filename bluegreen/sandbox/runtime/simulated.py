"""Tasks without a Docker engine: the lifecycle only, and every answer says so.

A task goes PROVISIONING, then PENDING halfway through a short start delay (divided by
``time_scale``), then RUNNING; it stops when asked and never on its own. No container runs, so
a simulated task has no ports: callers cannot register it as a load balancer target, and its
targets never turn healthy. ``status_reason`` and every container's ``reason`` carry
``simulated: no Docker engine reachable (<why>)``, and its log stream holds that one line.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from . import labels as L
from .records import TaskRecord
from .spec import TaskSpec
from .status import (
    PENDING,
    PROVISIONING,
    RUNNING,
    STOPPED,
    STOPPED_BY_USER_REASON,
    USER_INITIATED,
    RunningTask,
    TaskStatus,
    simulated_reason,
)


class SimulatedRuntime:
    simulated = True

    def __init__(
        self, why: str, *, time_scale: float = 1.0, start_delay_s: float = 1.0, instance_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale}")
        self.instance_id = instance_id or L.new_instance_id()
        self.reason = reason or simulated_reason(why)  # `reason`: chosen, not for want of an engine
        self._delay = max(0.0, start_delay_s / time_scale)
        self._lock = threading.RLock()  # futures run their callbacks while it is held
        self._tasks: dict[str, TaskRecord] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._closed = False

    def start_async(self, spec: TaskSpec) -> Future[RunningTask]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the task runtime is closed")
            if spec.task_id in self._tasks:
                raise ValueError(f"task {spec.task_id} already exists")
            record = TaskRecord(spec, created_at=time.time(), status_reason=self.reason)
            for c in record.containers.values():
                c.reason = self.reason
            self._tasks[spec.task_id] = record
            timer = threading.Timer(self._delay, self._run, (record,))
            timer.name = f"bluegreen-sandbox-runtime-sim-{spec.task_id}"
            timer.daemon = True
            self._timers[spec.task_id] = timer
            timer.start()
        return record.launched

    def start(self, spec: TaskSpec) -> RunningTask:
        return self.start_async(spec).result()

    def status(self, task_id: str) -> TaskStatus:
        with self._lock:
            record = self._record(task_id)
            self._advance(record)
            return record.snapshot()

    def tasks(self) -> list[TaskStatus]:
        with self._lock:
            for record in self._tasks.values():
                self._advance(record)
            return [r.snapshot() for r in self._tasks.values()]

    def stop_async(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> Future[TaskStatus]:
        with self._lock:
            record = self._record(task_id)
            if record.last_status != STOPPED:
                timer = self._timers.pop(task_id, None)
                if timer is not None:
                    timer.cancel()
                now = time.time()
                record.desired_status = record.last_status = STOPPED
                record.stopped_reason, record.stop_code = reason, stop_code
                record.stopping_at = record.stopped_at = now
                for c in record.containers.values():
                    c.last_status = STOPPED
            status = record.snapshot()
            if not record.launched.done():
                record.launched.set_result(RunningTask(task_id, status))
            if not record.stopped.done():
                record.stopped.set_result(status)
        return record.stopped

    def stop(self, task_id: str, reason: str, stop_code: str = USER_INITIATED) -> TaskStatus:
        return self.stop_async(task_id, reason, stop_code).result()

    def logs(self, task_id: str, container_name: str, since: int | None = None) -> list[tuple[int, str]]:
        with self._lock:
            record = self._record(task_id)
            if container_name not in record.containers:
                raise KeyError(f"task {task_id} has no container named {container_name!r}")
            event = (int(record.created_at * 1000), self.reason)
        return [event] if since is None or event[0] >= since else []

    def stop_all(self, reason: str = STOPPED_BY_USER_REASON) -> None:
        with self._lock:
            ids = [i for i, r in self._tasks.items() if r.last_status != STOPPED]
        for task_id in ids:
            self.stop_async(task_id, reason)

    def sweep_orphans(self) -> list[str]:
        return []  # nothing outside this process to leave behind

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.stop_all()

    def _run(self, record: TaskRecord) -> None:
        with self._lock:
            self._timers.pop(record.spec.task_id, None)
            if record.last_status == STOPPED:
                return
            now = time.time()
            record.pull_started_at = record.pull_started_at or now
            record.pull_stopped_at = record.started_at = now
            record.last_status = RUNNING
            for c in record.containers.values():
                c.last_status = RUNNING
            if not record.launched.done():  # decided under the lock: a stop may race this timer
                record.launched.set_result(record.running_task())

    def _advance(self, record: TaskRecord) -> None:
        """PROVISIONING turns PENDING halfway to RUNNING (under the lock)."""
        if record.last_status == PROVISIONING and time.time() >= record.created_at + self._delay / 2:
            record.last_status = PENDING
            record.pull_started_at = record.created_at + self._delay / 2

    def _record(self, task_id: str) -> TaskRecord:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"no task {task_id!r} in this runtime") from None
