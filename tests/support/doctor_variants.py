"""Variants of the seed stack the seed procedure cannot make, built with plain boto3 for the
doctor's ecs and network tests: a second service pointed at by the deployment group (another
controller, other subnets, no public IP), private subnets with their own route table, a NAT
gateway, VPC endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bluegreen.doctor.finding import Report
from bluegreen.doctor.rules import RULES
from support.seed_stack import SeedStack

Client = Callable[[str], Any]


def area_findings(report: Report, *areas: str) -> list[str]:
    """The ids of the findings and not-checked rules of these areas only."""
    ids = {r.id for r in RULES if r.area in areas}
    return sorted([f.rule for f in report.findings if f.rule in ids]
                  + [f"not-checked:{n.rule}" for n in report.not_checked if n.rule in ids])


def swap_service(client: Client, stack: SeedStack, *, controller: str = "CODE_DEPLOY",
                 subnets: list[str] | None = None, security_groups: list[str] | None = None,
                 assign_public_ip: str = "ENABLED") -> str:
    """A second service like the seed's (same task definition and target group) with the changes
    asked, named in the deployment group instead of the seed's. Returns its name."""
    name = f"{stack.app}-b"
    client("ecs").create_service(
        cluster=stack.app, serviceName=name, taskDefinition=stack.taskdef, desiredCount=1, launchType="FARGATE",
        deploymentController={"type": controller},
        loadBalancers=[{"targetGroupArn": stack.tgs[f"{stack.app}-tg1"], "containerName": "web", "containerPort": 80}],
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets or stack.subnets, "securityGroups": security_groups or [stack.task_sg],
            "assignPublicIp": assign_public_ip}})
    client("codedeploy").update_deployment_group(
        applicationName=stack.app, currentDeploymentGroupName=stack.deployment_group,
        ecsServices=[{"serviceName": name, "clusterName": stack.app}])
    return name


def subnet_azs(client: Client, subnets: list[str]) -> list[str]:
    found = client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
    by_id = {s["SubnetId"]: s["AvailabilityZone"] for s in found}
    return [by_id[s] for s in subnets]


def other_public_subnets(client: Client, stack: SeedStack) -> list[str]:
    """Default (public) subnets of the VPC in zones the seed's load balancer does not enable."""
    ec2 = client("ec2")
    used = set(subnet_azs(client, stack.subnets))
    out: dict[str, str] = {}
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [stack.vpc]},
                                           {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]:
        if s["AvailabilityZone"] not in used:
            out.setdefault(s["AvailabilityZone"], s["SubnetId"])
    return [out[az] for az in sorted(out)]


def private_subnets(client: Client, stack: SeedStack, block: int) -> tuple[list[str], str]:
    """Two new private subnets, in the zones of the seed's subnets, with their own route table
    (local route only). `block` (0..60) picks their /24s so each test has its own."""
    ec2 = client("ec2")
    table = ec2.create_route_table(VpcId=stack.vpc)["RouteTable"]["RouteTableId"]
    ids = []
    for i, az in enumerate(subnet_azs(client, stack.subnets)):
        subnet = ec2.create_subnet(VpcId=stack.vpc, AvailabilityZone=az,
                                   CidrBlock=f"172.31.{112 + 2 * block + i}.0/24")["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ids.append(subnet)
    return ids, table


def nat_gateway(client: Client, stack: SeedStack, table: str) -> str:
    """A NAT gateway in the seed's first (public) subnet, and the table's default route through it."""
    ec2 = client("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=stack.subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    return str(nat)


@contextmanager
def vpc_endpoints(client: Client, stack: SeedStack, subnets: list[str], tables: list[str],
                  services: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "s3")) -> Iterator[list[str]]:
    """The VPC endpoints a private task needs, for the length of the block: interface ones with
    private DNS in `subnets`, S3 as a gateway on `tables`. Deleted after, for the stacks of the
    module's other tests share the default VPC (and one interface endpoint per service and VPC
    can have private DNS)."""
    ec2 = client("ec2")
    made: list[str] = []
    try:
        for service in services:
            name = f"com.amazonaws.{stack.region}.{service}"
            if service == "s3":
                answer = ec2.create_vpc_endpoint(VpcId=stack.vpc, ServiceName=name, VpcEndpointType="Gateway",
                                                 RouteTableIds=tables)
            else:
                answer = ec2.create_vpc_endpoint(VpcId=stack.vpc, ServiceName=name, VpcEndpointType="Interface",
                                                 SubnetIds=subnets, SecurityGroupIds=[stack.task_sg],
                                                 PrivateDnsEnabled=True)
            made.append(str(answer["VpcEndpoint"]["VpcEndpointId"]))
        yield made
    finally:
        if made:
            ec2.delete_vpc_endpoints(VpcEndpointIds=made)
