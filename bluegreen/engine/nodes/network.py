"""Security groups, target groups, the load balancer and its two listeners."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import (
    Node,
    State,
    conflict,
    create,
    in_sync,
    is_not_found,
    missing_as_none,
    ownership,
    tag_value,
    update,
)
from bluegreen.events import NodeProgress
from renderers import requests

if TYPE_CHECKING:
    from bluegreen.engine.context import Context


def _find_group(ctx: Context, role: str) -> dict[str, Any] | None:
    groups = ctx.client("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [ctx.need("vpc_id")]},
        {"Name": "group-name", "Values": [f"{ctx.stack}-{role}"]},
    ])["SecurityGroups"]
    return groups[0] if groups else None


class SecurityGroupNode(Node):
    """The group alone; its rules are the ingress node's, so the load balancer (which only
    needs the group's id) does not wait for them."""

    def __init__(self, role: str) -> None:
        self.role = role  # "alb" or "task"
        self.id = f"ec2.security_group.{role}"
        self.deps = ("network.vpc",)

    def inspect(self, ctx: Context) -> State:
        self.title = f"Security group {ctx.stack}-{self.role}"
        group = _find_group(ctx, self.role)
        if group is None:
            return create()
        owned = ownership(self, ctx, group.get("Tags", []), group["GroupId"])
        if owned:
            return owned
        ctx.put(**{f"sg.{self.role}": group["GroupId"]})
        return in_sync(group["GroupId"])

    def create(self, ctx: Context) -> str:
        group_id = str(ctx.client("ec2").create_security_group(
            **requests.create_security_group(ctx.config, ctx.refs(), self.role))["GroupId"])
        ctx.put(**{f"sg.{self.role}": group_id})
        return group_id

    def delete(self, ctx: Context) -> bool:
        try:
            group = _find_group(ctx, self.role)
        except Exception as exc:
            if is_not_found(exc) or "vpc_id" in str(exc):
                return False
            raise
        if group is None or tag_value(group.get("Tags", [])) != ctx.stack:
            return False
        ctx.client("ec2").delete_security_group(GroupId=group["GroupId"])
        return True


class ExistingSecurityGroupsNode(Node):
    """Security groups named in the config: checked to exist in the VPC, never created."""

    def __init__(self, role: str, ids: list[str]) -> None:
        self.role = role
        self.ids = ids
        self.id = f"ec2.security_group.{role}"
        self.title = f"Security groups for the {role} ({', '.join(ids)})"
        self.deps = ("network.vpc",)

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
    load balancer's group only."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.id = f"ec2.security_group.{role}.ingress"
        self.deps = (f"ec2.security_group.{role}",) if role == "alb" else (
            "ec2.security_group.task", "ec2.security_group.alb")

    def _wanted(self, ctx: Context) -> dict[str, Any]:
        group_id = ctx.need(f"sg.{self.role}")
        if self.role == "alb":
            return requests.alb_ingress(ctx.config, group_id)
        return requests.task_ingress(ctx.config, group_id, ctx.need("sg.alb"))

    def _missing(self, ctx: Context, group: dict[str, Any] | None) -> list[dict[str, Any]]:
        have = _rule_keys(group.get("IpPermissions", [])) if group else set()
        return [p for p in self._wanted(ctx)["IpPermissions"] if not _rule_keys([p]) <= have]

    def inspect(self, ctx: Context) -> State:
        self.title = f"Ingress rules of {ctx.stack}-{self.role}"
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


