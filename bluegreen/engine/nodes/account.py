"""Nodes that create nothing: the account, the VPC and the subnets the stack runs in.

They check what the config names exists and fits (public subnets in two zones for an
internet-facing load balancer), so a plan refuses a bad config before any mutation. They
are plain check-only nodes: nothing to find by name, tag or delete; destroy only inspects
them for the values the teardown needs (the account id, the VPC id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bluegreen.engine.nodes.base import Node, State, conflict, in_sync

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


class AccountNode(Node):
    id = "account"
    check_only = True

    def title(self, config: Config) -> str:
        return "AWS account"

    def inspect(self, ctx: Context) -> State:
        identity = ctx.session.identity()
        ctx.put(account_id=identity.account)
        return in_sync(f"{identity.account} ({identity.arn})")


class VpcNode(Node):
    id = "network.vpc"
    check_only = True

    def title(self, config: Config) -> str:
        return "VPC"

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


class SubnetsNode(Node):
    id = "network.subnets"
    deps = ("network.vpc",)
    check_only = True

    def title(self, config: Config) -> str:
        return "Subnets"

    def inspect(self, ctx: Context) -> State:
        from bluegreen.aws.discovery_network import subnets, subnets_apply_picks
        from bluegreen.aws.preflight import subnet_problems

        vpc_id = ctx.need("vpc_id")
        found = subnets(ctx.session, vpc_id)  # one DescribeRouteTables for the VPC
        by_id = {s.id: s for s in found}
        needs_public = ctx.config.load_balancer.scheme == "internet-facing"
        chosen = ctx.config.network.subnets
        if chosen:
            missing = [s.id for s in chosen if s.id not in by_id]
            if missing:
                return conflict(f"network.subnets: {', '.join(missing)} not found in VPC {vpc_id}",
                                "list subnets of that VPC (or leave subnets empty to use its public ones)")
            for ref in chosen:
                actual = by_id[ref.id].az
                if ref.az and ref.az != actual:
                    return conflict(f"network.subnets: {ref.id} is in {actual}, not {ref.az}",
                                    f"write az: {actual}")
            # the wizard's rule, on the same discovered records: one copy
            problems = subnet_problems([by_id[s.id] for s in chosen], ctx.config.load_balancer.scheme)
            if problems:
                return conflict("; ".join(f"{p.path}: {p.rule}" for p in problems), problems[0].fix)
            ids = [s.id for s in chosen]
        else:
            ids = [s.id for s in subnets_apply_picks(found, vpc_id, ctx.config.load_balancer.scheme)]
        zones = {by_id[i].az for i in ids}
        if len(zones) < 2:
            kind = "public " if needs_public else ""
            return conflict(
                f"VPC {vpc_id} has {kind}subnets in {len(zones)} availability zone(s); a load "
                "balancer needs two",
                "add a public subnet in another zone, or pick another VPC",
            )
        ctx.put(subnet_ids=ids)
        return in_sync(", ".join(ids))
