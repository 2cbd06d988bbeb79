"""Realism seeded at start: what a real account has and moto does not create by itself.

- the default VPC gets an internet gateway and a ``0.0.0.0/0`` route in its main route table, so
  its default subnets are public by the rule of aws-reference.md §2.1;
- one extra *private* subnet with its own route table (local route only), so a public-subnet
  check has something to reject;
- AWS managed policies are loaded (moto's ``iam.load_aws_managed_policies`` option, set before the
  IAM backend of the account is first used).

The sandbox's own region is seeded at start; every other region when the first request for it
arrives (:class:`RegionSeeder`, called by the router with the region of the SigV4 credential
scope), so a client configured for another region sees the same realistic default VPC.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .clients import MotoClients

log = logging.getLogger("bluegreen.sandbox.seed")

_REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")

PRIVATE_SUBNET_NAME = "bluegreen-sandbox-private"
PRIVATE_SUBNET_CIDR = "172.31.96.0/20"
SEED_TAG = {"Key": "bluegreen:sandbox", "Value": "seed"}


@dataclass
class SeedResult:
    vpc_id: str
    internet_gateway_id: str
    main_route_table_id: str
    public_subnet_ids: list[str]
    private_subnet_id: str
    private_route_table_id: str


def enable_managed_policies() -> None:
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def seed_network(clients: MotoClients) -> SeedResult:
    ec2 = clients.get("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    # (a region moto created without a default VPC gets one)
    vpc_id = vpcs[0]["VpcId"] if vpcs else ec2.create_default_vpc()["Vpc"]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]

    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    if igws:
        igw_id = igws[0]["InternetGatewayId"]
    else:
        igw_id = ec2.create_internet_gateway(
            TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [SEED_TAG]}]
        )["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]
    main_id = main["RouteTableId"]
    if not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in main.get("Routes", [])):
        ec2.create_route(RouteTableId=main_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)

    private = [
        s
        for s in subnets
        if any(t.get("Key") == "Name" and t.get("Value") == PRIVATE_SUBNET_NAME for t in s.get("Tags", []))
    ]
    if private:
        private_id = private[0]["SubnetId"]
        rts = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [private_id]}])[
            "RouteTables"
        ]
        private_rt = rts[0]["RouteTableId"] if rts else main_id
    else:
        az = sorted(s["AvailabilityZone"] for s in subnets)[0] if subnets else None
        kwargs = {"AvailabilityZone": az} if az else {}
        private_id = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=PRIVATE_SUBNET_CIDR,
            TagSpecifications=[
                {
                    "ResourceType": "subnet",
                    "Tags": [{"Key": "Name", "Value": PRIVATE_SUBNET_NAME}, SEED_TAG],
                }
            ],
            **kwargs,
        )["Subnet"]["SubnetId"]
        private_rt = ec2.create_route_table(
            VpcId=vpc_id,
            TagSpecifications=[
                {
                    "ResourceType": "route-table",
                    "Tags": [{"Key": "Name", "Value": PRIVATE_SUBNET_NAME}, SEED_TAG],
                }
            ],
        )["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private_id)
    public = [s["SubnetId"] for s in subnets if s["SubnetId"] != private_id]
    return SeedResult(vpc_id, igw_id, main_id, public, private_id, private_rt)


class RegionSeeder:
    """Seeds each region once, the first time a request names it.

    ``ensure(region)`` is cheap once the region is seeded (a set lookup); the first callers for a
    region wait while one of them seeds it, so no request sees a half-seeded region. A region
    whose seeding fails is logged and not tried again (the request still goes on)."""

    def __init__(self, make_clients: Callable[[str], MotoClients]) -> None:
        self._make_clients = make_clients
        self.results: dict[str, SeedResult] = {}
        self._done: set[str] = set()
        self._lock = threading.Lock()
        self._region_locks: dict[str, threading.Lock] = {}
        self._clients: list[MotoClients] = []

    def mark(self, region: str, result: SeedResult | None) -> None:
        """Record a region seeded elsewhere (the sandbox's own, at start)."""
        with self._lock:
            if result is not None:
                self.results[region] = result
            self._done.add(region)

    def ensure(self, region: str) -> SeedResult | None:
        if region in self._done:
            return self.results.get(region)
        if not _REGION_RE.match(region):
            return None
        with self._lock:
            lock = self._region_locks.setdefault(region, threading.Lock())
        with lock:
            if region in self._done:
                return self.results.get(region)
            clients = self._make_clients(region)
            with self._lock:
                self._clients.append(clients)
            try:
                result = seed_network(clients)
            except Exception:
                log.warning("could not seed region %s", region, exc_info=True)
                result = None
            self.mark(region, result)
            return result

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for c in clients:
            c.close()
