"""The ECS cluster, the task definition the service starts from, and the service under
the CODE_DEPLOY controller."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import State, conflict, missing_as_none
from bluegreen.engine.nodes.resource import ManagedResource
from bluegreen.engine.nodes.service_health import task_health
from bluegreen.errors import Failed
from bluegreen.events import NodeProgress
from renderers import requests

# A Fargate task takes a minute or two to start and the load balancer needs a passed health check
# (30 s apart by default): ten minutes is a generous bound, not a common case.
TASKS_HEALTHY_WITHIN_S = 600
# A deleted service drains its tasks for the target groups' deregistration delay (at most 3600 s).
DRAINED_WITHIN_S = 3900


if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


class ClusterNode(ManagedResource[dict[str, Any]]):
    """An existing cluster the user chose is shared, not owned: used as it is, and left
    alone by destroy."""

    id = "ecs.cluster"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"ECS cluster {config.ecs.cluster}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        found = ctx.client("ecs").describe_clusters(clusters=[ctx.config.ecs.cluster], include=["TAGS"])
        active = [c for c in found["clusters"] if c["status"] != "INACTIVE"]
        return active[0] if active else None

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return found.get("tags", [])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["clusterArn"])

    def create_resource(self, ctx: Context) -> str:
        return str(ctx.client("ecs").create_cluster(**requests.create_cluster(ctx.config))["cluster"]["clusterArn"])

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("ecs").delete_cluster(cluster=found["clusterArn"])


# The fields of a task definition that the config decides (the image is the pipeline's).
_COMPARED = ("family", "executionRoleArn", "taskRoleArn", "networkMode", "cpu", "memory",
             "requiresCompatibilities")
_COMPARED_CONTAINER = ("name", "portMappings", "environment", "logConfiguration", "healthCheck",
                       "essential")


def comparable_taskdef(taskdef: dict[str, Any]) -> dict[str, Any]:
    """The fields of a task definition the config decides, in one shape for a request and an answer."""
    out = {key: taskdef.get(key) for key in _COMPARED}
    out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"] or [])
    containers = []
    for container in taskdef.get("containerDefinitions", []):
        shown = {key: container.get(key) for key in _COMPARED_CONTAINER}
        shown["environment"] = sorted((e["name"], e["value"]) for e in container.get("environment") or [])
        shown["portMappings"] = sorted((p.get("containerPort"), p.get("protocol", "tcp"))
                                       for p in container.get("portMappings") or [])
        # DescribeTaskDefinition answers "secretOptions": [] in a log configuration that had
        # none (docs/fidelity/drift.md): an empty list says nothing.
        logs = container.get("logConfiguration")
        shown["logConfiguration"] = {k: v for k, v in logs.items() if v not in ([], {}, None)} if logs else None
        shown["essential"] = container.get("essential", True)  # AWS's default for a lone container
        containers.append(shown)
    out["containerDefinitions"] = containers
    return out


class TaskDefinitionNode(ManagedResource[dict[str, Any]]):
    """The latest revision of the family. Revisions are immutable: an update registers a
    new one. Revisions carry no owner tag to read; destroy removes the whole family."""

    id = "ecs.task_definition"
    deps = ("iam.role.execution", "logs.log_group", "ecr.image")
    shared = True

    def title(self, config: Config) -> str:
        return f"Task definition {config.task.family}"

    def wanted(self, ctx: Context) -> dict[str, Any]:
        return requests.register_task_definition(ctx.config, ctx.refs(), ctx.need("image.uri"))

    def find(self, ctx: Context) -> dict[str, Any] | None:
        try:
            return dict(ctx.client("ecs").describe_task_definition(
                taskDefinition=ctx.config.task.family)["taskDefinition"])
        except Exception as exc:
            if "Unable to describe task definition" in str(exc) or "ClientException" in str(exc):
                return None
            raise

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["taskDefinitionArn"])

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        if comparable_taskdef(found) != comparable_taskdef(self.wanted(ctx)):
            return ["the config changed the task (a new revision reaches the service with the next deployment)"]
        return []

    def create_resource(self, ctx: Context) -> str:
        answer = ctx.client("ecs").register_task_definition(**self.wanted(ctx))
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def update_resource(self, ctx: Context, detail: str) -> str:
        return self.create_resource(ctx)

    def delete(self, ctx: Context) -> bool:
        ecs = ctx.client("ecs")
        arns = [a for page in ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=ctx.config.task.family, status="ACTIVE") for a in page["taskDefinitionArns"]]
        for arn in arns:
            ecs.deregister_task_definition(taskDefinition=arn)
        inactive = [a for page in ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=ctx.config.task.family, status="INACTIVE") for a in page["taskDefinitionArns"]]
        # Deregistered revisions stay listed (and tagged) until deleted, ten at a time.
        for start in range(0, len(inactive), 10):
            ecs.delete_task_definitions(taskDefinitions=inactive[start:start + 10])
        return bool(arns or inactive)


class ServiceNode(ManagedResource[dict[str, Any]]):
    id = "ecs.service"
    # ECS refuses a target group no listener uses, so the listeners (and through them the
    # blue target group) come first (docs/aws-facts.md section 1, wave 4).
    deps: tuple[str, ...] = ("ecs.cluster", "ecs.task_definition", "elbv2.target_group.blue",
                             "elbv2.listener.production", "elbv2.listener.test", "ec2.security_group.task",
                             "network.subnets", "iam.ecs_service_linked_role")
    # ECS cannot yet see a role or target group created a moment ago
    eventual_consistency_codes = ("InvalidParameterException",)

    def __init__(self, creates_task_ingress: bool = True) -> None:
        # The tasks start as soon as the service exists, and the load balancer's health checks
        # only reach them once the task group lets the load balancer's group in: without that
        # rule the first tasks fail their checks. Groups the user brings are theirs to open.
        if creates_task_ingress:
            self.deps = (*type(self).deps, "ec2.security_group.task.ingress")

    def title(self, config: Config) -> str:
        return f"ECS service {config.ecs.service}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        ecs = ctx.config.ecs
        client = ctx.client("ecs")
        found = missing_as_none(
            lambda: client.describe_services(cluster=ecs.cluster, services=[ecs.service], include=["TAGS"]))
        if found is None:  # no cluster yet, so no service
            return None
        live = [s for s in found.get("services", []) if s["status"] != "INACTIVE"]
        return live[0] if live else None

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return found.get("tags", [])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["serviceArn"])

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        controller = found.get("deploymentController", {}).get("type", "ECS")
        if controller != "CODE_DEPLOY":
            return conflict(f"{self.title(ctx.config)} exists with the {controller} deployment controller; "
                            "blue/green needs CODE_DEPLOY, which cannot be changed in place",
                            "run 'bluegreen destroy' first, or pick another ecs.service name",
                            found["serviceArn"])
        return None

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{"service.status": found["status"]})  # for wait

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        wanted = ctx.config.ecs.desired_count
        if found["desiredCount"] != wanted:
            return [f"desired count {found['desiredCount']} -> {wanted}"]
        return []

    def create_resource(self, ctx: Context) -> str:
        request = requests.create_service(ctx.config, ctx.refs())
        service = ctx.client("ecs").create_service(**request)["service"]
        ctx.put(**{"service.status": service.get("status", ""), "service.changed": True})
        return str(service["serviceArn"])

    def update_resource(self, ctx: Context, detail: str) -> str:
        ecs = ctx.config.ecs
        ctx.client("ecs").update_service(cluster=ecs.cluster, service=ecs.service,
                                         desiredCount=ecs.desired_count)
        ctx.put(**{"service.changed": True})
        return detail

    async def wait(self, ctx: Context) -> None:
        """Until ECS reports the service ACTIVE (the seed procedure's describe-services check),
        then, when this run created or changed it, until its tasks run and pass the load
        balancer's health checks: the URL apply prints then answers. A service left as it was
        is not waited for (its health is the monitor's business, not every apply's)."""
        if ctx.get("service.status", "ACTIVE") != "ACTIVE":  # found or created ACTIVE: done
            await self._until_active(ctx)
        if ctx.get("service.changed", False) and ctx.config.ecs.desired_count > 0:
            await self._until_tasks_healthy(ctx)

    async def _until_active(self, ctx: Context) -> None:
        for attempt in range(60):
            service = await asyncio.to_thread(self.find, ctx)
            if service is None:
                raise RuntimeError("the service disappeared while starting")
            if service["status"] == "ACTIVE":
                return
            if attempt == 0:
                ctx.emit(NodeProgress(self.id, f"service is {service['status']}"))
            await asyncio.sleep(5)
        raise TimeoutError("the service did not become ACTIVE within 5 minutes")

    async def _until_tasks_healthy(self, ctx: Context) -> None:
        ecs, elbv2 = ctx.client("ecs"), ctx.client("elbv2")
        cluster, name = ctx.config.ecs.cluster, ctx.config.ecs.service
        poll = 0.25 if ctx.session.target.is_sandbox else 5.0
        deadline = time.monotonic() + TASKS_HEALTHY_WITHIN_S
        said = ""
        while True:
            health = await asyncio.to_thread(task_health, ecs, elbv2, cluster, name)
            if health.ready:
                return
            if health.failure:  # the image cannot be pulled, the container exits...
                raise Failed(f"the service's tasks stop as they start: {health.failure}",
                             "push an image that starts ('bluegreen push'), or fix the task's execution "
                             "role; ECS keeps retrying, and 'bluegreen apply' again waits for the tasks")
            if health.summary != said:
                said = health.summary
                ctx.emit(NodeProgress(self.id, said))
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service's tasks were not healthy within "
                                   f"{TASKS_HEALTHY_WITHIN_S // 60} minutes ({said})")
            await asyncio.sleep(poll)

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        client = ctx.client("ecs")
        ecs = ctx.config.ecs
        client.update_service(cluster=ecs.cluster, service=ecs.service, desiredCount=0)
        client.delete_service(cluster=ecs.cluster, service=ecs.service, force=True)
        self._until_drained(ctx)

    def _until_drained(self, ctx: Context) -> None:
        """Until the deleted service is INACTIVE: its tasks drain from the load balancer first
        (the target groups' deregistration delay, 300 s by default), and ECS refuses to delete the
        cluster meanwhile (ClusterContainsServicesException), longer than a delete's retries."""
        poll = 0.25 if ctx.session.target.is_sandbox else 5.0
        deadline = time.monotonic() + DRAINED_WITHIN_S
        said = ""
        while True:
            found = self.find(ctx)  # ACTIVE or DRAINING; None once INACTIVE or gone
            if found is None:
                return
            message = f"service is {found['status']}: {found.get('runningCount', 0)} task(s) still running"
            if message != said:
                said = message
                ctx.emit(NodeProgress(self.id, message))
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service was still {found['status']} after "
                                   f"{DRAINED_WITHIN_S // 60} minutes ({said})")
            time.sleep(poll)
