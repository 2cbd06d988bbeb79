"""A snapshot as the plain lines `bluegreen status` prints: the facts the monitor screen shows,
most important first (health, what runs, where traffic goes, what waits for a person)."""

from __future__ import annotations

from bluegreen.watch.snapshot import Deployment, Execution, Health, Snapshot
from bluegreen.watch.timefmt import clock, short_time


def execution_line(execution: Execution) -> str:
    revisions = ", ".join(f"{r.action} {r.summary or r.revision_id[:12]}" for r in execution.revisions)
    return (f"execution {execution.id[:8]} {execution.status} · {execution.trigger or '?'}"
            f" · started {clock(execution.started)} · {short_time(execution.duration_s)}"
            + (f" · {revisions}" if revisions else ""))


def deployment_lines(deployment: Deployment) -> list[str]:
    lines = [f"deployment {deployment.id} {deployment.status}"
             + (f" (rollback of {deployment.rollback_of})" if deployment.rollback_of else "")
             + (f", rolled back by {deployment.rolled_back_by}" if deployment.rolled_back_by else "")]
    current = next((e for e in deployment.lifecycle if e.status == "InProgress"), None)
    done = sum(1 for e in deployment.lifecycle if e.status in ("Succeeded", "Skipped"))
    if deployment.lifecycle:
        lines.append(f"  lifecycle: {done}/{len(deployment.lifecycle)} done"
                     + (f", {current.name} in progress" if current else ""))
    for event in deployment.lifecycle:
        if event.status == "Failed":
            lines.append(f"  {event.name} failed" + (f": {event.diagnostic}" if event.diagnostic else ""))
    for task_set in deployment.task_sets:
        lines.append(f"  {task_set.label:<5} task set {task_set.status:<8} "
                     f"{task_set.running}/{task_set.desired} running ({task_set.pending} pending)"
                     f" · weight {task_set.traffic_weight:g}%"
                     + (f" · {task_set.task_definition}" if task_set.task_definition else ""))
    if deployment.wait is not None:
        left = ("until someone continues" if deployment.wait.seconds_left is None
                else f"{short_time(deployment.wait.seconds_left)} left")
        lines.append(f"  waiting: {deployment.wait.kind.value} wait, {left}")
    if deployment.error:
        lines.append(f"  error: {deployment.error}")
    return lines


def status_lines(snapshot: Snapshot) -> list[str]:
    target = snapshot.target
    lines = [f"stack {target.stack} ({target.region}) · pipeline {target.pipeline} · {snapshot.health.value}"]
    if snapshot.health is Health.MISSING:  # every other part is missing too: one line says it
        return [*lines, f"no pipeline {target.pipeline} in {target.region}: the stack is not applied there "
                        "(bluegreen apply), or the config names another region"]
    if snapshot.executions:
        newest = snapshot.executions[0]
        lines.append(execution_line(newest))
        if snapshot.selected == newest.id:
            for stage in snapshot.stages:
                actions = " · ".join(f"{a.name} {a.status or '-'}" + (f" ({a.external_id})" if a.external_id else "")
                                     for a in stage.actions)
                lines.append(f"  {stage.name:<10} {stage.status or '-':<11} {actions}")
                lines += [f"    {a.name} error: {a.error}" for a in stage.actions if a.error]
    else:
        lines.append("no pipeline executions yet")
    if snapshot.deployment is not None:
        lines += deployment_lines(snapshot.deployment)
    if any(listener.role == "production" for listener in snapshot.listeners):
        blue, green = snapshot.traffic
        lines.append(f"traffic: blue {blue:.0f}% | green {green:.0f}%")
    for counts in snapshot.targets:
        lines.append(f"targets {counts.target_group}: {counts.healthy} healthy, {counts.unhealthy} unhealthy, "
                     f"{counts.initial} starting, {counts.draining} draining"
                     + (f" ({'; '.join(counts.reasons)})" if counts.reasons else ""))
    if snapshot.service is not None:
        service = snapshot.service
        lines.append(f"service {target.service}: {service.running}/{service.desired} running, "
                     f"{service.pending} pending ({service.deployment_controller})")
        lines += [f"  stopped task {t.task[:8]}: {t.reason}" for t in service.stopped_tasks[:3]]
    lines += [f"note: {n}" for n in snapshot.notices]
    lines += [f"could not read: {e}" for e in snapshot.errors]
    return lines
