"""Security groups, target groups, the load balancer and its two listeners."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import Node, State, conflict, create, in_sync, missing_as_none, update
from bluegreen.engine.nodes.resource import ManagedResource
from bluegreen.events import NodeProgress
from renderers import requests

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


def _find_group(ctx: Context, role: str) -> dict[str, Any] | None:
    groups = ctx.client("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [ctx.need("vpc_id")]},
        {"Name": "group-name", "Values": [f"{ctx.stack}-{role}"]},
    ])["SecurityGroups"]
    return groups[0] if groups else None


class SecurityGroupNode(ManagedResource[dict[str, Any]]):
    """The group alone; its rules are the ingress node's, so the load balancer (which only
    needs the group's id) does not wait for them."""

    def __init__(self, role: str) -> None:
        self.role = role  # "alb" or "task"
        self.id = f"ec2.security_group.{role}"
        self.deps = ("network.vpc",)

    def title(self, config: Config) -> str:
        return f"Security group {config.name}-{self.role}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        return _find_group(ctx, self.role)

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return found.get("Tags", [])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["GroupId"])

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{f"sg.{self.role}": found["GroupId"]})

    def create_resource(self, ctx: Context) -> str:
        group_id = str(ctx.client("ec2").create_security_group(
            **requests.create_security_group(ctx.config, ctx.refs(), self.role))["GroupId"])
        ctx.put(**{f"sg.{self.role}": group_id})
        return group_id

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("ec2").delete_security_group(GroupId=found["GroupId"])


class ExistingSecurityGroupsNode(Node):
    """Security groups named in the config: checked to exist in the VPC, never created. A
    plain node: the groups are the user's, with no owner tag and nothing to delete."""

    def __init__(self, role: str, ids: list[str]) -> None:
        self.role = role
        self.ids = ids
        self.id = f"ec2.security_group.{role}"
        self.deps = ("network.vpc",)

    def title(self, config: Config) -> str:
        return f"Security groups for the {self.role} ({', '.join(self.ids)})"

    def inspect(self, ctx: Context) -> State:
        found = ctx.client("ec2").describe_security_groups(
            Filters=[{"Name": "group-id", "Values": self.ids}])["SecurityGroups"]
        by_id = {g["GroupId"]: g for g in found}
        missing = [i for i in self.ids if i not in by_id]
        key = "albSecurityGroups" if self.role == "alb" else "taskSecurityGroups"
        if missing:
            return conflict(f"network.{key}: {', '.join(missing)} not found",
                            "list existing security group ids, or leave it empty to create one")
        vpc = ctx.need("vpc_id")
        elsewhere = [i for i, g in by_id.items() if g["VpcId"] != vpc]
        if elsewhere:
            return conflict(f"network.{key}: {', '.join(elsewhere)} belong to another VPC than {vpc}",
                            "pick security groups of the stack's VPC")
        ctx.put(**{f"sg.{self.role}": self.ids[0]})
        return in_sync(", ".join(self.ids))

    def delete(self, ctx: Context) -> bool:
        return False  # not ours


