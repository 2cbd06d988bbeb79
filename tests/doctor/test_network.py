"""The doctor's rules of the area 'network' (subnets, egress, zones, security groups): each on the
seed stack broken in exactly that way with plain boto3, all rules running. Private subnets, NAT
gateways, endpoints and services in other subnets are built beside the seed stack
(tests/support/doctor_variants.py)."""

from __future__ import annotations

from typing import Any

from support.doctor import only as _only
from support.doctor import report_of as _report
from support.doctor import seeded as _stack
from support.doctor_variants import (
    area_findings,
    nat_gateway,
    other_public_subnets,
    private_subnets,
    subnet_azs,
    swap_service,
    vpc_endpoints,
)


def test_the_intact_seed_stack_has_no_network_finding(sandbox: Any) -> None:
    stack = _stack(sandbox, "netok")
    assert area_findings(_report(sandbox, stack), "network") == []


# -- the load balancer's subnets ------------------------------------------------------------------


def test_an_internet_facing_load_balancer_with_one_private_subnet(sandbox: Any) -> None:
    stack = _stack(sandbox, "netlbone")
    private, table = private_subnets(sandbox.client, stack, block=0)
    sandbox.client("elbv2").set_subnets(LoadBalancerArn=stack.lb["LoadBalancerArn"],
                                        Subnets=[private[0], stack.subnets[1]])
    finding = _only(_report(sandbox, stack), "internet-facing-lb-private-subnets")
    az = subnet_azs(sandbox.client, [private[0]])[0]
    assert finding.severity == "warning"
    assert finding.finding == (f"Internet-facing load balancer netlbone-alb is in private subnet(s) {private[0]} "
                               f"({az}): their route table(s) {table} have no 0.0.0.0/0 route to an internet gateway")


def test_an_internet_facing_load_balancer_in_private_subnets_only(sandbox: Any) -> None:
    stack = _stack(sandbox, "netlball")
    private, _ = private_subnets(sandbox.client, stack, block=1)
    sandbox.client("elbv2").set_subnets(LoadBalancerArn=stack.lb["LoadBalancerArn"], Subnets=private)
    finding = _only(_report(sandbox, stack), "internet-facing-lb-private-subnets")
    assert finding.severity == "error"
    assert all(s in finding.finding for s in private)


# -- the tasks' egress -----------------------------------------------------------------------------


def test_tasks_in_public_subnets_without_a_public_ip(sandbox: Any) -> None:
    stack = _stack(sandbox, "netnoip")
    swap_service(sandbox.client, stack, assign_public_ip="DISABLED")
    finding = _only(_report(sandbox, stack), "tasks-public-subnet-no-ip")
    assert finding.finding.startswith(f"Tasks run in public subnet(s) {stack.subnets[0]} (")
    assert "with assignPublicIp DISABLED and no ECR endpoints: they cannot pull" in finding.finding
    assert stack.repo["repositoryUri"] in finding.finding


def test_tasks_in_public_subnets_without_a_public_ip_but_with_the_endpoints(sandbox: Any) -> None:
    stack = _stack(sandbox, "netnoipep")
    swap_service(sandbox.client, stack, assign_public_ip="DISABLED")
    main = sandbox.client("ec2").describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [stack.vpc]}, {"Name": "association.main", "Values": ["true"]}],
    )["RouteTables"][0]["RouteTableId"]
    with vpc_endpoints(sandbox.client, stack, stack.subnets, [main]):
        assert area_findings(_report(sandbox, stack), "network") == []


def test_tasks_in_private_subnets_with_no_way_out(sandbox: Any) -> None:
    stack = _stack(sandbox, "netpriv")
    private, table = private_subnets(sandbox.client, stack, block=2)
    swap_service(sandbox.client, stack, subnets=private, assign_public_ip="DISABLED")
    finding = _only(_report(sandbox, stack), "tasks-private-no-egress")
    assert all(s in finding.finding for s in private) and f"route table(s) {table}" in finding.finding
    assert finding.finding.endswith("with neither a NAT route nor the endpoints ecr.api, ecr.dkr, s3 (gateway), logs")
    assert f"com.amazonaws.{stack.region}.ecr.dkr" in finding.fix and f"--route-table-ids {table}" in finding.fix


def test_tasks_in_private_subnets_behind_a_nat_gateway(sandbox: Any) -> None:
    stack = _stack(sandbox, "netnat")
    private, table = private_subnets(sandbox.client, stack, block=3)
    nat_gateway(sandbox.client, stack, table)
    swap_service(sandbox.client, stack, subnets=private, assign_public_ip="DISABLED")
    assert area_findings(_report(sandbox, stack), "network") == []


def test_tasks_in_private_subnets_with_every_endpoint(sandbox: Any) -> None:
    stack = _stack(sandbox, "netep")
    private, table = private_subnets(sandbox.client, stack, block=4)
    swap_service(sandbox.client, stack, subnets=private, assign_public_ip="DISABLED")
    with vpc_endpoints(sandbox.client, stack, private, [table]):
        assert area_findings(_report(sandbox, stack), "network") == []


