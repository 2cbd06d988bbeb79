"""Nodes that create nothing: the account, the VPC and the subnets the stack runs in.

They check what the config names exists and fits (public subnets in two zones for an
internet-facing load balancer), so a plan refuses a bad config before any mutation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bluegreen.aws.nodes.base import Node, State, conflict, in_sync

if TYPE_CHECKING:
    from bluegreen.aws.context import Context


class AccountNode(Node):
    id = "account"
    title = "AWS account"

    def inspect(self, ctx: Context) -> State:
        identity = ctx.session.identity()
        ctx.put(account_id=identity.account, caller_arn=identity.arn)
        return in_sync(f"{identity.account} ({identity.arn})")

    def delete(self, ctx: Context) -> bool:
        self.inspect(ctx)
        return False


class VpcNode(Node):
    id = "network.vpc"
    title = "VPC"

    def inspect(self, ctx: Context) -> State:
        ec2 = ctx.client("ec2")
        wanted = ctx.config.network.vpc
        if wanted == "default":
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            if not vpcs:
                return conflict(
                    f"region {ctx.session.region} has no default VPC",
                    "set network.vpc to a VPC id (run 'aws ec2 describe-vpcs' to list them)",
                )
        else:
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [wanted]}])["Vpcs"]
            if not vpcs:
                return conflict(f"network.vpc: VPC {wanted} does not exist in {ctx.session.region}",
                                "set network.vpc to an existing VPC id, or to 'default'")
        vpc_id = vpcs[0]["VpcId"]
        ctx.put(vpc_id=vpc_id)
        return in_sync(vpc_id)

    def delete(self, ctx: Context) -> bool:
        self.inspect(ctx)
        return False


def _public_by_route_tables(tables: list[dict[str, Any]], subnet_id: str) -> bool:
    """aws-reference 2.1: the subnet's own route table, else the VPC's main one, has an
    active 0.0.0.0/0 (or ::/0) route to an internet gateway."""
    own = [t for t in tables if any(a.get("SubnetId") == subnet_id for a in t.get("Associations", []))]
    main = [t for t in tables if any(a.get("Main") for a in t.get("Associations", []))]
    for table in own or main:
        for route in table.get("Routes", []):
            default = route.get("DestinationCidrBlock") == "0.0.0.0/0" or (
                route.get("DestinationIpv6CidrBlock") == "::/0")
            to_igw = str(route.get("GatewayId", "")).startswith("igw-")
            if default and to_igw and route.get("State", "active") == "active":
                return True
    return False


class SubnetsNode(Node):
    id = "network.subnets"
    title = "Subnets"
    deps = ("network.vpc",)

    def inspect(self, ctx: Context) -> State:
        ec2 = ctx.client("ec2")
        vpc_id = ctx.need("vpc_id")
        subnets = [s for page in ec2.get_paginator("describe_subnets").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]) for s in page["Subnets"]]
        tables = [t for page in ec2.get_paginator("describe_route_tables").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]) for t in page["RouteTables"]]
        by_id = {s["SubnetId"]: s for s in subnets}
        public = {s["SubnetId"] for s in subnets if _public_by_route_tables(tables, s["SubnetId"])}
        needs_public = ctx.config.load_balancer.scheme == "internet-facing"
        chosen = ctx.config.network.subnets
        if chosen:
            missing = [s.id for s in chosen if s.id not in by_id]
            if missing:
                return conflict(f"network.subnets: {', '.join(missing)} not found in VPC {vpc_id}",
                                "list subnets of that VPC (or leave subnets empty to use its public ones)")
            for ref in chosen:
                actual = by_id[ref.id]["AvailabilityZone"]
                if ref.az and ref.az != actual:
                    return conflict(f"network.subnets: {ref.id} is in {actual}, not {ref.az}",
                                    f"write az: {actual}")
            private = [s.id for s in chosen if s.id not in public]
            if needs_public and private:
                return conflict(
                    f"network.subnets: {', '.join(private)} "
                    f"{'is' if len(private) == 1 else 'are'} private (no route to an internet "
                    "gateway), but an internet-facing load balancer needs public subnets",
                    "pick public subnets, or set loadBalancer.scheme: internal",
                )
            ids = [s.id for s in chosen]
        else:
            pool = [s for s in subnets if s["SubnetId"] in public or not needs_public]
            per_zone: dict[str, dict[str, Any]] = {}
            for s in sorted(pool, key=lambda s: (not s.get("DefaultForAz"), s["SubnetId"])):
                per_zone.setdefault(s["AvailabilityZone"], s)
            ids = [per_zone[z]["SubnetId"] for z in sorted(per_zone)]
        zones = {by_id[i]["AvailabilityZone"] for i in ids}
        if len(zones) < 2:
            kind = "public " if needs_public else ""
            return conflict(
                f"VPC {vpc_id} has {kind}subnets in {len(zones)} availability zone(s); a load "
                "balancer needs two",
                "add a public subnet in another zone, or pick another VPC",
            )
        ctx.put(subnet_ids=ids, subnet_zones=sorted(zones))
        return in_sync(", ".join(ids))

    def delete(self, ctx: Context) -> bool:
        return False
