"""What changed between two snapshots, as the lines `bluegreen push` prints while it follows a
deployment and the monitor keeps as its event log: an execution starting or ending, a stage or
action changing status, a lifecycle event starting or ending, a traffic step, a wait beginning
(with its time left), the deployment ending (with its error).

With no snapshot before, the lines describe where the selected execution and its deployment
stand now (not the whole history).
"""

from __future__ import annotations

from bluegreen.watch import timefmt
from bluegreen.watch.snapshot import Deployment, Execution, ListenerWeights, Snapshot, Wait, WaitKind

ENDED = frozenset({"Succeeded", "Failed", "Stopped", "Superseded", "Cancelled"})


def short_time(seconds: float | None) -> str:
    return timefmt.short_time(seconds, unknown="?")


def changes(before: Snapshot | None, after: Snapshot) -> list[str]:
    lines: list[str] = []
    lines += _executions(before, after)
    lines += _stages(before, after)
    lines += _deployment(before.deployment if before else None, after.deployment)
    lines += _traffic(before, after)
    lines += [note for note in after.notices if before is None or note not in before.notices]
    return lines


def _executions(before: Snapshot | None, after: Snapshot) -> list[str]:
    if before is None:
        shown = [e for e in after.executions if e.id == after.selected]
        return [_execution_line(e, started=True) for e in shown]
    old = {e.id: e for e in before.executions}
    lines = []
    for execution in reversed(after.executions):  # oldest first: the order things happened
        known = old.get(execution.id)
        if known is None and before.executions and execution.started is not None \
                and before.executions[-1].started is not None and execution.started < before.executions[-1].started:
            continue  # an older one that scrolled into the list, not a new one
        if known is None:
            lines.append(_execution_line(execution, started=True))
        elif known.status != execution.status:
            lines.append(_execution_line(execution, started=False))
    return lines


def _execution_line(execution: Execution, started: bool) -> str:
    head = f"execution {execution.id[:8]}"
    if started and execution.status not in ENDED:
        revisions = ", ".join(r.summary or r.revision_id[:19] for r in execution.revisions
                              if r.summary or r.revision_id)
        return f"{head} started ({execution.trigger or 'unknown trigger'})" + (f": {revisions}" if revisions else "")
    after = f" after {short_time(execution.duration_s)}" if execution.status in ENDED and execution.duration_s else ""
    summary = f": {execution.status_summary}" if execution.status_summary and execution.status != "Succeeded" else ""
    return f"{head} {execution.status}{after}{summary}"


def _stages(before: Snapshot | None, after: Snapshot) -> list[str]:
    if before is not None and before.selected != after.selected:
        return []  # another execution was picked: its stages are not news
    old_stages = {s.name: s for s in before.stages} if before else {}
    lines = []
    for stage in after.stages:
        known = old_stages.get(stage.name)
        if stage.status and (known is None or known.status != stage.status):
            lines.append(f"stage {stage.name}: {stage.status}")
        old_actions = {a.name: a for a in known.actions} if known else {}
        for action in stage.actions:
            was = old_actions.get(action.name)
            if action.status and (was is None or was.status != action.status) and action.status != stage.status:
                error = f": {action.error}" if action.error and action.status == "Failed" else ""
                lines.append(f"  action {stage.name}/{action.name}: {action.status}{error}")
            elif action.status == "Failed" and action.error and (was is None or was.error != action.error):
                lines.append(f"  action {stage.name}/{action.name} failed: {action.error}")
    return lines


def _deployment(before: Deployment | None, after: Deployment | None) -> list[str]:
    if after is None:
        return []
    lines = []
    same = before is not None and before.id == after.id
    if not same:
        lines.append(f"deployment {after.id} {after.status}" + (f" (by {after.creator})" if after.creator else "")
                     + (f", rolling back {after.rollback_of}" if after.rollback_of else ""))
    elif before is not None and before.status != after.status:
        lines.append(_status_line(after))
    old_events = {e.name: e for e in before.lifecycle} if same and before is not None else {}
    for event in after.lifecycle:
        was = old_events.get(event.name)
        if was is not None and was.status == event.status:
            continue
        if event.status == "InProgress":
            lines.append(f"  {event.name} started")
        # a deployment first seen while it runs says what it already did (between two polls, on
        # a fast sandbox, an event can start and end); one first seen ended is history
        elif event.status in ("Succeeded", "Failed", "Skipped") and (
                same or event.status != "Succeeded" or after.status not in ENDED):
            took = ((event.ended - event.started).total_seconds()
                    if event.started is not None and event.ended is not None else None)
            detail = f": {event.diagnostic}" if event.diagnostic and event.status == "Failed" else ""
            lines.append(f"  {event.name} {event.status.lower()}"
                         + (f" ({short_time(took)})" if took is not None else "") + detail)
    if after.wait is not None and (before is None or not same or before.wait is None
                                   or before.wait.kind is not after.wait.kind):
        lines.append(_wait_line(after.wait))
    elif before is not None and same and before.wait is not None and after.wait is None and after.status not in ENDED:
        lines.append(f"  {before.wait.kind.value} wait over")
    if same and before is not None and not before.rolled_back_by and after.rolled_back_by:
        lines.append(f"deployment {after.id} is rolled back by {after.rolled_back_by}")
    return lines


def _status_line(deployment: Deployment) -> str:
    if deployment.status in ("Failed", "Stopped"):
        return f"deployment {deployment.id} {deployment.status}" + (f": {deployment.error}" if deployment.error else "")
    return f"deployment {deployment.id} {deployment.status}"


def _wait_line(wait: Wait) -> str:
    left = f"{short_time(wait.seconds_left)} left" if wait.seconds_left is not None else "no end set"
    if wait.kind is WaitKind.READY:
        then = {"STOP_DEPLOYMENT": "; then it stops unless continued",
                "CONTINUE_DEPLOYMENT": "; then traffic reroutes"}.get(wait.on_timeout, "")
        return f"  green is ready: waiting for continue ({left}{then})"
    return f"  traffic moved: termination wait, {left} before the original task set is removed"


def _split(listener: ListenerWeights) -> tuple[tuple[str, int], ...]:
    """Where a listener sends traffic, in whole percents, groups at 0% left out (a group joining
    at weight 0 moves nothing)."""
    total = sum(w for _, w in listener.weights)
    if total <= 0:
        return ()
    return tuple(sorted((name, round(100 * w / total)) for name, w in listener.weights if w > 0))


def _traffic(before: Snapshot | None, after: Snapshot) -> list[str]:
    lines = []
    for listener in after.listeners:
        old = next((lst for lst in before.listeners if lst.role == listener.role), None) if before else None
        if old is not None and _split(old) == _split(listener):
            continue
        if before is None and listener.role != "production":
            continue
        if listener.role == "production":
            blue, green = after.traffic
            if blue or green:
                lines.append(f"production: blue {blue:.0f}% / green {green:.0f}%")
        elif old is not None:
            lines.append("test: " + " / ".join(f"{name} {share}%" for name, share in _split(listener)))
    return lines
