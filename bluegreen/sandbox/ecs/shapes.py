"""The scheduler's records in the ECS API's JSON shapes (``Task``, ``Container``, ``TaskSet``,
and the fields of ``Service`` the scheduler owns). Called under the scheduler's lock."""

from __future__ import annotations

import uuid
from typing import Any

from .model import STOPPED, ServiceRecord, TaskRecord, TaskSetRecord

FARGATE_PLATFORM_VERSION = "1.4.0"  # what LATEST resolves to on Linux


def _fargate(launch_type: str) -> bool:
    return launch_type == "FARGATE"


def _times(**values: float | None) -> dict[str, float]:
    return {k: v for k, v in values.items() if v is not None}


def task_set(ts: TaskSetRecord) -> dict[str, Any]:
    service = ts.service
    shape: dict[str, Any] = {
        "id": ts.id,
        "taskSetArn": ts.arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "status": ts.status,
        "taskDefinition": ts.task_definition_arn,
        "computedDesiredCount": ts.computed_desired,
        "pendingCount": ts.pending,
        "runningCount": ts.running,
        "createdAt": ts.created_at,
        "updatedAt": ts.updated_at,
        "launchType": service.launch_type,
        "loadBalancers": [lb.shape() for lb in ts.load_balancers],
        "serviceRegistries": [],
        "scale": {"value": ts.scale_percent, "unit": "PERCENT"},
        "stabilityStatus": ts.stability,
        "stabilityStatusAt": ts.stability_at,
        "tags": [],
    }
    if ts.started_by:
        shape["startedBy"] = ts.started_by
    if ts.external_id:
        shape["externalId"] = ts.external_id
    if service.network_configuration:
        shape["networkConfiguration"] = service.network_configuration
    if _fargate(service.launch_type):
        shape["platformVersion"] = FARGATE_PLATFORM_VERSION
        shape["platformFamily"] = "Linux"
    return shape


def amend_service(shape: dict[str, Any], service: ServiceRecord) -> None:
    """What moto's answer lacks or has wrong for a service the scheduler runs."""
    shape["status"] = service.status
    shape["desiredCount"] = service.desired_count
    shape["runningCount"] = service.running
    shape["pendingCount"] = service.pending
    shape["taskSets"] = [task_set(ts) for ts in service.task_sets]
    shape["events"] = [dict(e) for e in service.events]
    primary = service.primary
    if primary is not None:
        shape["taskDefinition"] = primary.task_definition_arn


def _container_arn(task: TaskRecord, name: str) -> str:
    service = task.service
    stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{task.arn}/{name}")  # the same at every describe
    account = task.arn.split(":")[4]
    return f"arn:aws:ecs:{service.region}:{account}:container/{service.cluster_name}/{task.task_id}/{stable}"


def _containers(task: TaskRecord) -> list[dict[str, Any]]:
    status = task.status
    out = []
    for definition in task.definition.get("containerDefinitions") or []:
        name = str(definition.get("name"))
        shape: dict[str, Any] = {
            "containerArn": _container_arn(task, name),
            "taskArn": task.arn,
            "name": name,
            "image": definition.get("image"),
            "lastStatus": "STOPPED" if task.phase == STOPPED else "PENDING",
            "healthStatus": "UNKNOWN",
            "cpu": str(definition.get("cpu", 0)),
        }
        if definition.get("memory") is not None:
            shape["memory"] = str(definition["memory"])
        if definition.get("memoryReservation") is not None:
            shape["memoryReservation"] = str(definition["memoryReservation"])
        found = None
        if status is not None:
            try:
                found = status.container(name)
            except KeyError:
                found = None
        if found is not None:
            shape["lastStatus"] = found.last_status
            for key, value in (("exitCode", found.exit_code), ("reason", found.reason),
                               ("runtimeId", found.runtime_id), ("imageDigest", found.image_digest)):
                if value is not None:
                    shape[key] = value
            if task.eni is None:
                shape["networkBindings"] = [
                    {"bindIP": b.bind_ip, "containerPort": b.container_port, "hostPort": b.host_port,
                     "protocol": b.protocol} for b in found.network_bindings]
        if task.eni is not None:
            shape["networkInterfaces"] = [{"attachmentId": task.eni.attachment_id,
                                           "privateIpv4Address": task.eni.private_ip}]
        out.append(shape)
    return out


def task(t: TaskRecord) -> dict[str, Any]:
    service = t.service
    status = t.status
    definition = t.definition
    shape: dict[str, Any] = {
        "taskArn": t.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinitionArn": t.task_definition_arn,
        "lastStatus": "STOPPED" if t.phase == STOPPED else t.last_status,
        "desiredStatus": t.desired_status,
        "createdAt": t.created_at,
        "startedBy": t.task_set.id,
        "group": f"service:{service.name}",
        "launchType": service.launch_type,
        "containers": _containers(t),
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "healthStatus": "UNKNOWN",
        "enableExecuteCommand": False,
        "overrides": {"containerOverrides": [{"name": c.get("name")}
                                             for c in definition.get("containerDefinitions") or []],
                      "inferenceAcceleratorOverrides": []},
        "tags": [],
        "version": 1,
        "availabilityZone": t.eni.availability_zone if t.eni is not None else f"{service.region}a",
        "attachments": [],
    }
    for key in ("cpu", "memory"):
        if definition.get(key) is not None:
            shape[key] = str(definition[key])
    if _fargate(service.launch_type):
        shape["platformVersion"] = FARGATE_PLATFORM_VERSION
        shape["platformFamily"] = "Linux"
        shape["ephemeralStorage"] = {"sizeInGiB": 20}
    if status is not None:
        shape.update(_times(pullStartedAt=status.pull_started_at, pullStoppedAt=status.pull_stopped_at,
                            startedAt=status.started_at, stoppingAt=status.stopping_at,
                            stoppedAt=status.stopped_at if t.phase == STOPPED else None,
                            connectivityAt=status.pull_started_at))
        shape["version"] = 1 + sum(v is not None for v in (status.pull_started_at, status.started_at,
                                                             status.stopping_at, status.stopped_at))
        if status.pull_started_at is not None:
            shape["connectivity"] = "CONNECTED"
    if t.phase == STOPPED and "stoppedAt" not in shape and t.finished_at is not None:
        shape["stoppedAt"] = t.finished_at
    if t.stopped_reason:
        shape["stoppedReason"] = t.stopped_reason
    if t.stop_code:
        shape["stopCode"] = t.stop_code
    if t.eni is not None:
        eni = t.eni
        shape["attachments"] = [{
            "id": eni.attachment_id,
            "type": "ElasticNetworkInterface",
            "status": "DELETED" if t.phase == STOPPED else "ATTACHED",
            "details": [
                {"name": "subnetId", "value": eni.subnet_id},
                {"name": "networkInterfaceId", "value": eni.id},
                {"name": "macAddress", "value": eni.mac},
                {"name": "privateDnsName", "value": eni.private_dns_name},
                {"name": "privateIPv4Address", "value": eni.private_ip},
            ],
        }]
    return shape
