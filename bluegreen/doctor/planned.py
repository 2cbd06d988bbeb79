"""The facts of a stack not applied yet, for `bluegreen validate --online`: the doctor's rules
judge what the config relies on in the account before `apply` builds anything.

What the stack itself will create (the service, the listeners, the roles it makes, its own
security groups, buckets, repository, rules...) is correct by construction and tested
offline: asking for it raises `Planned`, and the rules that need it are counted as skipped.
The pipeline, the deployment group and the source files are rendered from the config as apply
sends them, so the rules that read them still judge what they name that already exists (a
given role, a hook's Lambda function).

What already exists and the config only names is read from the account as the doctor
reads it: the subnets `apply` would use (named, or picked as apply picks them) with their
route tables and endpoints, given security groups, given roles (execution, task, CodeDeploy,
pipeline, events), the task definition as apply would register it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bluegreen.aws.discovery_network import default_vpc, subnets, subnets_apply_picks
from bluegreen.aws.discovery_records import Subnet
from bluegreen.aws.session import AwsSession
from bluegreen.doctor.facts import EventRule, Facts, Planned, Templates, Unavailable
from bluegreen.model.config import Config
from renderers.refs import Arns, Refs
from renderers.requests import (
    appspec_yaml,
    create_deployment_group,
    create_listener,
    create_load_balancer,
    create_pipeline,
    create_service,
    create_target_group,
    event_rules,
    register_task_definition,
    taskdef_json,
)

# Stand-ins for the ids of the security groups the stack creates: a rule that reads them
# learns they are the stack's own (`Planned`), not that they are missing.
CREATED_ALB_GROUP = "sg-created-by-apply-alb"
CREATED_TASK_GROUP = "sg-created-by-apply-task"
# Calls that read no resource (they compute an answer): made as they are.
PURE_CALLS = {("events", "test_event_pattern"), ("sts", "get_caller_identity")}


class PlannedFacts(Facts):
    def __init__(self, session: AwsSession, config: Config, concurrency: int = 16) -> None:
        super().__init__(session, config.pipeline.name, concurrency)
        self.config = config
        self.created_roles = {name for name, created in (
            (config.task.execution_role_name, config.task.execution_role_arn is None),
            (config.code_deploy.service_role_name, config.code_deploy.service_role_arn is None),
            (config.pipeline.role_name, config.pipeline.role_arn is None),
            (config.pipeline.events_role_name, config.pipeline.events_role_arn is None)) if created}

    async def call(self, service: str, operation: str, missing: Any = (), **params: Any) -> Any:
        refused = "" if (service, operation) in PURE_CALLS else self._created_by_apply(service, params)
        if refused:
            raise Planned(f"{refused} is created by apply")
        return await super().call(service, operation, missing, **params)

    def _created_by_apply(self, service: str, params: dict[str, Any]) -> str:
        """What a call asks about, when it is something apply creates ("" otherwise)."""
        config = self.config
        role = params.get("RoleName")
        if service == "iam" and (role in self.created_roles or role == "AWSServiceRoleForECS"):
            return f"role {role}"  # the service-linked role too: apply creates it when missing
        if service == "ec2" and {CREATED_ALB_GROUP, CREATED_TASK_GROUP} & set(params.get("GroupIds") or ()):
            return "the stack's security groups"
        if service == "s3" and params.get("Bucket") in {config.source.bucket, config.pipeline.artifact_bucket}:
            return f"bucket {params['Bucket']}"
        if service == "codecommit" and params.get("repositoryName") == config.source.repository:
            return f"repository {config.source.repository}"
        if service in ("events", "codedeploy", "elbv2", "ecs"):
            return f"the stack's {service} resources"
        return ""

    async def known_config(self) -> Config | None:
        return self.config

    # -- what apply creates: rendered from the config, as apply will send it ------------------

    async def pipeline(self) -> dict[str, Any]:
        refs = await self._refs()
        return {"pipeline": create_pipeline(self.config, refs)["pipeline"],
                "metadata": {"pipelineArn": Arns(self.config, refs).pipeline}}

    async def deployment_group(self) -> dict[str, Any]:
        return dict(create_deployment_group(self.config, await self._refs()))

    async def templates(self) -> Templates:
        refs = await self._refs()
        return Templates(taskdef_json(self.config, refs), appspec_yaml(self.config), "the config (as apply renders it)",
                         "taskdef.json", "appspec.yaml")

    async def artifact_file(self, artifact: str, path: str) -> tuple[str | None, str]:
        raise Planned(f"artifact {artifact} is made by the pipeline apply creates")

    async def s3_object(self, bucket: str, key: str) -> bytes | None:
        raise Planned(f"s3://{bucket}/{key} is written by apply")

    def _created(self, what: str) -> Planned:
        return Planned(f"{what} is created by apply")

    async def service(self) -> dict[str, Any]:
        return dict(create_service(self.config, await self._refs()), status="ACTIVE")

    async def primary(self) -> dict[str, Any]:
        return await self.service()

    async def target_groups(self) -> list[dict[str, Any]]:
        """As DescribeTargetGroups will show them (health checks on the traffic port)."""
        refs = await self._refs()
        lb = self.config.load_balancer
        out = []
        for name, arn in ((lb.blue_target_group, refs.blue_target_group_arn),
                          (lb.green_target_group, refs.green_target_group_arn)):
            request = create_target_group(self.config, refs, name)
            out.append({"TargetGroupName": name, "TargetGroupArn": arn, "Protocol": request["Protocol"],
                        "Port": request["Port"], "VpcId": request["VpcId"], "TargetType": request["TargetType"],
                        "HealthCheckPort": "traffic-port", "HealthCheckPath": request["HealthCheckPath"],
                        "Matcher": request["Matcher"], "LoadBalancerArns": []})
        return out

    async def listeners(self) -> dict[str, dict[str, Any]]:
        refs = await self._refs()
        lb = self.config.load_balancer
        out = {}
        for arn, port in ((refs.production_listener_arn, lb.production_port), (refs.test_listener_arn, lb.test_port)):
            request = create_listener(self.config, refs, port)
            out[arn] = {"ListenerArn": arn, "LoadBalancerArn": request["LoadBalancerArn"], "Port": port,
                        "Protocol": request["Protocol"], "DefaultActions": request["DefaultActions"]}
        return out

    async def event_rules(self) -> list[EventRule]:
        refs = await self._refs()
        region, account = self.config.region, refs.account_id
        return [EventRule(name=rule["Name"], arn=f"arn:aws:events:{region}:{account}:rule/{rule['Name']}",
                          state=rule["State"], pattern=json.loads(rule["EventPattern"]),
                          targets=tuple(targets["Targets"]))
                for _, rule, targets in event_rules(self.config, refs)]

    # -- what the config relies on -----------------------------------------------------------

    async def task_definition(self) -> dict[str, Any]:
        """The first revision as apply registers it (the image as apply pushes it)."""
        refs = await self._refs()
        return dict(register_task_definition(self.config, refs, refs.image_uri))

    async def awsvpc(self) -> dict[str, Any]:
        service = await self.service()
        return dict(service["networkConfiguration"]["awsvpcConfiguration"])

    async def load_balancer(self) -> dict[str, Any]:
        """The load balancer as apply creates it: the same subnets as the tasks (one list in the config)."""
        refs = await self._refs()
        request = create_load_balancer(self.config, refs)
        zones = {s.id: s.az for s in await self._subnets()}
        return {"LoadBalancerArn": refs.load_balancer_arn, "LoadBalancerName": request["Name"],
                "Scheme": request["Scheme"], "Type": request["Type"], "VpcId": refs.vpc_id,
                "AvailabilityZones": [{"SubnetId": i, "ZoneName": zones.get(i, "")} for i in request["Subnets"]],
                "SecurityGroups": request["SecurityGroups"]}

    async def _refs(self) -> Refs:
        """The ids apply will use: the account's, the subnets it picks, given security groups
        (stand-ins for the ones it creates); ARNs of what it creates keep their placeholders."""
        async def build() -> Refs:
            chosen = await self._subnets()
            network = self.config.network
            return Refs.offline(self.config, await self.account()).with_values(
                vpc_id=chosen[0].vpc_id if chosen else "", subnet_ids=tuple(s.id for s in chosen),
                alb_security_group_ids=tuple(network.alb_security_groups) or (CREATED_ALB_GROUP,),
                task_security_group_ids=tuple(network.task_security_groups) or (CREATED_TASK_GROUP,))

        return await self.once("planned refs", build)

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
