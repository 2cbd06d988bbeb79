"""Container output into CloudWatch Logs, as the awslogs driver ships it.

A container whose log configuration uses ``awslogs`` writes to the stream
``<awslogs-stream-prefix>/<container name>/<task id>`` of ``awslogs-group`` (ECS Developer Guide,
"Using the awslogs log driver"; without a prefix the stream is named after the Docker container
id). The pump reads the runtime's log of each watched container every ``interval_s`` and puts the
new lines into moto's Logs backend, so GetLogEvents and FilterLogEvents read them like any
stream. A finished task is read once more (the runtime keeps a stopped container's output) and
then forgotten: what a container printed before it stopped is in its stream.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from ..runtime import TaskRuntime
from ..services.common import moto_backend

log = logging.getLogger("bluegreen.sandbox.ecs")

MAX_BATCH = 10_000  # PutLogEvents takes at most 10,000 events per call


@dataclass
class _Stream:
    container: str
    group: str
    stream: str | None  # None: named after the container id, known once it runs
    create_group: bool
    region: str
    cursor_ms: int = 0  # the newest timestamp shipped
    at_cursor: int = 0  # how many lines with exactly that timestamp were shipped


@dataclass
class _Watched:
    task_id: str
    streams: list[_Stream]
    finishing: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class LogPump:
    def __init__(self, account_id: str, runtime: TaskRuntime, interval_s: float = 0.5) -> None:
        self.account_id = account_id
        self.runtime = runtime
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._watched: dict[str, _Watched] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bluegreen-sandbox-ecs-logs", daemon=True)
        self._thread.start()

    def watch(self, task_id: str, region: str, definition: dict[str, Any]) -> None:
        """Ship the task's awslogs containers (nothing when none uses awslogs)."""
        streams = []
        for container in definition.get("containerDefinitions") or []:
            config = container.get("logConfiguration") or {}
            if config.get("logDriver") != "awslogs":
                continue
            options = config.get("options") or {}
            group = options.get("awslogs-group")
            if not group:
                continue
            prefix = options.get("awslogs-stream-prefix")
            name = str(container.get("name"))
            streams.append(_Stream(name, str(group), f"{prefix}/{name}/{task_id}" if prefix else None,
                                   str(options.get("awslogs-create-group", "")).lower() == "true",
                                   str(options.get("awslogs-region") or region)))
        if not streams:
            return
        with self._lock:
            self._watched[task_id] = _Watched(task_id, streams)

    def finish(self, task_id: str) -> None:
        """The task stopped: ship what is left once more, then forget it (not waiting here)."""
        with self._lock:
            watched = self._watched.get(task_id)
            if watched is not None:
                watched.finishing = True
        self._wake.set()

    def stop(self) -> None:
        """Ship what every watched container printed so far, then end the thread."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval_s)
            self._wake.clear()
            stopping = self._stopping.is_set()
            with self._lock:
                watched = list(self._watched.values())
            for item in watched:
                for stream in item.streams:
                    try:
                        self._ship(item, stream)
                    except Exception:  # a log stream must never take the scheduler down
                        log.debug("shipping logs of task %s failed", item.task_id, exc_info=True)
                if item.finishing:
                    with self._lock:
                        self._watched.pop(item.task_id, None)
                    item.done.set()
            if stopping:
                return

    def _ship(self, item: _Watched, stream: _Stream) -> None:
        lines = self.runtime.logs(item.task_id, stream.container, since=stream.cursor_ms or None)
        # lines at the cursor's own millisecond were partly shipped already
        fresh: list[tuple[int, str]] = []
        seen_at_cursor = 0
        for timestamp, line in lines:
            if timestamp < stream.cursor_ms:
                continue
            if timestamp == stream.cursor_ms and seen_at_cursor < stream.at_cursor:
                seen_at_cursor += 1
                continue
            fresh.append((timestamp, line))
        if not fresh:
            return
        name = stream.stream or self._container_stream(item.task_id, stream.container)
        if name is None:
            return
        logs = moto_backend("logs", self.account_id, stream.region)
        if stream.group not in logs.groups:
            if not stream.create_group:
                return  # ECS's agent fails such a task; the sandbox just ships nothing
            logs.ensure_log_group(stream.group)
        logs.ensure_log_stream(stream.group, name)
        for start in range(0, len(fresh), MAX_BATCH):
            batch = fresh[start:start + MAX_BATCH]
            logs.put_log_events(stream.group, name, [{"timestamp": t, "message": m} for t, m in batch])
        last = fresh[-1][0]
        same = sum(1 for t, _ in fresh if t == last)
        stream.at_cursor = (stream.at_cursor + same) if last == stream.cursor_ms else same
        stream.cursor_ms = last

    def _container_stream(self, task_id: str, container: str) -> str | None:
        try:
            return self.runtime.status(task_id).container(container).runtime_id
        except KeyError:
            return None
