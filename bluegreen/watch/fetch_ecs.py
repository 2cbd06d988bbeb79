"""ECS reads: the service (counts, deployment controller, its newest events, its task sets'
task definitions) and its recently stopped tasks with why they stopped.

A stopped task never changes, so each is described once (DescribeTasks of the ARNs ListTasks
shows for the first time) and kept while ListTasks still lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bluegreen.errors import aws_error_code
from bluegreen.watch.snapshot import ServiceEvent, ServiceState, StoppedTask

EVENTS_KEPT = 10
STOPPED_KEPT = 5
DESCRIBE_TASKS_MAX = 100  # DescribeTasks takes at most 100 tasks


@dataclass(frozen=True)
class ServiceRead:
    state: ServiceState  # without stopped tasks (their own part)
    task_definitions: dict[str, str]  # task set id -> "family:revision"


def short_definition(arn: str) -> str:
    """arn:aws:ecs:...:task-definition/family:3 -> family:3."""
    return arn.rsplit("/", 1)[-1]


def read_service(ecs: Any, cluster: str, service: str) -> ServiceRead:
    try:
        answer = ecs.describe_services(cluster=cluster, services=[service])
    except Exception as exc:
        if aws_error_code(exc) != "ClusterNotFoundException":
            raise
        answer = {}
    found = (answer.get("services") or [None])[0]
    if not found or (found.get("status") == "INACTIVE" and not found.get("taskSets")):
        status = "MISSING" if not found else "INACTIVE"
        return ServiceRead(ServiceState(status, 0, 0, 0, ""), {})
    events = tuple(ServiceEvent(e.get("createdAt"), str(e.get("message") or ""))
                   for e in (found.get("events") or [])[:EVENTS_KEPT])
    controller = str((found.get("deploymentController") or {}).get("type") or "ECS")
    state = ServiceState(
        status=str(found.get("status") or ""),
        desired=int(found.get("desiredCount") or 0),
        running=int(found.get("runningCount") or 0),
        pending=int(found.get("pendingCount") or 0),
        deployment_controller=controller,
        events=events,
    )
    definitions = {str(t.get("id") or ""): short_definition(str(t.get("taskDefinition") or ""))
                   for t in found.get("taskSets") or []}
    return ServiceRead(state, definitions)


def read_stopped(ecs: Any, cluster: str, service: str, known: dict[str, StoppedTask]) -> dict[str, StoppedTask]:
    """The service's stopped tasks by ARN: the ones in `known` still listed, plus the new ones."""
    arns = [str(a) for a in ecs.list_tasks(cluster=cluster, serviceName=service,
                                           desiredStatus="STOPPED").get("taskArns") or []]
    kept = {arn: known[arn] for arn in arns if arn in known}
    new = [arn for arn in arns if arn not in known]
    for start in range(0, len(new), DESCRIBE_TASKS_MAX):
        answer = ecs.describe_tasks(cluster=cluster, tasks=new[start:start + DESCRIBE_TASKS_MAX])
        for task in answer.get("tasks") or []:
            kept[str(task["taskArn"])] = _stopped(task)
    return kept


def newest_stopped(stopped: dict[str, StoppedTask]) -> tuple[StoppedTask, ...]:
    ordered = sorted(stopped.values(), key=lambda t: t.stopped_at.timestamp() if t.stopped_at else 0.0, reverse=True)
    return tuple(ordered[:STOPPED_KEPT])


def _stopped(task: dict[str, Any]) -> StoppedTask:
    reasons = [str(task.get("stoppedReason") or "")]
    for container in task.get("containers") or []:
        why = container.get("reason")
        code = container.get("exitCode")
        if why:
            reasons.append(f"{container.get('name')}: {why}")
        elif code not in (None, 0):
            reasons.append(f"{container.get('name')}: exit code {code}")
    return StoppedTask(
        task=str(task.get("taskArn") or "").rsplit("/", 1)[-1],
        task_definition=short_definition(str(task.get("taskDefinitionArn") or "")),
        stopped_at=task.get("stoppedAt"),
        reason="; ".join(r for r in reasons if r),
    )