def _rule_keys(permissions: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    keys = set()
    for p in permissions:
        for r in p.get("IpRanges", []):
            keys.add((p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
        for g in p.get("UserIdGroupPairs", []):
            keys.add((p.get("FromPort"), p.get("ToPort"), g["GroupId"]))
    return keys


class IngressNode(Node):
    """alb: both listener ports open to the internet; task: the container port open to the
    load balancer's group only.

    A plain node, not a ManagedResource: the rules live inside the group the security
    group node owns (no name, no tag of their own), "create" and "update" both authorize
    the missing rules, and they go with their group."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.id = f"ec2.security_group.{role}.ingress"
        self.deps = (f"ec2.security_group.{role}",) if role == "alb" else (
            "ec2.security_group.task", "ec2.security_group.alb")

    def title(self, config: Config) -> str:
        return f"Ingress rules of {config.name}-{self.role}"

    def _wanted(self, ctx: Context) -> dict[str, Any]:
        group_id = ctx.need(f"sg.{self.role}")
        if self.role == "alb":
            return requests.alb_ingress(ctx.config, group_id)
        return requests.task_ingress(ctx.config, group_id, ctx.need("sg.alb"))

    def _missing(self, ctx: Context, group: dict[str, Any] | None) -> list[dict[str, Any]]:
        have = _rule_keys(group.get("IpPermissions", [])) if group else set()
        return [p for p in self._wanted(ctx)["IpPermissions"] if not _rule_keys([p]) <= have]

    def inspect(self, ctx: Context) -> State:
        group = _find_group(ctx, self.role)
        if group is None:
            return create("after the security group is created")
        missing = self._missing(ctx, group)
        if len(missing) == len(self._wanted(ctx)["IpPermissions"]):
            return create("the group has none of its rules yet")
        if missing:
            return update("ingress rules are missing", group["GroupId"])
        return in_sync(group["GroupId"])

    def create(self, ctx: Context) -> str:
        request = self._wanted(ctx)
        ctx.client("ec2").authorize_security_group_ingress(**request)
        return str(request["GroupId"])

    def update(self, ctx: Context, state: State) -> str:
        request = self._wanted(ctx)
        request["IpPermissions"] = self._missing(ctx, _find_group(ctx, self.role))
        ctx.client("ec2").authorize_security_group_ingress(**request)
        return state.detail

    def delete(self, ctx: Context) -> bool:
        return False  # rules go with their group


def _elb_tags(ctx: Context, arn: str) -> list[dict[str, str]]:
    descriptions = ctx.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return list(descriptions[0]["Tags"]) if descriptions else []


class TargetGroupNode(ManagedResource[dict[str, Any]]):
    def __init__(self, color: str) -> None:
        self.color = color
        self.id = f"elbv2.target_group.{color}"
        self.deps = ("network.vpc",)

    def name(self, config: Config) -> str:
        lb = config.load_balancer
        return lb.blue_target_group if self.color == "blue" else lb.green_target_group

    def title(self, config: Config) -> str:
        return f"Target group {self.name(config)}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        elbv2 = ctx.client("elbv2")
        name = self.name(ctx.config)
        groups = missing_as_none(lambda: elbv2.describe_target_groups(Names=[name])["TargetGroups"])
        return groups[0] if groups else None

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return _elb_tags(ctx, found["TargetGroupArn"])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["TargetGroupArn"])

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{f"tg.{self.color}": found["TargetGroupArn"]})

    def _wanted(self, ctx: Context) -> dict[str, Any]:
        return requests.create_target_group(ctx.config, ctx.refs(), self.name(ctx.config))

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        wanted = self._wanted(ctx)
        # .get: a target group someone else made may have no port at all (type lambda)
        if found.get("Port") != wanted["Port"] or found.get("VpcId") != wanted["VpcId"] or (
                found.get("TargetType") != "ip"):
            return conflict(
                f"{self.title(ctx.config)} exists with port {found.get('Port')} / type {found.get('TargetType')} "
                f"in {found.get('VpcId')}, but the config needs port {wanted['Port']} / ip in "
                f"{wanted['VpcId']}; a target group cannot change those",
                "run 'bluegreen destroy' first, or name new target groups in loadBalancer",
                found["TargetGroupArn"],
            )
        return None

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        wanted = self._wanted(ctx)
        if (found.get("HealthCheckPath") != wanted["HealthCheckPath"]
                or found.get("Matcher", {}).get("HttpCode") != wanted["Matcher"]["HttpCode"]):
            return ["health check differs"]
        return []

    def create_resource(self, ctx: Context) -> str:
        group = ctx.client("elbv2").create_target_group(**self._wanted(ctx))["TargetGroups"][0]
        self.publish(ctx, group)
        return str(group["TargetGroupArn"])

    def update_resource(self, ctx: Context, detail: str) -> str:
        lb = ctx.config.load_balancer
        ctx.client("elbv2").modify_target_group(
            TargetGroupArn=detail, HealthCheckPath=lb.health_check_path,
            Matcher={"HttpCode": lb.health_check_matcher})
        return detail

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("elbv2").delete_target_group(TargetGroupArn=found["TargetGroupArn"])


class LoadBalancerNode(ManagedResource[dict[str, Any]]):
    id = "elbv2.load_balancer"
    deps = ("network.subnets", "ec2.security_group.alb")

    def title(self, config: Config) -> str:
        return f"Load balancer {config.load_balancer.name}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        elbv2 = ctx.client("elbv2")
        found = missing_as_none(lambda: elbv2.describe_load_balancers(Names=[ctx.config.load_balancer.name]))
        if found is None:
            return None
        return found["LoadBalancers"][0] if found["LoadBalancers"] else None

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return _elb_tags(ctx, found["LoadBalancerArn"])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["LoadBalancerArn"])

    def summary(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["DNSName"])

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{"lb.arn": found["LoadBalancerArn"], "lb.dns": found["DNSName"],
                   "lb.state": found.get("State", {}).get("Code", "active")})

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        scheme = ctx.config.load_balancer.scheme
        if found["Scheme"] != scheme:
            return conflict(f"{self.title(ctx.config)} is {found['Scheme']}, the config says "
                            f"{scheme}; the scheme cannot change",
                            "run 'bluegreen destroy' first, or pick another loadBalancer.name",
                            found["LoadBalancerArn"])
        return None

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        subnets = sorted(z["SubnetId"] for z in found.get("AvailabilityZones", []))
        if ctx.get("subnet_ids") and subnets != sorted(ctx.get("subnet_ids")):
            return ["subnets differ"]
        return []

    def create_resource(self, ctx: Context) -> str:
        lb = ctx.client("elbv2").create_load_balancer(
            **requests.create_load_balancer(ctx.config, ctx.refs()))["LoadBalancers"][0]
        self.publish(ctx, lb)
        ctx.put(**{"lb.state": lb.get("State", {}).get("Code", "provisioning")})
        return str(lb["DNSName"])

    def update_resource(self, ctx: Context, detail: str) -> str:
        ctx.client("elbv2").set_subnets(LoadBalancerArn=detail, Subnets=list(ctx.need("subnet_ids")))
        return detail

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("elbv2").delete_load_balancer(LoadBalancerArn=found["LoadBalancerArn"])


class LoadBalancerActiveNode(Node):
    """Waits for the load balancer to become active. Listeners and the service do not need
    that (AWS accepts them while it provisions), so nothing waits on this but the end.
    A plain node: a wait, not a resource."""

    id = "elbv2.load_balancer.active"
    deps = ("elbv2.load_balancer",)

    def title(self, config: Config) -> str:
        return f"Load balancer {config.load_balancer.name} active"

    def inspect(self, ctx: Context) -> State:
        return in_sync(ctx.get("lb.state") or "checked once it exists (nothing to create)")

    def delete(self, ctx: Context) -> bool:
        return False

    async def wait(self, ctx: Context) -> None:
        elbv2 = ctx.client("elbv2")
        arn = ctx.need("lb.arn")
        if ctx.get("lb.state", "active") == "active":  # found active, or created active
            return
        for attempt in range(120):
            found = await asyncio.to_thread(elbv2.describe_load_balancers, LoadBalancerArns=[arn])
            state = found["LoadBalancers"][0]["State"]["Code"]
            if state == "active":
                return
            if state == "failed":
                raise RuntimeError(f"load balancer {ctx.config.load_balancer.name} failed to provision")
            if attempt == 0:
                ctx.emit(NodeProgress(self.id, "waiting for the load balancer to become active"))
            await asyncio.sleep(5)
        raise TimeoutError("the load balancer did not become active within 10 minutes")


class ListenerNode(ManagedResource[dict[str, Any]]):
    """A listener has no name and no tag of its own: it is the load balancer's listener on
    the configured port, and goes with the load balancer."""

    owner = "elbv2.load_balancer"
    shared = True  # no owner tag to read: what it forwards to says whose it is

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "production" or "test"
        self.id = f"elbv2.listener.{kind}"
        self.deps = ("elbv2.load_balancer", "elbv2.target_group.blue", "elbv2.target_group.green")

    def port(self, config: Config) -> int:
        lb = config.load_balancer
        return lb.production_port if self.kind == "production" else lb.test_port

    def title(self, config: Config) -> str:
        return f"Listener :{self.port(config)} ({self.kind})"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        listeners = ctx.client("elbv2").describe_listeners(LoadBalancerArn=ctx.need("lb.arn"))["Listeners"]
        return next((item for item in listeners if item["Port"] == self.port(ctx.config)), None)

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["ListenerArn"])

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        ours = {ctx.need("tg.blue"), ctx.need("tg.green")}
        actions = found.get("DefaultActions", [])
        targets = {t["TargetGroupArn"] for a in actions for t in a.get("ForwardConfig", {}).get("TargetGroups", [])}
        targets |= {a["TargetGroupArn"] for a in actions if a.get("TargetGroupArn")}
        if not targets or not targets <= ours:
            port = self.port(ctx.config)
            return conflict(
                f"listener {port} exists on this load balancer and forwards to another target group",
                f"free port {port} on the load balancer, or change loadBalancer.{self.kind}Port",
                found["ListenerArn"],
            )
        return None  # CodeDeploy moves listeners between blue and green: either is in sync.

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{f"listener.{self.kind}": found["ListenerArn"]})

    def create_resource(self, ctx: Context) -> str:
        request = requests.create_listener(ctx.config, ctx.refs(), self.port(ctx.config))
        listener = ctx.client("elbv2").create_listener(**request)["Listeners"][0]
        self.publish(ctx, listener)
        return str(listener["ListenerArn"])

    def delete(self, ctx: Context) -> bool:
        return False  # listeners go with their load balancer
