"""CodeDeploy reads: a deployment (GetDeployment), its ECS target (GetDeploymentTarget: lifecycle
events and the Blue/Green task sets with their weights), the configuration that paces its traffic
steps, and the group's newest deployment; and the wait a deployment is in, with its time left.

How a wait is told (docs/monitor.md): a ready wait is the deployment (or its target) in status
`Ready`, after AfterAllowTestTraffic; its end is `waitTimeInMinutes` after it began when the
group's ready option is STOP_DEPLOYMENT (the deployment is Stopped then). A termination wait is a
deployment still `InProgress` whose target has `Succeeded` with every lifecycle event done (or
`instanceTerminationWaitTimeStarted` true); it ends `terminationWaitTimeInMinutes` after
AfterAllowTraffic ended, when the original task set is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bluegreen.errors import aws_error_code
from bluegreen.watch.snapshot import Deployment, LifecycleEvent, TaskSetState, Wait, WaitKind

ACTIVE_STATUSES = frozenset({"Created", "Queued", "InProgress", "Baking", "Ready"})
ENDED_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})


def read_info(codedeploy: Any, deployment_id: str) -> dict[str, Any]:
    return dict(codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])


def read_target(codedeploy: Any, deployment_id: str, target_id: str) -> dict[str, Any] | None:
    """The deployment's ECS target, or None before the deployment has started. The target id
    of an ECS deployment is `<cluster>:<service>` (API reference, GetDeploymentTarget); if the
    deployment names another, the one it lists is read."""
    try:
        answer = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target_id)
    except Exception as exc:
        code = aws_error_code(exc)
        if code == "DeploymentNotStartedException":
            return None
        if code != "DeploymentTargetDoesNotExistException":
            raise
        listed = codedeploy.list_deployment_targets(deploymentId=deployment_id).get("targetIds") or []
        if not listed:
            return None
        answer = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=listed[0])
    target = answer.get("deploymentTarget") or {}
    return dict(target.get("ecsTarget") or {}) or None


def read_group_latest(codedeploy: Any, application: str, group: str) -> str:
    """The group's newest deployment id ("" if it never had one)."""
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)
    last = (info.get("deploymentGroupInfo") or {}).get("lastAttemptedDeployment") or {}
    return str(last.get("deploymentId") or "")