def test_tasks_in_private_subnets_whose_route_table_lacks_the_s3_gateway(sandbox: Any) -> None:
    stack = _stack(sandbox, "nets3")
    private, table = private_subnets(sandbox.client, stack, block=5)
    _, elsewhere = private_subnets(sandbox.client, stack, block=6)
    swap_service(sandbox.client, stack, subnets=private, assign_public_ip="DISABLED")
    with vpc_endpoints(sandbox.client, stack, private, [elsewhere]):
        finding = _only(_report(sandbox, stack), "tasks-private-no-egress")
    assert finding.finding.endswith(f"(route table(s) {table}) with neither a NAT route nor the endpoints s3 (gateway)")


# -- zones ------------------------------------------------------------------------------------------


def test_tasks_in_one_zone(sandbox: Any) -> None:
    stack = _stack(sandbox, "netoneaz")
    swap_service(sandbox.client, stack, subnets=stack.subnets[:1])
    finding = _only(_report(sandbox, stack), "task-subnets-one-az")
    az = subnet_azs(sandbox.client, stack.subnets[:1])[0]
    assert finding.finding == f"All tasks' subnets ({stack.subnets[0]}) are in {az}: a zone outage stops the service"


def test_tasks_partly_in_a_zone_the_load_balancer_does_not_enable(sandbox: Any) -> None:
    stack = _stack(sandbox, "netazsome")
    outside = other_public_subnets(sandbox.client, stack)[0]
    swap_service(sandbox.client, stack, subnets=[stack.subnets[0], outside])
    finding = _only(_report(sandbox, stack), "task-az-not-on-load-balancer")
    az = subnet_azs(sandbox.client, [outside])[0]
    assert finding.severity == "warning"
    assert finding.finding.startswith(f"Tasks in {az} (subnet(s) {outside}) are not in a zone load balancer "
                                      "netazsome-alb enables (")


def test_tasks_only_in_zones_the_load_balancer_does_not_enable(sandbox: Any) -> None:
    stack = _stack(sandbox, "netaznone")
    swap_service(sandbox.client, stack, subnets=other_public_subnets(sandbox.client, stack)[:2])
    finding = _only(_report(sandbox, stack), "task-az-not-on-load-balancer")
    assert finding.severity == "error"


# -- security groups --------------------------------------------------------------------------------


def test_a_task_group_that_does_not_admit_the_load_balancer(sandbox: Any) -> None:
    stack = _stack(sandbox, "netsgin")
    sandbox.client("ec2").revoke_security_group_ingress(GroupId=stack.task_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": stack.alb_sg}]}])
    finding = _only(_report(sandbox, stack), "security-groups-block-lb")
    assert finding.finding == (f"Security group(s) {stack.task_sg} of the tasks do not let load balancer "
                               f"netsgin-alb ({stack.alb_sg}) reach port 80")
    assert f"--group-id {stack.task_sg} --protocol tcp --port 80 --source-group {stack.alb_sg}" in finding.fix


def test_a_load_balancer_group_with_no_egress_to_the_tasks(sandbox: Any) -> None:
    stack = _stack(sandbox, "netsgout")
    ec2 = sandbox.client("ec2")
    ec2.revoke_security_group_egress(GroupId=stack.alb_sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=stack.alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    finding = _only(_report(sandbox, stack), "security-groups-block-lb")
    assert finding.finding == (f"The load balancer's security group(s) {stack.alb_sg} allow no egress to the tasks "
                               f"({stack.task_sg}) on port 80")


def test_a_production_port_closed_to_the_internet(sandbox: Any) -> None:
    stack = _stack(sandbox, "netport")
    sandbox.client("ec2").revoke_security_group_ingress(GroupId=stack.alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    finding = _only(_report(sandbox, stack), "lb-listener-port-closed")
    assert finding.severity == "warning"
    assert finding.finding == (f"Load balancer netport-alb's security group(s) {stack.alb_sg} allow no inbound "
                               "traffic on production port 80 from 0.0.0.0/0")


# -- not checked ---------------------------------------------------------------------------------


def test_a_task_subnet_that_is_gone_is_reported_not_checked(sandbox: Any) -> None:
    stack = _stack(sandbox, "netgone")
    private, _ = private_subnets(sandbox.client, stack, block=7)
    swap_service(sandbox.client, stack, subnets=private)
    sandbox.client("ec2").delete_subnet(SubnetId=private[1])
    report = _report(sandbox, stack)
    assert area_findings(report, "network") == sorted(f"not-checked:{r}" for r in (
        "internet-facing-lb-private-subnets", "tasks-public-subnet-no-ip", "tasks-private-no-egress",
        "task-subnets-one-az", "task-az-not-on-load-balancer", "security-groups-block-lb"))
    assert {n.reason.split(":")[0] for n in report.not_checked if n.rule == "task-subnets-one-az"} == {
        "ec2.DescribeSubnets answered InvalidSubnetID.NotFound"}
