"""The CloudWatch log streams the sandbox's tasks write to, read from the task runtime.

A container whose log configuration uses ``awslogs`` writes to the stream
``<awslogs-stream-prefix>/<container name>/<task id>`` of ``awslogs-group`` in ``awslogs-region``
(ECS Developer Guide, "Using the awslogs log driver"; without a prefix the stream is named after
the Docker container id). Nothing is copied anywhere: the scheduler tells :meth:`watch` which
streams a task has, and the Logs API handler (``services/logs``) reads their lines from the
runtime when asked, so a line is readable as soon as the container printed it, and a stopped
task's stream stays readable (the runtime keeps a removed container's output).

moto's Logs backend stays the book of which groups and streams exist: a task's stream is made
there once its container runs (the group too, with ``awslogs-create-group: "true"``), so
DescribeLogGroups, DeleteLogStream and the rest keep working on it; a stream a user deletes
stays deleted, and without its group nothing is made (ECS would fail the task).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..runtime import TaskRuntime
from ..services.common import moto_backend


@dataclass(frozen=True)
class TaskStream:
    """One container's stream. ``name`` is None until the container runs when the stream is named
    after the Docker container id (no stream prefix)."""

    region: str
    group: str
    task_id: str
    container: str
    name: str | None
    create_group: bool


@dataclass(frozen=True)
class ReadableStream:
    """A task stream that exists: its name and when it was made (epoch ms)."""

    name: str
    task_id: str
    container: str
    creation_ms: int


class TaskLogStreams:
    def __init__(self, account_id: str, runtime: TaskRuntime) -> None:
        self.account_id = account_id
        self.runtime = runtime
        self._lock = threading.Lock()  # the scheduler's calls take only this one, briefly
        self._making = threading.Lock()  # one request at a time makes streams in moto
        self._pending: dict[tuple[str, str], list[TaskStream]] = {}  # (region, group) -> not made yet
        self._made: dict[tuple[str, str], dict[str, ReadableStream]] = {}  # (region, group) -> by name

    # --- the scheduler's side (called under its lock: never blocks, never calls back) ----------

    def watch(self, task_id: str, region: str, definition: dict[str, Any]) -> None:
        """The task's awslogs containers (nothing when none uses awslogs)."""
        found = []
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
            found.append(TaskStream(
                str(options.get("awslogs-region") or region), str(group), task_id, name,
                f"{prefix}/{name}/{task_id}" if prefix else None,
                str(options.get("awslogs-create-group", "")).lower() == "true"))
        with self._lock:
            for stream in found:
                self._pending.setdefault((stream.region, stream.group), []).append(stream)

    def finish(self, task_id: str) -> None:
        """The task stopped: its streams stay (the runtime keeps what its containers printed)."""

    def stop(self) -> None:
        """Nothing runs in the background."""

    # --- the Logs API's side ---------------------------------------------------------------------

    def is_task_group(self, region: str, group: str) -> bool:
        """Does a task of the sandbox write (or did one write) to this group?"""
        with self._lock:
            return (region, group) in self._pending or (region, group) in self._made

    def streams(self, region: str, group: str) -> dict[str, ReadableStream]:
        """The group's task streams that exist now, by name: those whose container ran (a simulated
        task's at once), made in moto's backend on first sight; less those deleted since."""
        with self._making:
            with self._lock:
                pending = list(self._pending.get((region, group), []))
            made = [(stream, readable) for stream in pending
                    if (readable := self._readable(stream)) is not None and self._make(stream, readable)]
            with self._lock:
                known = self._made.setdefault((region, group), {})
                for stream, readable in made:
                    known[readable.name] = readable
                    self._pending[(region, group)].remove(stream)
                known = dict(known)
        present = moto_backend("logs", self.account_id, region).groups.get(group)
        names = set(present.streams) if present is not None else set()
        return {name: s for name, s in known.items() if name in names}

    def lines(self, stream: ReadableStream, since: int | None = None) -> list[tuple[int, str]]:
        """The container's output as (timestamp ms, line), oldest first (stable within a ms)."""
        try:
            found = self.runtime.logs(stream.task_id, stream.container, since=since)
        except KeyError:
            return []
        return sorted(found, key=lambda event: event[0])

    def _readable(self, stream: TaskStream) -> ReadableStream | None:
        """The stream once its container was created (its name known); the runtime's times."""
        try:
            status = self.runtime.status(stream.task_id)
            container = status.container(stream.container)
        except KeyError:
            return None
        if not self.runtime.simulated and container.runtime_id is None:
            return None  # not created yet, or never (a failed pull): no stream, as on ECS
        name = stream.name or container.runtime_id
        if name is None:
            return None
        # the agent makes the stream as the container starts, right after the pull; a simulated
        # task's one line is stamped with its creation
        made_at = (None if self.runtime.simulated else status.pull_stopped_at) or status.created_at or 0.0
        return ReadableStream(name, stream.task_id, stream.container, int(made_at * 1000))

    def _make(self, stream: TaskStream, readable: ReadableStream) -> bool:
        """The group (when the task may create it) and the stream in moto; False without a group."""
        logs = moto_backend("logs", self.account_id, stream.region)
        if stream.group not in logs.groups:
            if not stream.create_group:
                return False  # ECS's agent fails such a task; the sandbox makes nothing
            logs.ensure_log_group(stream.group)
        if readable.name not in logs.groups[stream.group].streams:
            logs.ensure_log_stream(stream.group, readable.name)
            logs.groups[stream.group].streams[readable.name].creation_time = readable.creation_ms
        return True