@dataclass(frozen=True)
class Routing:
    """How a deployment configuration moves traffic."""

    kind: str  # AllAtOnce | TimeBasedLinear | TimeBasedCanary
    percent: int = 100
    interval_minutes: int = 0

    @property
    def steps(self) -> int:
        if self.kind == "TimeBasedLinear" and self.percent > 0:
            return -(-100 // self.percent)
        return 2 if self.kind == "TimeBasedCanary" else 1


def read_routing(codedeploy: Any, config_name: str) -> Routing:
    info = codedeploy.get_deployment_config(deploymentConfigName=config_name)["deploymentConfigInfo"]
    routing = info.get("trafficRoutingConfig") or {}
    kind = str(routing.get("type") or "AllAtOnce")
    if kind == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        return Routing(kind, int(linear.get("linearPercentage") or 0), int(linear.get("linearInterval") or 0))
    if kind == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        return Routing(kind, int(canary.get("canaryPercentage") or 0), int(canary.get("canaryInterval") or 0))
    return Routing(kind)


def build(info: dict[str, Any], target: dict[str, Any] | None, taken_at: datetime,
          time_scale: float = 1.0) -> Deployment:
    """The Deployment value from GetDeployment's and GetDeploymentTarget's answers."""
    lifecycle = tuple(_event(e) for e in (target or {}).get("lifecycleEvents") or [])
    task_sets = tuple(_task_set(t) for t in (target or {}).get("taskSetsInfo") or [])
    error = info.get("errorInformation") or {}
    rollback = info.get("rollbackInfo") or {}
    return Deployment(
        id=str(info.get("deploymentId") or ""),
        status=str(info.get("status") or ""),
        creator=str(info.get("creator") or ""),
        created=info.get("createTime"),
        completed=info.get("completeTime"),
        error=": ".join(str(part) for part in (error.get("code"), error.get("message")) if part),
        lifecycle=lifecycle,
        task_sets=task_sets,
        wait=wait_of(info, target, lifecycle, taken_at, time_scale),
        rollback_of=str(rollback.get("rollbackTriggeringDeploymentId") or ""),
        rolled_back_by=str(rollback.get("rollbackDeploymentId") or ""),
    )


def _event(event: dict[str, Any]) -> LifecycleEvent:
    diagnostics = event.get("diagnostics") or {}
    message = str(diagnostics.get("message") or "")
    code = str(diagnostics.get("errorCode") or "")
    return LifecycleEvent(
        name=str(event.get("lifecycleEventName") or ""), status=str(event.get("status") or ""),
        started=event.get("startTime"), ended=event.get("endTime"),
        diagnostic=f"{code}: {message}" if code and message and code != "Success" else message,
    )


def _task_set(task_set: dict[str, Any]) -> TaskSetState:
    return TaskSetState(
        id=str(task_set.get("identifer") or task_set.get("identifier") or ""),  # sic: AWS's member name
        label=str(task_set.get("taskSetLabel") or ""),
        status=str(task_set.get("status") or ""),
        desired=int(task_set.get("desiredCount") or 0),
        pending=int(task_set.get("pendingCount") or 0),
        running=int(task_set.get("runningCount") or 0),
        traffic_weight=float(task_set.get("trafficWeight") or 0.0),
        target_group=str((task_set.get("targetGroup") or {}).get("name") or ""),
    )


def wait_of(info: dict[str, Any], target: dict[str, Any] | None, lifecycle: tuple[LifecycleEvent, ...],
            taken_at: datetime, time_scale: float = 1.0) -> Wait | None:
    status = str(info.get("status") or "")
    target_status = str((target or {}).get("status") or "")
    config = info.get("blueGreenDeploymentConfiguration") or {}
    if status == "Ready" or (status in ACTIVE_STATUSES and target_status == "Ready"):
        ready = config.get("deploymentReadyOption") or {}
        action = str(ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT")
        started = _ended(lifecycle, "AfterAllowTestTraffic")
        minutes = int(ready.get("waitTimeInMinutes") or 0) if action == "STOP_DEPLOYMENT" else 0
        return _wait(WaitKind.READY, started, minutes, action, taken_at, time_scale)
    events_done = bool(lifecycle) and all(e.status in ("Succeeded", "Skipped") for e in lifecycle)
    if status == "InProgress" and (info.get("instanceTerminationWaitTimeStarted")
                                   or (target_status == "Succeeded" and events_done)):
        termination = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        minutes = int(termination.get("terminationWaitTimeInMinutes") or 0)
        started = _ended(lifecycle, "AfterAllowTraffic") or (lifecycle[-1].ended if lifecycle else None)
        return _wait(WaitKind.TERMINATION, started, minutes, "TERMINATE", taken_at, time_scale)
    return None


def _ended(lifecycle: tuple[LifecycleEvent, ...], name: str) -> datetime | None:
    return next((e.ended for e in lifecycle if e.name == name and e.ended is not None), None)


def _wait(kind: WaitKind, started: datetime | None, minutes: int, on_timeout: str, taken_at: datetime,
          time_scale: float) -> Wait:
    if started is None or minutes <= 0:
        return Wait(kind, None, None, on_timeout, started)
    # the sandbox runs AWS's minutes time_scale times faster; on AWS time_scale is 1
    ends_at = started + timedelta(seconds=minutes * 60 / time_scale)
    return Wait(kind, ends_at, max(0.0, (ends_at - taken_at).total_seconds()), on_timeout, started)
