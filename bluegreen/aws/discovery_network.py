"""Network discovery: VPCs, subnets (public or private by the route-table rule), security groups.

The public-subnet rule (docs/aws-facts.md §2.1) is the pure function `is_public`: the route table
explicitly associated with the subnet decides, else the VPC's main table; the subnet is public
iff that table has an *active* route for 0.0.0.0/0 (or ::/0) to an internet gateway (`igw-…`).
A blackholed route, a NAT gateway, an egress-only gateway, a transit gateway or a peering do not
make a subnet public, and `MapPublicIpOnLaunch` does not decide it. Route tables are fetched once
per VPC (one paginated call, not one per subnet) and the rule is evaluated locally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bluegreen.aws.discovery_records import SecurityGroup, Subnet, Vpc

if TYPE_CHECKING:
    from bluegreen.aws.session import AwsSession

RouteTable = Mapping[str, Any]  # one element of describe_route_tables()["RouteTables"]


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def _vpc_filter(vpc_id: str | None) -> dict[str, Any]:
    return {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}]} if vpc_id else {}


def tag(resource: Mapping[str, Any], key: str = "Name") -> str:
    return next((t.get("Value", "") for t in resource.get("Tags") or [] if t.get("Key") == key), "")


# -- the public-subnet rule (pure) ---------------------------------------------------


def route_table_for(route_tables: Iterable[RouteTable], subnet_id: str, vpc_id: str) -> RouteTable | None:
    """The table that routes `subnet_id`: its explicit association, else the VPC's main table."""
    main: RouteTable | None = None
    for table in route_tables:
        for assoc in table.get("Associations") or []:
            state = (assoc.get("AssociationState") or {}).get("State", "associated")
            if state not in ("associated", "associating"):
                continue
            if assoc.get("SubnetId") == subnet_id:
                return table
            if assoc.get("Main") and table.get("VpcId", vpc_id) == vpc_id:
                main = table
    return main


def routes_to_internet(table: RouteTable) -> bool:
    """True iff the table has an active default route (IPv4 or IPv6) to an internet gateway."""
    for route in table.get("Routes") or []:
        default = route.get("DestinationCidrBlock") == "0.0.0.0/0" or (
            route.get("DestinationIpv6CidrBlock") == "::/0")
        if default and str(route.get("GatewayId", "")).startswith("igw-") and (
                route.get("State") == "active"):
            return True
    return False


def is_public(route_tables: Iterable[RouteTable], subnet_id: str, vpc_id: str) -> bool:
    """The public-subnet rule of docs/aws-facts.md §2.1, on route tables already fetched."""
    table = route_table_for(route_tables, subnet_id, vpc_id)
    return table is not None and routes_to_internet(table)


# -- calls ---------------------------------------------------------------------------


def vpcs(session: AwsSession) -> list[Vpc]:
    raw = _paginate(session.client("ec2"), "describe_vpcs", "Vpcs")
    return sorted((_vpc(v) for v in raw), key=lambda v: (not v.is_default, v.name, v.id))


def default_vpc(session: AwsSession) -> Vpc | None:
    raw = _paginate(session.client("ec2"), "describe_vpcs", "Vpcs",
                    Filters=[{"Name": "is-default", "Values": ["true"]}])
    return _vpc(raw[0]) if raw else None


def _vpc(v: Mapping[str, Any]) -> Vpc:
    return Vpc(v["VpcId"], v.get("CidrBlock", ""), bool(v.get("IsDefault")), tag(v))


def raw_subnets(session: AwsSession, vpc_id: str | None = None) -> list[dict[str, Any]]:
    """describe_subnets of one VPC (or of all VPCs)."""
    return _paginate(session.client("ec2"), "describe_subnets", "Subnets", **_vpc_filter(vpc_id))


def route_tables(session: AwsSession, vpc_id: str | None = None) -> list[dict[str, Any]]:
    """Every route table of one VPC (or of all VPCs) in one paginated call."""
    return _paginate(session.client("ec2"), "describe_route_tables", "RouteTables", **_vpc_filter(vpc_id))


def build_subnets(raw: Iterable[Mapping[str, Any]], tables: Sequence[RouteTable]) -> list[Subnet]:
    """Subnet records from describe_subnets output, classified against the fetched route tables."""
    by_vpc: dict[str, list[RouteTable]] = {}
    for t in tables:
        by_vpc.setdefault(str(t.get("VpcId", "")), []).append(t)
    result = []
    for s in raw:
        vpc_id, subnet_id = s["VpcId"], s["SubnetId"]
        vpc_tables = by_vpc.get(vpc_id, [])
        table = route_table_for(vpc_tables, subnet_id, vpc_id)
        result.append(Subnet(
            id=subnet_id,
            vpc_id=vpc_id,
            az=s.get("AvailabilityZone", ""),
            cidr=s.get("CidrBlock", ""),
            free_ips=int(s.get("AvailableIpAddressCount", 0)),
            public=table is not None and routes_to_internet(table),
            route_table_id=str(table.get("RouteTableId", "")) if table is not None else "",
            default_for_az=bool(s.get("DefaultForAz")),
            name=tag(s),
        ))
    return sorted(result, key=lambda s: (s.vpc_id, s.az, s.id))


def subnets(session: AwsSession, vpc_id: str | None = None) -> list[Subnet]:
    """Subnets of `vpc_id` (all VPCs when None), each marked public or private."""
    return build_subnets(raw_subnets(session, vpc_id), route_tables(session, vpc_id))


def security_groups(session: AwsSession, vpc_id: str | None = None) -> list[SecurityGroup]:
    raw = _paginate(session.client("ec2"), "describe_security_groups", "SecurityGroups",
                    **_vpc_filter(vpc_id))
    groups = (SecurityGroup(g["GroupId"], g.get("GroupName", ""), g.get("VpcId", ""),
                            g.get("Description", "")) for g in raw)
    return sorted(groups, key=lambda g: (g.vpc_id, g.name, g.id))


# -- choices the wizard and the planner need ----------------------------------------


def public_subnets_one_per_az(subnets: Iterable[Subnet], vpc_id: str | None = None) -> list[Subnet]:
    """One public subnet per availability zone, ordered by zone: what an internet-facing ALB needs.

    Within a zone the default-for-AZ subnet wins, then the lowest subnet id, so the same account
    gives the same choice every time. Subnets of several VPCs must be narrowed with `vpc_id`
    (an ALB lives in one VPC).
    """
    candidates = [s for s in subnets if s.public and (vpc_id is None or s.vpc_id == vpc_id)]
    if len({s.vpc_id for s in candidates}) > 1:
        raise ValueError("subnets of several VPCs: pass vpc_id to choose one")
    best: dict[str, Subnet] = {}
    for s in sorted(candidates, key=lambda s: (not s.default_for_az, s.id)):
        best.setdefault(s.az, s)
    return [best[az] for az in sorted(best)]


def subnets_apply_picks(found: Iterable[Subnet], vpc_id: str, scheme: str) -> list[Subnet]:
    """The subnets `apply` uses when the config names none: one public subnet per zone for an
    internet-facing load balancer, else one per zone (default-for-AZ first). The plan and
    `validate --online` both ask this, so they judge the subnets apply would really use."""
    if scheme == "internet-facing":
        return public_subnets_one_per_az(found, vpc_id)
    per_zone: dict[str, Subnet] = {}
    for s in sorted((s for s in found if s.vpc_id == vpc_id), key=lambda s: (not s.default_for_az, s.id)):
        per_zone.setdefault(s.az, s)
    return [per_zone[z] for z in sorted(per_zone)]
