"""The network facts the network rules share: the VPC's route tables and endpoints, the task and
load balancer subnets (each classified public or private by the project's one route-table rule,
`bluegreen.aws.discovery_network`), and the security groups of both.

Each is one EC2 call for every rule (memoized in `Facts`): route tables and endpoints once per
VPC, the subnets of the tasks and of the load balancer in one DescribeSubnets, their security
groups in one DescribeSecurityGroups.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bluegreen.aws.discovery_network import route_table_for, routes_to_internet
from bluegreen.doctor.facts import Facts

# The egress a task in a private subnet needs without a NAT (ECS "task networking options for
# Fargate", ECR "interface VPC endpoints"): ECR's API and registry, S3 for the image layers,
# CloudWatch Logs for awslogs.
ECR_API, ECR_DKR, S3, LOGS = "ecr.api", "ecr.dkr", "s3", "logs"


@dataclass(frozen=True)
class SubnetFact:
    id: str
    az: str
    cidr: str
    public: bool
    route_table: dict[str, Any] | None  # the table that routes it (own association, else the main one)

    @property
    def route_table_id(self) -> str:
        return str((self.route_table or {}).get("RouteTableId", "")) or "(none)"


async def vpc_id(f: Facts) -> str:
    return str((await f.load_balancer())["VpcId"])


async def route_tables(f: Facts) -> list[dict[str, Any]]:
    vpc = await vpc_id(f)
    answer = await f.call("ec2", "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    return list(answer.get("RouteTables") or [])


async def endpoints(f: Facts) -> list[dict[str, Any]]:
    vpc = await vpc_id(f)
    answer = await f.call("ec2", "describe_vpc_endpoints", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    return list(answer.get("VpcEndpoints") or [])


def task_subnet_ids(awsvpc: dict[str, Any]) -> list[str]:
    return [str(s) for s in awsvpc.get("subnets") or []]


def lb_subnet_ids(lb: dict[str, Any]) -> list[str]:
    return [str(z["SubnetId"]) for z in lb.get("AvailabilityZones") or [] if z.get("SubnetId")]


async def subnets(f: Facts) -> dict[str, SubnetFact]:
    """The tasks' and the load balancer's subnets by id (one DescribeSubnets for both)."""

    async def build() -> dict[str, SubnetFact]:
        awsvpc, lb = await asyncio.gather(f.awsvpc(), f.load_balancer())
        ids = sorted(set(task_subnet_ids(awsvpc)) | set(lb_subnet_ids(lb)))
        answer, tables = await asyncio.gather(f.call("ec2", "describe_subnets", SubnetIds=ids), route_tables(f))
        out = {}
        for raw in answer.get("Subnets") or []:
            table = route_table_for(tables, raw["SubnetId"], raw["VpcId"])
            out[str(raw["SubnetId"])] = SubnetFact(
                id=str(raw["SubnetId"]), az=str(raw.get("AvailabilityZone", "")), cidr=str(raw.get("CidrBlock", "")),
                public=table is not None and routes_to_internet(table),
                route_table=dict(table) if table is not None else None)
        return out

    return await f.once("network subnets", build)


async def security_groups(f: Facts) -> dict[str, dict[str, Any]]:
    """The tasks' and the load balancer's security groups by id (one DescribeSecurityGroups)."""
    awsvpc, lb = await asyncio.gather(f.awsvpc(), f.load_balancer())
    ids = sorted({str(g) for g in awsvpc.get("securityGroups") or []}
                 | {str(g) for g in lb.get("SecurityGroups") or []})
    if not ids:
        return {}
    answer = await f.call("ec2", "describe_security_groups", GroupIds=ids)
    return {str(g["GroupId"]): dict(g) for g in answer.get("SecurityGroups") or []}


# -- egress of a subnet ---------------------------------------------------------------------------


def nat_route(table: dict[str, Any] | None) -> str | None:
    """The target of the table's active default route through a NAT gateway or NAT instance."""
    for route in (table or {}).get("Routes") or []:
        if route.get("DestinationCidrBlock") != "0.0.0.0/0" or route.get("State", "active") != "active":
            continue
        for key in ("NatGatewayId", "InstanceId", "NetworkInterfaceId"):
            if route.get(key):
                return str(route[key])
    return None


