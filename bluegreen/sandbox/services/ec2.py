"""EC2: the default VPC made realistic, and route states as AWS reports them.

- Seeded into each region (:func:`seed_network`, called at start for the sandbox's region and by
  :class:`bluegreen.sandbox.seed.RegionSeeder` for any other): the default VPC gets an internet
  gateway and a ``0.0.0.0/0`` route in its main route table, so its default subnets are public
  (their route table sends ``0.0.0.0/0`` to an internet gateway), and one extra *private* subnet
  with its own route table (local route only), so a public-subnet check has something to reject.
- ``DescribeRouteTables``: a route to an internet gateway that was detached from the route
  table's VPC or deleted has ``State`` ``blackhole`` (moto says ``active`` forever).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..clients import MotoClients
from ..wire import AwsRequest, Response
from .common import BackendHandler, with_body

log = logging.getLogger("bluegreen.sandbox.realism")

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


class Ec2Realism(BackendHandler):
    """Route states read from the internet gateways moto holds."""

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeRouteTables" or resp.status != 200 or b"igw-" not in resp.body:
            return resp
        try:
            return with_body(resp, self._blackholes(self.region(req), resp.body))
        except Exception:  # an answer we cannot read is passed on as moto gave it
            log.debug("route table amendment skipped", exc_info=True)
            return resp

    def _blackholes(self, region: str, body: bytes) -> bytes:
        igws = self.moto_backend("ec2", region).internet_gateways
        root = ET.fromstring(body)
        ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
        changed = False
        for table in root.iter(q("item")):
            vpc = table.findtext(q("vpcId"))
            routes = table.find(q("routeSet"))
            if vpc is None or routes is None:
                continue
            for route in routes.findall(q("item")):
                gw = route.findtext(q("gatewayId")) or ""
                state = route.find(q("state"))
                if not gw.startswith("igw-") or state is None:
                    continue
                igw = igws.get(gw)
                attached = igw is not None and igw.vpc is not None and igw.vpc.id == vpc
                new = "active" if attached else "blackhole"
                if state.text != new:
                    state.text = new
                    changed = True
        if not changed:
            return body
        if ns:
            ET.register_namespace("", ns)
        return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))
