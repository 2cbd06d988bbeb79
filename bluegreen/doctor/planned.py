"""The facts of a stack not applied yet, for `bluegreen validate --online`: the doctor's rules
judge what the config relies on in the account before `apply` builds anything.

What the stack itself will create (the pipeline, the deployment group, the service, the
listeners, the roles it makes, its own security groups...) is correct by construction and
tested offline: asking for it raises `Planned`, and the rules that need it are counted as
skipped. What already exists and the config only names is read from the account as the doctor
reads it: the subnets `apply` would use (named, or picked as apply picks them) with their route
tables and endpoints, given security groups, given roles (execution, task, CodeDeploy, pipeline,
events), the task definition as apply would register it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bluegreen.aws.discovery_network import default_vpc, subnets, subnets_apply_picks
from bluegreen.aws.discovery_records import Subnet
from bluegreen.aws.session import AwsSession
from bluegreen.doctor.facts import Action, EventRule, Facts, Planned, Templates, Unavailable
from bluegreen.model.config import Config
from renderers.refs import Arns, Refs
from renderers.requests import register_task_definition

# Stand-ins for the ids of the security groups the stack creates: a rule that reads them
# learns they are the stack's own (`Planned`), not that they are missing.
CREATED_ALB_GROUP = "sg-created-by-apply-alb"
CREATED_TASK_GROUP = "sg-created-by-apply-task"


class PlannedFacts(Facts):
    def __init__(self, session: AwsSession, config: Config, concurrency: int = 10) -> None:
        super().__init__(session, config.pipeline.name, concurrency)
        self.config = config
        self.created_roles = {name for name, created in (
            (config.task.execution_role_name, config.task.execution_role_arn is None),
            (config.code_deploy.service_role_name, config.code_deploy.service_role_arn is None),
            (config.pipeline.role_name, config.pipeline.role_arn is None),
            (config.pipeline.events_role_name, config.pipeline.events_role_arn is None)) if created}

    async def call(self, service: str, operation: str, missing: Any = (), **params: Any) -> Any:
        if service == "iam" and params.get("RoleName") in self.created_roles:
            raise Planned(f"role {params['RoleName']} is created by apply")
        if service == "ec2" and {CREATED_ALB_GROUP, CREATED_TASK_GROUP} & set(params.get("GroupIds") or ()):
            raise Planned("the stack's security groups are created by apply")
        return await super().call(service, operation, missing, **params)

    # -- what apply creates ----------------------------------------------------------------

    def _created(self, what: str) -> Planned:
        return Planned(f"{what} is created by apply")

    async def pipeline(self) -> dict[str, Any]:
        raise self._created(f"pipeline {self.config.pipeline.name}")

    async def actions(self) -> list[Action]:
        raise self._created(f"pipeline {self.config.pipeline.name}")

    async def deployment_group(self) -> dict[str, Any]:
        raise self._created(f"deployment group {self.config.code_deploy.deployment_group}")

    async def service(self) -> dict[str, Any]:
        raise self._created(f"service {self.config.ecs.service}")

    async def primary(self) -> dict[str, Any]:
        raise self._created(f"service {self.config.ecs.service}")

    async def target_groups(self) -> list[dict[str, Any]]:
        raise self._created("the target groups")

    async def listener_arns(self) -> tuple[list[str], list[str]]:
        raise self._created("the listeners")

    async def listeners(self) -> dict[str, dict[str, Any]]:
        raise self._created("the listeners")

    async def event_rules(self) -> list[EventRule]:
        raise self._created("the EventBridge rules")

    async def templates(self) -> Templates:
        raise self._created("the source files")

    # -- what the config relies on -----------------------------------------------------------

    async def pipeline_arn(self) -> str:
        return Arns(self.config, await self._refs()).pipeline

    async def task_definition(self) -> dict[str, Any]:
        """The first revision as apply registers it (the image as apply pushes it)."""
        refs = await self._refs()
        return dict(register_task_definition(self.config, refs, refs.image_uri))

    async def awsvpc(self) -> dict[str, Any]:
        chosen = await self._subnets()
        groups = list(self.config.network.task_security_groups) or [CREATED_TASK_GROUP]
        return {"subnets": [s.id for s in chosen], "securityGroups": groups,
                "assignPublicIp": "ENABLED" if self.config.network.assign_public_ip else "DISABLED"}

    async def load_balancer(self) -> dict[str, Any]:
        """The load balancer as apply creates it: the same subnets as the tasks (one list in the config)."""
        lb = self.config.load_balancer
        chosen = await self._subnets()
        return {"LoadBalancerName": lb.name, "Scheme": lb.scheme, "Type": "application",
                "VpcId": chosen[0].vpc_id if chosen else "",
                "AvailabilityZones": [{"SubnetId": s.id, "ZoneName": s.az} for s in chosen],
                "SecurityGroups": list(self.config.network.alb_security_groups) or [CREATED_ALB_GROUP]}

    async def _refs(self) -> Refs:
        return Refs.offline(self.config, await self.account())

    async def _subnets(self) -> list[Subnet]:
        return await self.once("planned subnets", self._pick_subnets)

    async def _pick_subnets(self) -> list[Subnet]:
        network = self.config.network

        def pick() -> list[Subnet]:
            if network.vpc == "default":
                vpc = default_vpc(self.session)
                if vpc is None:
                    raise Unavailable(f"the region {self.region} has no default VPC (network.vpc: default)")
                vpc_id = vpc.id
            else:
                vpc_id = network.vpc
            found = subnets(self.session, vpc_id)
            if network.subnets:
                by_id = {s.id: s for s in found}
                missing = [s.id for s in network.subnets if s.id not in by_id]
                if missing:
                    raise Unavailable(f"network.subnets: {', '.join(missing)} not found in VPC {vpc_id}")
                return [by_id[s.id] for s in network.subnets]
            return subnets_apply_picks(found, vpc_id, self.config.load_balancer.scheme)

        self.calls += 2  # DescribeSubnets + DescribeRouteTables (discovery's own paginated calls)
        return await asyncio.to_thread(pick)
