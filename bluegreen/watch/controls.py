"""The controls of a deployment, as the monitor's keys and `bluegreen deploy ...` offer them:
which ones the current snapshot allows, what each will do (the confirmation text), and doing it.

`offers(snapshot)` gives one Offer per ControlKind, enabled or not with the reason;
`perform(session, snapshot, kind)` makes the AWS call and returns a one-line result; AWS
refusals become bluegreen.errors.Failed with the fix. The calls and what AWS documents of
them are in docs/monitor.md.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bluegreen.aws.errors import Meaning, meaning
from bluegreen.aws.session import AwsSession
from bluegreen.errors import Failed, aws_error_code
from bluegreen.watch.fetch_deploy import ACTIVE_STATUSES
from bluegreen.watch.snapshot import Deployment, Health, Snapshot, StageState, WaitKind


class ControlKind(enum.StrEnum):
    START = "start"  # StartPipelineExecution
    CONTINUE = "continue"  # ContinueDeployment READY_WAIT: reroute traffic now
    END_WAIT = "end-wait"  # ContinueDeployment TERMINATION_WAIT: remove the old task set now
    STOP = "stop"  # StopDeployment autoRollbackEnabled=False
    ROLLBACK = "rollback"  # StopDeployment autoRollbackEnabled=True
    RETRY = "retry"  # RetryStageExecution FAILED_ACTIONS of the failed stage
    PUSH = "push"  # build and push a new image (the engine's push): the front end does it


@dataclass(frozen=True)
class Offer:
    kind: ControlKind
    enabled: bool
    label: str  # short, for the footer and help: "Continue"
    confirm: str  # what will happen, in a sentence, for the confirmation dialog
    why_not: str = ""  # when disabled: why ("no deployment is waiting for reroute")


def offers(snapshot: Snapshot) -> tuple[Offer, ...]:
    return tuple(_OFFER[kind](snapshot) for kind in ControlKind)


def offer(snapshot: Snapshot, kind: ControlKind) -> Offer:
    return _OFFER[kind](snapshot)


def _start(s: Snapshot) -> Offer:
    confirm = (f"Start a new execution of pipeline {s.target.pipeline}: it deploys the latest source revisions"
               + (f" (image {s.target.watched_image})." if s.target.watched_image else "."))
    if s.health is Health.MISSING:
        return Offer(ControlKind.START, False, "Start", confirm, f"pipeline {s.target.pipeline} does not exist")
    return Offer(ControlKind.START, True, "Start", confirm)


def _push(s: Snapshot) -> Offer:
    image = s.target.watched_image or "the image"
    return Offer(ControlKind.PUSH, True, "Push",
                 f"Build the image and push it as {image}; the pipeline then deploys it.")


def _active(s: Snapshot) -> Deployment | None:
    d = s.deployment
    return d if d is not None and d.status in ACTIVE_STATUSES else None


def _continue(s: Snapshot) -> Offer:
    d = _active(s)
    if d is not None and d.wait is not None and d.wait.kind is WaitKind.READY:
        return Offer(ControlKind.CONTINUE, True, "Continue",
                     f"Reroute production traffic to the green task set of deployment {d.id} now; it moves as the "
                     "deployment configuration says.")
    return Offer(ControlKind.CONTINUE, False, "Continue", "Reroute production traffic to green now.",
                 "no deployment is waiting for traffic to be rerouted")


def _end_wait(s: Snapshot) -> Offer:
    d = _active(s)
    if d is not None and d.wait is not None and d.wait.kind is WaitKind.TERMINATION:
        return Offer(ControlKind.END_WAIT, True, "End wait",
                     f"End the termination wait of deployment {d.id} now: the original (blue) task set is removed "
                     "and the deployment succeeds; traffic can no longer go back to blue.")
    return Offer(ControlKind.END_WAIT, False, "End wait", "Remove the original task set now.",
                 "no deployment is in its termination wait")


def _split(s: Snapshot) -> str:
    blue, green = s.traffic
    return f"blue {blue:.0f}% / green {green:.0f}%" if blue or green else "as it is"


def _stop(s: Snapshot) -> Offer:
    d = _active(s)
    if d is None:
        return Offer(ControlKind.STOP, False, "Stop", "Stop the deployment without rolling back.",
                     "no deployment is in progress")
    return Offer(ControlKind.STOP, True, "Stop",
                 f"Stop deployment {d.id} without rolling back: production traffic stays where it is now "
                 f"({_split(s)}) and the pipeline's deploy action fails.")


def _rollback(s: Snapshot) -> Offer:
    d = _active(s)
    if d is None:
        return Offer(ControlKind.ROLLBACK, False, "Roll back", "Stop the deployment and roll back.",
                     "no deployment is in progress")
    return Offer(ControlKind.ROLLBACK, True, "Roll back",
                 f"Stop deployment {d.id} and roll back: production traffic returns to the original (blue) task "
                 "set and the replacement is removed.")


def _failed_stage(s: Snapshot) -> StageState | None:
    if not s.executions or s.selected != s.executions[0].id:
        return None
    return next((stage for stage in s.stages if stage.retryable), None)


def _retry(s: Snapshot) -> Offer:
    stage = _failed_stage(s)
    if stage is None:
        why = ("an older execution is selected: only the latest can be retried"
               if s.executions and s.selected != s.executions[0].id else "no stage of the latest execution failed")
        return Offer(ControlKind.RETRY, False, "Retry", "Retry the failed actions of the failed stage.", why)
    return Offer(ControlKind.RETRY, True, "Retry",
                 f"Retry the failed actions of stage {stage.name} of execution {s.selected}; the actions that "
                 "succeeded are not run again.")


_OFFER: dict[ControlKind, Callable[[Snapshot], Offer]] = {
    ControlKind.START: _start, ControlKind.CONTINUE: _continue, ControlKind.END_WAIT: _end_wait,
    ControlKind.STOP: _stop, ControlKind.ROLLBACK: _rollback, ControlKind.RETRY: _retry, ControlKind.PUSH: _push,
}


# -- doing it ------------------------------------------------------------------------------------

# AWS's refusals of these calls, and what to do about each
_FIXES = {
    "DeploymentIsNotInReadyStateException": "the deployment is no longer waiting; look at its state again",
    "DeploymentAlreadyCompletedException": "the deployment has already ended; nothing is left to steer",
    "DeploymentDoesNotExistException": "the deployment is gone; look at the stack's state again",
    "StageNotRetryableException": "only a failed stage of the latest execution can be retried; start a new "
                                  "execution instead",
    "NotLatestPipelineExecutionException": "retry the latest execution, or start a new one",
    "ConflictException": "another execution or retry is under way; wait for it and try again",
    "ConcurrentPipelineExecutionsLimitExceededException": "wait for a running execution to end",
    "PipelineNotFoundException": "the pipeline is gone: apply the stack again",
    "InvalidDeploymentWaitTypeException": "the deployment is not in that wait",
}


async def perform(session: AwsSession, snapshot: Snapshot, kind: ControlKind) -> str:
    """Do the control now (its offer must be enabled) and say in one line what AWS answered."""
    if kind is ControlKind.PUSH:
        raise ValueError("push is not a core call: the front end builds and pushes with the engine")
    chosen = offer(snapshot, kind)
    if not chosen.enabled:
        raise Failed(f"cannot {chosen.label.lower()} now: {chosen.why_not}", "look at the stack's state again")
    call = _CALLS[kind]
    try:
        return await asyncio.to_thread(call, session, snapshot)
    except Exception as exc:
        code = aws_error_code(exc)
        if not code:
            raise
        message = str((getattr(exc, "response", {}).get("Error") or {}).get("Message") or "")
        fix = _FIXES.get(code, "")
        if not fix:
            fix = {Meaning.THROTTLED: "AWS is throttling: try again in a few seconds",
                   Meaning.ACCESS_DENIED: "your credentials may not make this call: ask for the permission",
                   }.get(meaning(exc) or Meaning.NOT_FOUND, "look at the stack's state again")
        raise Failed(f"AWS refused to {chosen.label.lower()}: {code}" + (f": {message}" if message else ""),
                     fix) from None


def _deployment_id(snapshot: Snapshot) -> str:
    assert snapshot.deployment is not None  # the enabled offer says so
    return snapshot.deployment.id


def _do_start(session: AwsSession, s: Snapshot) -> str:
    answer = session.client("codepipeline").start_pipeline_execution(name=s.target.pipeline)
    return f"started execution {answer['pipelineExecutionId']} of pipeline {s.target.pipeline}"


def _do_continue(session: AwsSession, s: Snapshot) -> str:
    deployment = _deployment_id(s)
    session.client("codedeploy").continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    return f"deployment {deployment}: rerouting production traffic to green"


def _do_end_wait(session: AwsSession, s: Snapshot) -> str:
    deployment = _deployment_id(s)
    session.client("codedeploy").continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
    return f"deployment {deployment}: termination wait ended, the original task set is being removed"


def _stop_with(rollback: bool) -> Callable[[AwsSession, Snapshot], str]:
    def stop(session: AwsSession, s: Snapshot) -> str:
        deployment = _deployment_id(s)
        answer: dict[str, Any] = session.client("codedeploy").stop_deployment(
            deploymentId=deployment, autoRollbackEnabled=rollback)
        status = str(answer.get("status") or "")
        said = str(answer.get("statusMessage") or "")
        what = "stopping and rolling back" if rollback else "stopping without rollback"
        return f"deployment {deployment}: {what} ({status}{': ' + said if said else ''})"

    return stop


def _do_retry(session: AwsSession, s: Snapshot) -> str:
    stage = _failed_stage(s)
    assert stage is not None and s.selected is not None  # the enabled offer says so
    answer = session.client("codepipeline").retry_stage_execution(
        pipelineName=s.target.pipeline, stageName=stage.name, pipelineExecutionId=s.selected,
        retryMode="FAILED_ACTIONS")
    return f"retrying the failed actions of stage {stage.name} (execution {answer.get('pipelineExecutionId', '')})"


_CALLS: dict[ControlKind, Callable[[AwsSession, Snapshot], str]] = {
    ControlKind.START: _do_start, ControlKind.CONTINUE: _do_continue, ControlKind.END_WAIT: _do_end_wait,
    ControlKind.STOP: _stop_with(False), ControlKind.ROLLBACK: _stop_with(True), ControlKind.RETRY: _do_retry,
}