def service_of(endpoint: dict[str, Any]) -> str:
    """`com.amazonaws.us-east-1.ecr.dkr` -> `ecr.dkr` (the part after the region)."""
    parts = str(endpoint.get("ServiceName", "")).split(".")
    return ".".join(parts[3:]) if len(parts) > 3 else ""


def _usable(endpoint: dict[str, Any]) -> bool:
    return str(endpoint.get("State", "")).lower() == "available"


def missing_endpoints(subnet: SubnetFact, found: Iterable[dict[str, Any]], needs_logs: bool) -> list[str]:
    """The endpoints a task in `subnet` would need and the VPC lacks. Interface endpoints count
    with private DNS (otherwise the service's usual hostname does not reach them); S3 counts as a
    gateway endpoint on the subnet's route table, or an interface endpoint with private DNS."""
    table = subnet.route_table_id
    have = set()
    for endpoint in found:
        if not _usable(endpoint):
            continue
        name, kind = service_of(endpoint), str(endpoint.get("VpcEndpointType", ""))
        if kind == "Gateway" and name == S3 and table in (endpoint.get("RouteTableIds") or []):
            have.add(S3)
        elif kind == "Interface" and endpoint.get("PrivateDnsEnabled"):
            have.add(name)
    wanted = [ECR_API, ECR_DKR, S3] + ([LOGS] if needs_logs else [])
    return [name for name in wanted if name not in have]


def uses_awslogs(taskdef: dict[str, Any]) -> bool:
    return any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
               for c in taskdef.get("containerDefinitions") or [])


# -- security group rules -----------------------------------------------------------------------


def _covers_port(permission: dict[str, Any], port: int) -> bool:
    protocol = str(permission.get("IpProtocol", ""))
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is not None and high is not None and int(low) <= port <= int(high)


def _cidr_covers(cidr: str, inner: Iterable[str]) -> bool:
    try:
        outer = ipaddress.ip_network(cidr, strict=False)
        nets = [ipaddress.ip_network(c, strict=False) for c in inner]
    except ValueError:
        return False
    return bool(nets) and all(n.version == outer.version and n.subnet_of(outer) for n in nets)  # type: ignore[arg-type]


def allows(permissions: Iterable[dict[str, Any]], port: int, groups: Iterable[str], cidrs: Iterable[str]) -> bool:
    """True when one of the rules lets traffic on `port` through from (or to) one of `groups`,
    or from a CIDR covering every one of `cidrs`. A prefix list is taken as allowing (reading
    its entries is another call; the doctor gives it the benefit of the doubt)."""
    groups, cidrs = set(groups), list(cidrs)
    for permission in permissions:
        if not _covers_port(permission, port):
            continue
        if any(p.get("GroupId") in groups for p in permission.get("UserIdGroupPairs") or []):
            return True
        if permission.get("PrefixListIds"):
            return True
        if any(_cidr_covers(str(r.get("CidrIp", "")), cidrs) for r in permission.get("IpRanges") or []):
            return True
    return False


def opened_to(permissions: Iterable[dict[str, Any]], port: int, cidr: str) -> bool:
    """True when a rule opens `port` to exactly `cidr` or wider (e.g. 0.0.0.0/0)."""
    ranges = ("IpRanges", "CidrIp") if ":" not in cidr else ("Ipv6Ranges", "CidrIpv6")
    return any(_covers_port(p, port) and any(_cidr_covers(str(r.get(ranges[1], "")), [cidr])
                                             for r in p.get(ranges[0]) or [])
               for p in permissions)


def opens_port(permissions: Iterable[dict[str, Any]], port: int) -> bool:
    """True when a rule opens `port` to any source at all."""
    return any(_covers_port(p, port) and any(p.get(k) for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs",
                                                                 "PrefixListIds"))
               for p in permissions)
