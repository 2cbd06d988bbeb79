"""The state machine of an ECS blue/green deployment, run in the deployment's worker thread.

In AWS's order ("What happens during an Amazon ECS deployment"): BeforeInstall, Install,
AfterInstall, AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic,
AfterAllowTraffic; each event Pending -> InProgress -> Succeeded with its start and end times.

- The ready option (``deploymentReadyOption.actionOnTimeout`` STOP_DEPLOYMENT): after the test
  traffic events the deployment (and its target) is ``Ready`` until ContinueDeployment
  (READY_WAIT) or, after ``waitTimeInMinutes``, it stops by itself.
- After AfterAllowTraffic the target is ``Succeeded`` and the termination wait
  (``terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes``) begins
  (``instanceTerminationWaitTimeStarted``); ContinueDeployment (TERMINATION_WAIT) ends it early.
  Then the original task set is deleted and the deployment is ``Succeeded``.
- A failure fails the event it happened in (later events are ``Skipped``) and the deployment
  ``Failed``; StopDeployment ends it ``Stopped``. Either way, when the deployment's auto-rollback
  settings ask for it, the engine starts a rollback deployment (:func:`run_rollback`).

The functions return whether a rollback deployment should follow.
"""

from __future__ import annotations

from . import steps
from .context import Context, Failure, StopRequested
from .model import (
    AFTER_ALLOW_TEST_TRAFFIC,
    ALLOW_TEST_TRAFFIC,
    ALLOW_TRAFFIC,
    FAILED,
    GREEN,
    IN_PROGRESS,
    INSTALL,
    ON_FAILURE,
    PENDING,
    READY,
    SKIPPED,
    STOPPED,
    SUCCEEDED,
    Deployment,
    Diagnostics,
    LifecycleEvent,
)

STOP_DEPLOYMENT = "STOP_DEPLOYMENT"
STOP_MESSAGE = "The deployment was stopped by a StopDeployment request."  # wording unverified


def _actions(ctx: Context, d: Deployment) -> dict[str, object]:
    return {
        INSTALL: lambda: steps.install(ctx, d),
        ALLOW_TEST_TRAFFIC: lambda: steps.allow_test_traffic(ctx, d),
        ALLOW_TRAFFIC: lambda: steps.allow_traffic(ctx, d),
    }


def _begin(ctx: Context, d: Deployment, event: LifecycleEvent) -> None:
    with ctx.lock:
        event.status, event.start = IN_PROGRESS, ctx.now()
        d.target.last_updated = event.start


def _end(ctx: Context, d: Deployment, event: LifecycleEvent, status: str, diagnostics: Diagnostics | None) -> None:
    with ctx.lock:
        event.status, event.end = status, ctx.now()
        if diagnostics is not None:
            event.diagnostics = diagnostics
        d.target.last_updated = event.end


def _run_events(ctx: Context, d: Deployment) -> None:
    actions = _actions(ctx, d) if d.rolls_back is None else {ALLOW_TRAFFIC: lambda: steps.move_back(ctx, d)}
    for event in d.target.events:
        ctx.checkpoint(d)
        _begin(ctx, d, event)
        action = actions.get(event.name)
        diagnostics = None
        if action is not None:
            action()  # type: ignore[operator]
        elif d.rolls_back is None:
            diagnostics = steps.run_hooks(ctx, d, event.name)
        _end(ctx, d, event, SUCCEEDED, diagnostics)
        if event.name == AFTER_ALLOW_TEST_TRAFFIC:
            _ready_wait(ctx, d)


def _ready_wait(ctx: Context, d: Deployment) -> None:
    ready = (d.group.blue_green.get("deploymentReadyOption") or {})
    if ready.get("actionOnTimeout") != STOP_DEPLOYMENT:
        return
    with ctx.lock:
        d.status = d.target.status = READY
        d.target.last_updated = ctx.now()
    minutes = float(ready.get("waitTimeInMinutes") or 0)
    if not ctx.wait(d, minutes * 60.0, lambda: d.continue_ready):
        raise ReadyTimeout(minutes)
    with ctx.lock:
        d.status = d.target.status = IN_PROGRESS
        d.target.last_updated = ctx.now()


class ReadyTimeout(Exception):
    def __init__(self, minutes: float) -> None:
        super().__init__(minutes)
        self.minutes = minutes


def _termination_wait(ctx: Context, d: Deployment) -> None:
    option = d.group.blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    minutes = float(option.get("terminationWaitTimeInMinutes") or 0)
    with ctx.lock:
        d.target.status = SUCCEEDED
        d.termination_wait_started = True
        d.target.last_updated = ctx.now()
    ctx.wait(d, minutes * 60.0, lambda: d.continue_termination)


def run(ctx: Context, d: Deployment) -> bool:
    """Run a deployment to its end; True when a rollback deployment should follow."""
    with ctx.lock:
        d.status = d.target.status = IN_PROGRESS
        d.start_time = ctx.now()
    try:
        _run_events(ctx, d)
        _termination_wait(ctx, d)
        ctx.checkpoint(d)
        steps.delete_original(ctx, d)
    except Failure as failure:
        _finish(ctx, d, FAILED, (failure.code, failure.message), failure.diagnostics)
        return d.rollback_enabled(ON_FAILURE) and _replacement_made(d)
    except ReadyTimeout as timeout:
        message = (f"The deployment was stopped because traffic rerouting was not started within "
                   f"{timeout.minutes:g} minutes of the replacement being ready.")
        _finish(ctx, d, STOPPED, ("TIMEOUT", message), None)
        return d.rollback_enabled(ON_FAILURE) and _replacement_made(d)
    except StopRequested:
        _finish(ctx, d, STOPPED, ("MANUAL_STOP", STOP_MESSAGE), Diagnostics("UnknownError", STOP_MESSAGE))
        return d.stop_rollback and _replacement_made(d)
    _finish(ctx, d, SUCCEEDED, None, None)
    return False


def run_rollback(ctx: Context, d: Deployment) -> None:
    """A rollback deployment: production (and test) traffic back to the original task set, the
    replacement deleted (docs/sandbox-deployments.md)."""
    with ctx.lock:
        d.status = d.target.status = IN_PROGRESS
        d.start_time = ctx.now()
    try:
        _run_events(ctx, d)
    except Failure as failure:
        _finish(ctx, d, FAILED, (failure.code, failure.message), failure.diagnostics)
        return
    except StopRequested:
        _finish(ctx, d, STOPPED, ("MANUAL_STOP", STOP_MESSAGE), None)
        return
    _finish(ctx, d, SUCCEEDED, None, None)


def _replacement_made(d: Deployment) -> bool:
    green = d.target.task_sets.get(GREEN)
    return green is not None and bool(green.arn) and not green.deleted


def _finish(
    ctx: Context, d: Deployment, status: str, error: tuple[str, str] | None, diagnostics: Diagnostics | None
) -> None:
    with ctx.lock:
        now = ctx.now()
        for event in d.target.events:
            if event.status == IN_PROGRESS:
                event.status, event.end = FAILED, now
                if diagnostics is not None:
                    event.diagnostics = diagnostics
            elif event.status == PENDING and status != SUCCEEDED:
                event.status = SKIPPED
        if status == SUCCEEDED:
            d.target.status = SUCCEEDED
        elif d.target.status != SUCCEEDED or status == FAILED:
            d.target.status = FAILED
        d.status, d.error, d.complete_time = status, error, now
        d.target.last_updated = now