class TargetGroupNode(Node):
    def __init__(self, color: str) -> None:
        self.color = color
        self.id = f"elbv2.target_group.{color}"
        self.deps = ("network.vpc",)

    def name(self, ctx: Context) -> str:
        lb = ctx.config.load_balancer
        return lb.blue_target_group if self.color == "blue" else lb.green_target_group

    def _find(self, ctx: Context) -> dict[str, Any] | None:
        elbv2 = ctx.client("elbv2")
        groups = missing_as_none(lambda: elbv2.describe_target_groups(Names=[self.name(ctx)])["TargetGroups"])
        if groups is None:
            return None
        return groups[0] if groups else None

    def inspect(self, ctx: Context) -> State:
        self.title = f"Target group {self.name(ctx)}"
        group = self._find(ctx)
        if group is None:
            return create()
        arn = group["TargetGroupArn"]
        owned = ownership(self, ctx, _elb_tags(ctx, arn), arn)
        if owned:
            return owned
        ctx.put(**{f"tg.{self.color}": arn})
        wanted = requests.create_target_group(ctx.config, ctx.refs(), self.name(ctx))
        if group["Port"] != wanted["Port"] or group.get("VpcId") != wanted["VpcId"] or (
                group.get("TargetType") != "ip"):
            return conflict(
                f"{self.title} exists with port {group['Port']} / type {group.get('TargetType')} "
                f"in {group.get('VpcId')}, but the config needs port {wanted['Port']} / ip in "
                f"{wanted['VpcId']}; a target group cannot change those",
                "run 'bluegreen destroy' first, or name new target groups in loadBalancer",
                arn,
            )
        if (group.get("HealthCheckPath") != wanted["HealthCheckPath"]
                or group.get("Matcher", {}).get("HttpCode") != wanted["Matcher"]["HttpCode"]):
            return update("health check differs", arn)
        return in_sync(arn)

    def create(self, ctx: Context) -> str:
        request = requests.create_target_group(ctx.config, ctx.refs(), self.name(ctx))
        arn = str(ctx.client("elbv2").create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"])
        ctx.put(**{f"tg.{self.color}": arn})
        return arn

    def update(self, ctx: Context, state: State) -> str:
        lb = ctx.config.load_balancer
        ctx.client("elbv2").modify_target_group(
            TargetGroupArn=state.detail, HealthCheckPath=lb.health_check_path,
            Matcher={"HttpCode": lb.health_check_matcher})
        return state.detail

    def delete(self, ctx: Context) -> bool:
        group = self._find(ctx)
        if group is None or tag_value(_elb_tags(ctx, group["TargetGroupArn"])) != ctx.stack:
            return False
        ctx.client("elbv2").delete_target_group(TargetGroupArn=group["TargetGroupArn"])
        return True


class LoadBalancerNode(Node):
    id = "elbv2.load_balancer"
    deps = ("network.subnets", "ec2.security_group.alb")

    def _find(self, ctx: Context) -> dict[str, Any] | None:
        elbv2 = ctx.client("elbv2")
        found = missing_as_none(lambda: elbv2.describe_load_balancers(Names=[ctx.config.load_balancer.name]))
        if found is None:
            return None
        return found["LoadBalancers"][0] if found["LoadBalancers"] else None

    def _publish(self, ctx: Context, lb: dict[str, Any]) -> None:
        ctx.put(**{"lb.arn": lb["LoadBalancerArn"], "lb.dns": lb["DNSName"],
                   "lb.state": lb.get("State", {}).get("Code", "active")})

    def inspect(self, ctx: Context) -> State:
        name = ctx.config.load_balancer.name
        self.title = f"Load balancer {name}"
        lb = self._find(ctx)
        if lb is None:
            return create()
        arn = lb["LoadBalancerArn"]
        owned = ownership(self, ctx, _elb_tags(ctx, arn), arn)
        if owned:
            return owned
        self._publish(ctx, lb)
        if lb["Scheme"] != ctx.config.load_balancer.scheme:
            return conflict(f"{self.title} is {lb['Scheme']}, the config says "
                            f"{ctx.config.load_balancer.scheme}; the scheme cannot change",
                            "run 'bluegreen destroy' first, or pick another loadBalancer.name", arn)
        subnets = sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", []))
        if ctx.get("subnet_ids") and subnets != sorted(ctx.get("subnet_ids")):
            return update("subnets differ", arn)
        return in_sync(lb["DNSName"])

    def create(self, ctx: Context) -> str:
        lb = ctx.client("elbv2").create_load_balancer(
            **requests.create_load_balancer(ctx.config, ctx.refs()))["LoadBalancers"][0]
        self._publish(ctx, lb)
        ctx.put(**{"lb.state": lb.get("State", {}).get("Code", "provisioning")})
        return str(lb["DNSName"])

    def update(self, ctx: Context, state: State) -> str:
        ctx.client("elbv2").set_subnets(LoadBalancerArn=state.detail, Subnets=list(ctx.need("subnet_ids")))
        return state.detail

    def delete(self, ctx: Context) -> bool:
        lb = self._find(ctx)
        if lb is None or tag_value(_elb_tags(ctx, lb["LoadBalancerArn"])) != ctx.stack:
            return False
        ctx.client("elbv2").delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        return True


class LoadBalancerActiveNode(Node):
    """Waits for the load balancer to become active. Listeners and the service do not need
    that (AWS accepts them while it provisions), so nothing waits on this but the end."""

    id = "elbv2.load_balancer.active"
    deps = ("elbv2.load_balancer",)

    def inspect(self, ctx: Context) -> State:
        self.title = f"Load balancer {ctx.config.load_balancer.name} active"
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


class ListenerNode(Node):
    owner = "elbv2.load_balancer"

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "production" or "test"
        self.id = f"elbv2.listener.{kind}"
        self.deps = ("elbv2.load_balancer", "elbv2.target_group.blue", "elbv2.target_group.green")

    def port(self, ctx: Context) -> int:
        lb = ctx.config.load_balancer
        return lb.production_port if self.kind == "production" else lb.test_port

    def _find(self, ctx: Context) -> dict[str, Any] | None:
        listeners = ctx.client("elbv2").describe_listeners(LoadBalancerArn=ctx.need("lb.arn"))["Listeners"]
        return next((item for item in listeners if item["Port"] == self.port(ctx)), None)

    def inspect(self, ctx: Context) -> State:
        self.title = f"Listener :{self.port(ctx)} ({self.kind})"
        listener = self._find(ctx)
        if listener is None:
            return create()
        arn = listener["ListenerArn"]
        ours = {ctx.need("tg.blue"), ctx.need("tg.green")}
        targets = {t["TargetGroupArn"] for a in listener.get("DefaultActions", [])
                   for t in a.get("ForwardConfig", {}).get("TargetGroups", [])}
        targets |= {a["TargetGroupArn"] for a in listener.get("DefaultActions", []) if a.get("TargetGroupArn")}
        if not targets or not targets <= ours:
            return conflict(
                f"listener {self.port(ctx)} exists on this load balancer and forwards to another "
                "target group",
                f"free port {self.port(ctx)} on the load balancer, or change loadBalancer.{self.kind}Port",
                arn,
            )
        # CodeDeploy moves listeners between blue and green: either is in sync.
        ctx.put(**{f"listener.{self.kind}": arn})
        return in_sync(arn)

    def create(self, ctx: Context) -> str:
        request = requests.create_listener(ctx.config, ctx.refs(), self.port(ctx))
        arn = str(ctx.client("elbv2").create_listener(**request)["Listeners"][0]["ListenerArn"])
        ctx.put(**{f"listener.{self.kind}": arn})
        return arn

    def delete(self, ctx: Context) -> bool:
        return False  # listeners go with their load balancer
