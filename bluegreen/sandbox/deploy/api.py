"""Deployments in CodeDeploy's API shapes (DeploymentInfo, ECSTarget, LastDeploymentInfo) and the
paging of ListDeployments and ListDeploymentTargets.

Plain data in, JSON-ready dicts out; the caller holds the engine's lock. Optional members AWS
leaves out when they do not apply are left out here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..wire import AwsError
from .model import (
    BLUE,
    GREEN,
    Deployment,
    LifecycleEvent,
    TaskSetInfo,
)

PAGE_SIZE = 100  # deployments per ListDeployments page (AWS does not document its size: unverified)
_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")


def deployment_info(d: Deployment) -> dict[str, Any]:
    g = d.group
    out: dict[str, Any] = {
        "applicationName": g.application,
        "deploymentGroupName": g.name,
        "deploymentConfigName": g.config_name,
        "deploymentId": d.deployment_id,
        "status": d.status,
        "createTime": d.create_time,
        "creator": d.creator,
        "ignoreApplicationStopFailures": False,
        "autoRollbackConfiguration": _auto_rollback(d.auto_rollback),
        "updateOutdatedInstancesOnly": False,
        "deploymentStyle": g.deployment_style,
        "blueGreenDeploymentConfiguration": g.blue_green,
        "loadBalancerInfo": g.load_balancer_info,
        "instanceTerminationWaitTimeStarted": d.termination_wait_started,
        "deploymentOverview": overview(d),
        "deploymentStatusMessages": list(d.status_messages),
        "computePlatform": "ECS",
    }
    if d.revision is not None:
        out["revision"] = d.revision
    if d.previous_revision is not None:
        out["previousRevision"] = d.previous_revision
    if d.description:
        out["description"] = d.description
    if d.start_time is not None:
        out["startTime"] = d.start_time
    if d.complete_time is not None:
        out["completeTime"] = d.complete_time
    if d.error is not None:
        out["errorInformation"] = {"code": d.error[0], "message": d.error[1]}
    if d.rollback_info:
        out["rollbackInfo"] = dict(d.rollback_info)
    return out


def _auto_rollback(config: dict[str, Any]) -> dict[str, Any]:
    return {"enabled": bool(config.get("enabled")), "events": list(config.get("events") or [])}


def overview(d: Deployment) -> dict[str, int]:
    """Targets by status (an ECS deployment has one)."""
    counts = dict.fromkeys(_STATUSES, 0)
    if d.target.status in counts:
        counts[d.target.status] += 1
    return counts


def last_deployment(d: Deployment) -> dict[str, Any]:
    """LastDeploymentInfo, as GetDeploymentGroup shows the last attempted/successful one."""
    out: dict[str, Any] = {"deploymentId": d.deployment_id, "status": d.status, "createTime": d.create_time}
    if d.complete_time is not None:
        out["endTime"] = d.complete_time
    return out


# --- targets -------------------------------------------------------------------------------------


def ecs_target(d: Deployment) -> dict[str, Any]:
    t = d.target
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": d.deployment_id,
            "targetId": t.target_id,
            "targetArn": t.target_arn,
            "lastUpdatedAt": t.last_updated,
            "lifecycleEvents": [_event(e) for e in t.events],
            "status": t.status,
            "taskSetsInfo": [_task_set(t.task_sets[label]) for label in (BLUE, GREEN)
                             if label in t.task_sets and t.task_sets[label].arn],
        },
    }


def _event(e: LifecycleEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"lifecycleEventName": e.name, "status": e.status}
    if e.start is not None:
        out["startTime"] = e.start
    if e.end is not None:
        out["endTime"] = e.end
    if e.diagnostics is not None:
        out["diagnostics"] = {
            "errorCode": e.diagnostics.error_code,
            "scriptName": e.diagnostics.script_name,
            "message": e.diagnostics.message,
            "logTail": "",
        }
    return out


def _task_set(info: TaskSetInfo) -> dict[str, Any]:
    return {
        "identifer": info.identifier,  # sic: AWS's member name
        "desiredCount": info.desired,
        "pendingCount": info.pending,
        "runningCount": info.running,
        "status": info.status,
        "trafficWeight": info.weight,
        "targetGroup": {"name": info.target_group_name},
        "taskSetLabel": info.label,
    }


# --- paging --------------------------------------------------------------------------------------


def page(items: list[str], token: str | None, scope: str) -> tuple[list[str], str | None]:
    """One page of ``items`` from ``token`` on, and the token of the next page. A token names
    its list (``scope``): one from another list is InvalidNextTokenException."""
    start = 0
    if token is not None:
        try:
            data = json.loads(base64.b64decode(token, validate=True))
            if not isinstance(data, dict) or data.get("scope") != scope or not isinstance(data.get("start"), int):
                raise ValueError
            start = int(data["start"])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise AwsError("InvalidNextTokenException", "The next token was specified in an invalid format.") from None
    end = start + PAGE_SIZE
    if end >= len(items):
        return items[start:], None
    next_token = base64.b64encode(json.dumps({"scope": scope, "start": end}).encode()).decode()
    return items[start:end], next_token
