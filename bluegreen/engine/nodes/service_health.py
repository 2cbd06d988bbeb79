"""Whether a service's tasks are up: running as many as it wants, and healthy behind its load
balancer (the seed procedure ends by opening the load balancer's URL; an apply that returned
before the tasks answer would send the user to a 503).

Read from the service's PRIMARY task set (the one production traffic goes to, blue or green
after a deployment), its target group's health, and the tasks that stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tasks that stopped without one running: after this many, the reason is the answer (ECS keeps
# retrying with a growing delay; waiting longer would not change it).
STOPPED_BEFORE_FAILING = 2


@dataclass(frozen=True)
class TaskHealth:
    ready: bool
    summary: str  # one line for the progress row
    failure: str = ""  # why the tasks cannot start, when they cannot


def task_health(ecs: Any, elbv2: Any, cluster: str, service_name: str) -> TaskHealth:
    service = ecs.describe_services(cluster=cluster, services=[service_name])["services"][0]
    wanted = int(service.get("desiredCount", 0))
    primary = next((s for s in service.get("taskSets", []) if s.get("status") == "PRIMARY"), None)
    running = int((primary or service).get("runningCount", 0))
    if primary is not None:
        wanted = int(primary.get("computedDesiredCount", wanted))
    balancers = (primary or service).get("loadBalancers") or service.get("loadBalancers") or []
    group = balancers[0].get("targetGroupArn") if balancers else None
    states: dict[str, int] = {}
    if group:
        for target in elbv2.describe_target_health(TargetGroupArn=group).get("TargetHealthDescriptions", []):
            state = target.get("TargetHealth", {}).get("State", "unknown")
            states[state] = states.get(state, 0) + 1
    healthy = states.get("healthy", 0)
    targets = ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "none registered yet"
    summary = f"tasks {running}/{wanted} running; targets: {targets}"
    # Every registered target healthy and as many as the tasks: ready. No target at all while
    # the tasks run means nothing registers them (tasks without a load balancer, or a sandbox
    # with simulated tasks): running is then all there is to wait for.
    if running >= wanted and (healthy >= wanted or not states) and healthy == sum(states.values()):
        return TaskHealth(True, summary)
    if running == 0:
        reasons = _stopped_reasons(ecs, cluster, service_name)
        if len(reasons) >= STOPPED_BEFORE_FAILING:
            return TaskHealth(False, summary, reasons[0])
    return TaskHealth(False, summary)


# The stopCodes of tasks that stopped on their own as they started (ECS API Reference, Task
# stopCode). Tasks the scheduler stopped while scaling (ServiceSchedulerInitiated) or a person
# stopped (UserInitiated) say nothing about whether the tasks can start: a service scaled to 0
# by a stopped destroy, then applied again, has such tasks and must not read as failing.
FAILED_STOP_CODES = ("TaskFailedToStart", "EssentialContainerExited")


def _stopped_reasons(ecs: Any, cluster: str, service_name: str) -> list[str]:
    """The stop reasons of the service's tasks that stopped on their own, newest first."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service_name, desiredStatus="STOPPED").get("taskArns", [])
    if not arns:
        return []
    tasks = [t for t in ecs.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", [])
             if t.get("stopCode") in FAILED_STOP_CODES]
    tasks.sort(key=lambda t: str(t.get("stoppedAt") or t.get("createdAt") or ""), reverse=True)
    return [str(t.get("stoppedReason") or "stopped") for t in tasks]
