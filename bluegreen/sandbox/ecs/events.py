"""The service event messages ECS writes, word for word.

ECS's API reference gives none of these texts; they are the scheduler's messages as
``describe-services`` prints them (the throttle message is in the Developer Guide, "Amazon ECS
service throttle logic"). Sources and the forms not verified: docs/sandbox-ecs-elb.md.
"""

from __future__ import annotations

import time
import uuid

from .model import ServiceRecord, TaskSetRecord

MAX_EVENTS = 100  # the console shows the 100 most recent; DescribeServices answers as many


def _subject(service: ServiceRecord, task_set: TaskSetRecord | None = None) -> str:
    if task_set is None:
        return f"(service {service.name})"
    return f"(service {service.name}, taskSet {task_set.id})"


def _tasks(task_ids: list[str]) -> str:
    return " ".join(f"(task {t})" for t in task_ids)


def started(service: ServiceRecord, task_set: TaskSetRecord, task_ids: list[str]) -> str:
    return f"{_subject(service, task_set)} has started {len(task_ids)} tasks: {_tasks(task_ids)}."


def stopped(service: ServiceRecord, task_ids: list[str]) -> str:
    return f"{_subject(service)} has stopped {len(task_ids)} running tasks: {_tasks(task_ids)}."


def registered(service: ServiceRecord, count: int, target_group_arn: str) -> str:
    return f"{_subject(service)} registered {count} targets in (target-group {target_group_arn})"


def deregistered(service: ServiceRecord, count: int, target_group_arn: str) -> str:
    return f"{_subject(service)} deregistered {count} targets in (target-group {target_group_arn})"


def draining(service: ServiceRecord, task_set: TaskSetRecord, count: int) -> str:
    return f"{_subject(service, task_set)} has begun draining connections on {count} tasks."


def steady_state(service: ServiceRecord) -> str:
    return f"{_subject(service)} has reached a steady state."


def start_impaired(service: ServiceRecord) -> str:
    return f"{_subject(service)} is unable to consistently start tasks successfully."


def no_targets(service: ServiceRecord, why: str) -> str:
    """A sandbox message (ECS has none): the runtime is simulated, so no target is registered."""
    return f"{_subject(service)} registered no targets for its tasks: {why}"


def record(service: ServiceRecord, message: str) -> None:
    """Newest first, at most :data:`MAX_EVENTS`."""
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": time.time(), "message": message})
    del service.events[MAX_EVENTS:]
