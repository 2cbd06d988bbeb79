"""Discovery against the local AWS region (sandbox), plus the pure public-subnet rule.

One sandbox per module (started on a free port, stopped even when a test fails). Tests that
create resources delete what could disturb the others (extra subnets in the default VPC).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from bluegreen.aws import discovery
from bluegreen.aws.discovery import (
    Discovery,
    Found,
    Subnet,
    describe_problem,
    discover_all,
    error_code,
    forward_targets,
    is_public,
    public_subnets_one_per_az,
    route_table_for,
    trusted_services,
)
from bluegreen.aws.session import AwsSession, Target
from bluegreen.errors import Failed
from bluegreen.events import DiscoveryResult, Event
from bluegreen.sandbox.server import SandboxHandle

SERVICES = ("sts", "ec2", "ecr", "ecs", "elbv2", "iam", "codecommit", "codedeploy", "codepipeline")


def trust(*services: str) -> str:
    principal = {"Service": services[0] if len(services) == 1 else list(services)}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def access_denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {operation}"}},
                       operation)


def new_session(sandbox: SandboxHandle, concurrency: int = 10, max_attempts: int = 10) -> AwsSession:
    return AwsSession(Target(endpoint_url=sandbox.endpoint_url, region=sandbox.region), concurrency=concurrency,
                      max_attempts=max_attempts)


@pytest.fixture(scope="module")
def session(sandbox: SandboxHandle) -> AwsSession:
    return new_session(sandbox)


@pytest.fixture(scope="module")
def stack(sandbox: SandboxHandle) -> dict[str, Any]:
    """One of each kind, made with plain boto3 the way a console user would."""
    assert sandbox.seed is not None
    ec2, iam = sandbox.client("ec2"), sandbox.client("iam")
    made: dict[str, Any] = {}
    iam.create_role(RoleName="disc-exec", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
    iam.create_role(RoleName="disc-deploy", AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))
    iam.create_role(RoleName="disc-pipeline", AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))
    made["sg"] = ec2.create_security_group(GroupName="disc-alb", Description="alb sg",
                                           VpcId=sandbox.seed.vpc_id)["GroupId"]

    ecr = sandbox.client("ecr")
    ecr.create_repository(repositoryName="disc-web")
    ecr.create_repository(repositoryName="disc-empty")
    config = b'{"architecture":"amd64","os":"linux"}'
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                   "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1234,
                    "digest": "sha256:" + "ab" * 32}]})
    made["digest"] = ecr.put_image(repositoryName="disc-web", imageManifest=manifest,
                                   imageTag="v1")["image"]["imageId"]["imageDigest"]
    ecr.put_image(repositoryName="disc-web", imageManifest=manifest, imageTag="latest")

    ecs = sandbox.client("ecs")
    ecs.create_cluster(clusterName="disc-cluster")
    ecs.create_cluster(clusterName="disc-empty-cluster")
    ecs.register_task_definition(
        family="disc-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx", "essential": True,
                               "portMappings": [{"containerPort": 80}]}])

    elb = sandbox.client("elbv2")
    public = sorted(sandbox.seed.public_subnet_ids)
    made["lb"] = elb.create_load_balancer(Name="disc-alb", Subnets=public[:2], SecurityGroups=[made["sg"]],
                                          Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    made["tg1"], made["tg2"] = (
        elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=sandbox.seed.vpc_id,
                                TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        for name in ("disc-tg1", "disc-tg2"))
    elb.create_listener(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                            {"TargetGroupArn": made["tg1"], "Weight": 90},
                            {"TargetGroupArn": made["tg2"], "Weight": 10}]}}])
    elb.create_listener(LoadBalancerArn=made["lb"]["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": made["tg1"]}])
    ecs.create_service(
        cluster="disc-cluster", serviceName="disc-svc", taskDefinition="disc-web", desiredCount=2,
        launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": made["tg1"], "containerName": "web", "containerPort": 80}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": public[:2], "securityGroups": [made["sg"]],
                                                      "assignPublicIp": "ENABLED"}})

    sandbox.client("codecommit").create_repository(repositoryName="disc-source")
    cd = sandbox.client("codedeploy")
    cd.create_application(applicationName="disc-app", computePlatform="ECS")
    cd.create_deployment_group(
        applicationName="disc-app", deploymentGroupName="disc-dg",
        serviceRoleArn=f"arn:aws:iam::{sandbox.account_id}:role/disc-deploy")
    pipeline_role = f"arn:aws:iam::{sandbox.account_id}:role/disc-pipeline"
    stages = [
        {"name": "Source", "actions": [{"name": "Image", "actionTypeId": {
            "category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
            "configuration": {"RepositoryName": "disc-web"}, "outputArtifacts": [{"name": "Img"}]}]},
        {"name": "Deploy", "actions": [{"name": "Noop", "actionTypeId": {
            "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]},
    ]
    cp = sandbox.client("codepipeline")
    for name, kind in (("disc-pipe-v2", "V2"), ("disc-pipe-v1", "V1")):
        cp.create_pipeline(pipeline={"name": name, "roleArn": pipeline_role, "pipelineType": kind,
                                     "artifactStore": {"type": "S3", "location": "disc-artifacts"},
                                     "stages": stages})
    return made


# -- the public-subnet rule on hand-made route tables ------------------------------------


def table(rt_id: str, *routes: dict[str, str], subnets: tuple[str, ...] = (), main: bool = False,
          vpc: str = "vpc-1") -> dict[str, Any]:
    assocs: list[dict[str, Any]] = [{"Main": False, "SubnetId": s, "RouteTableId": rt_id,
                                     "AssociationState": {"State": "associated"}} for s in subnets]
    if main:
        assocs.append({"Main": True, "RouteTableId": rt_id, "AssociationState": {"State": "associated"}})
    local = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
    return {"RouteTableId": rt_id, "VpcId": vpc, "Associations": assocs, "Routes": [local, *routes]}


IGW = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0abc", "State": "active"}
IGW6 = {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-0abc", "State": "active"}
BLACKHOLE = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0gone", "State": "blackhole"}
NAT = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0123", "State": "active"}
EIGW6 = {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0123", "State": "active"}
TGW = {"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-0123", "State": "active"}
IGW_NARROW = {"DestinationCidrBlock": "203.0.113.0/24", "GatewayId": "igw-0abc", "State": "active"}


def test_explicit_association_wins_over_the_main_table() -> None:
    tables = [table("rtb-main", IGW, main=True), table("rtb-priv", subnets=("subnet-a",))]
    assert not is_public(tables, "subnet-a", "vpc-1")
    assert is_public(tables, "subnet-b", "vpc-1")  # no association: the main table decides
    assert route_table_for(tables, "subnet-a", "vpc-1")["RouteTableId"] == "rtb-priv"  # type: ignore[index]
    assert route_table_for(tables, "subnet-b", "vpc-1")["RouteTableId"] == "rtb-main"  # type: ignore[index]
    # and the other way round: a private main table, an explicitly public subnet
    tables = [table("rtb-main", main=True), table("rtb-pub", IGW, subnets=("subnet-a",))]
    assert is_public(tables, "subnet-a", "vpc-1")
    assert not is_public(tables, "subnet-b", "vpc-1")


@pytest.mark.parametrize(("route", "public"), [
    (IGW, True),
    (IGW6, True),
    (BLACKHOLE, False),
    (NAT, False),
    ({**NAT, "GatewayId": "nat-0123"}, False),  # some answers put the NAT id in GatewayId
    (EIGW6, False),
    (TGW, False),
    (IGW_NARROW, False),
    ({**IGW, "State": "blackhole"}, False),
    ({"DestinationCidrBlock": "0.0.0.0/0", "VpcPeeringConnectionId": "pcx-1", "State": "active"}, False),
    ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vgw-0123", "State": "active"}, False),
])
def test_only_an_active_default_route_to_an_internet_gateway_makes_public(route: dict[str, str],
                                                                          public: bool) -> None:
    tables = [table("rtb-main", main=True), table("rtb-x", route, subnets=("subnet-a",))]
    assert is_public(tables, "subnet-a", "vpc-1") is public


def test_blackholed_igw_next_to_nat_is_private_and_no_table_at_all_is_private() -> None:
    assert not is_public([table("rtb-x", BLACKHOLE, NAT, subnets=("subnet-a",))], "subnet-a", "vpc-1")
    assert not is_public([], "subnet-a", "vpc-1")
    # the main table of another VPC does not apply
    assert not is_public([table("rtb-other", IGW, main=True, vpc="vpc-2")], "subnet-a", "vpc-1")
    # a disassociated association does not count
    t = table("rtb-pub", IGW, subnets=("subnet-a",))
    t["Associations"][0]["AssociationState"]["State"] = "disassociated"
    assert not is_public([t, table("rtb-main", main=True)], "subnet-a", "vpc-1")


def test_public_subnets_one_per_az_prefers_default_for_az_in_stable_order() -> None:
    def sn(id_: str, az: str, public: bool = True, default: bool = False, vpc: str = "vpc-1") -> Subnet:
        return Subnet(id_, vpc, az, "10.0.0.0/24", 250, public, "rtb-1", default, "")

    subnets = [sn("subnet-9", "us-east-1b"), sn("subnet-5", "us-east-1b", default=True),
               sn("subnet-3", "us-east-1a"), sn("subnet-1", "us-east-1a"),
               sn("subnet-0", "us-east-1c", public=False), sn("subnet-7", "us-east-1d")]
    chosen = public_subnets_one_per_az(subnets)
    assert [s.id for s in chosen] == ["subnet-1", "subnet-5", "subnet-7"]
    assert public_subnets_one_per_az(reversed(subnets)) == chosen
    with pytest.raises(ValueError, match="several VPCs"):
        public_subnets_one_per_az([*subnets, sn("subnet-x", "us-east-1a", vpc="vpc-2")])
    assert [s.id for s in public_subnets_one_per_az([*subnets, sn("subnet-x", "us-east-1a", vpc="vpc-2")],
                                                    vpc_id="vpc-2")] == ["subnet-x"]


def test_trust_policies_and_listener_actions_parse() -> None:
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]},
         "Action": ["sts:AssumeRole", "sts:TagSession"]},
        {"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
         "Action": "sts:AssumeRoleWithWebIdentity"},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRoleWithSAML"}]}
    assert trusted_services(doc) == ("ecs-tasks.amazonaws.com", "ecs.amazonaws.com")
    assert trusted_services("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B"
                            "%22Service%22%3A%22codedeploy.amazonaws.com%22%7D%2C%22Action%22%3A"
                            "%22sts%3AAssumeRole%22%7D%7D") == ("codedeploy.amazonaws.com",)
    assert trusted_services("not json") == ()
    assert trusted_services(None) == ()
    assert forward_targets([{"Type": "redirect"}, {"Type": "forward", "TargetGroupArn": "tg-a"}])[0].weight == 1


def test_describe_problem_names_the_code_and_the_cause() -> None:
    text = describe_problem(access_denied("ListRoles"))
    assert "AccessDenied" in text and "ListRoles" in text and "permission" in text
    assert error_code(access_denied("ListRoles")) == "AccessDenied"
    assert "region" in describe_problem(EndpointConnectionError(endpoint_url="https://codecommit.xx.amazonaws.com"))
    assert describe_problem(Failed("no AWS credentials were found", "run aws configure")) == (
        "no AWS credentials were found. Fix: run aws configure.")
    assert describe_problem(ValueError("boom")) == "ValueError: boom"
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "DescribeListeners")
    assert "ThrottlingException on DescribeListeners: Rate exceeded" in describe_problem(throttled)


# -- against the sandbox ----------------------------------------------------------------


def test_default_vpc_is_found_and_marked_default(sandbox: SandboxHandle, session: AwsSession) -> None:
    assert sandbox.seed is not None
    found = discovery.vpcs(session)
    defaults = [v for v in found if v.is_default]
    assert [v.id for v in defaults] == [sandbox.seed.vpc_id]
    assert found[0].is_default  # listed first
    vpc = discovery.default_vpc(session)
    assert vpc is not None and vpc.id == sandbox.seed.vpc_id and vpc.cidr == "172.31.0.0/16"


def test_seeded_subnets_are_public_and_the_seeded_private_subnet_is_private(sandbox: SandboxHandle,
                                                                          session: AwsSession) -> None:
    assert sandbox.seed is not None
    by_id = {s.id: s for s in discovery.subnets(session, sandbox.seed.vpc_id)}
    assert set(sandbox.seed.public_subnet_ids) | {sandbox.seed.private_subnet_id} <= set(by_id)
    for subnet_id in sandbox.seed.public_subnet_ids:
        s = by_id[subnet_id]
        assert s.public and s.route_table_id == sandbox.seed.main_route_table_id and s.default_for_az
        assert s.free_ips > 0 and s.az and s.cidr
    private = by_id[sandbox.seed.private_subnet_id]
    assert not private.public
    assert private.route_table_id == sandbox.seed.private_route_table_id
    assert private.name == "bluegreen-sandbox-private"
    chosen = public_subnets_one_per_az(by_id.values())
    assert len(chosen) == len({by_id[s].az for s in sandbox.seed.public_subnet_ids}) >= 2
    assert sandbox.seed.private_subnet_id not in {s.id for s in chosen}


def test_route_tables_are_fetched_once_per_vpc_not_per_subnet(sandbox: SandboxHandle) -> None:
    assert sandbox.seed is not None
    session = new_session(sandbox)
    calls: list[str] = []
    session.client("ec2").meta.events.register(
        "before-call.ec2", lambda model, **_: calls.append(model.name))
    assert len(discovery.subnets(session, sandbox.seed.vpc_id)) >= 7
    assert calls.count("DescribeRouteTables") == 1
    assert calls.count("DescribeSubnets") == 1


def test_map_public_ip_on_launch_does_not_make_a_subnet_public(sandbox: SandboxHandle, session: AwsSession) -> None:
    assert sandbox.seed is not None
    ec2 = sandbox.client("ec2")
    ec2.modify_subnet_attribute(SubnetId=sandbox.seed.private_subnet_id, MapPublicIpOnLaunch={"Value": True})
    try:
        by_id = {s.id: s for s in discovery.subnets(session, sandbox.seed.vpc_id)}
        assert not by_id[sandbox.seed.private_subnet_id].public
    finally:
        ec2.modify_subnet_attribute(SubnetId=sandbox.seed.private_subnet_id, MapPublicIpOnLaunch={"Value": False})


def test_a_subnet_whose_igw_route_is_blackholed_counts_private(sandbox: SandboxHandle) -> None:
    """moto never reports a route as blackhole (AWS does once its gateway is deleted), so the
    answer of describe_route_tables is amended in flight for this one table."""
    assert sandbox.seed is not None
    ec2 = sandbox.client("ec2")
    vpc = sandbox.seed.vpc_id
    subnet_id = ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.112.0/24")["Subnet"]["SubnetId"]
    rt_id = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=rt_id, SubnetId=subnet_id)["AssociationId"]
    ec2.create_route(RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=sandbox.seed.internet_gateway_id)
    try:
        session = new_session(sandbox)
        assert {s.id: s for s in discovery.subnets(session, vpc)}[subnet_id].public  # before: igw, active

        def blackhole(parsed: dict[str, Any], **_: Any) -> None:
            for t in parsed.get("RouteTables", []):
                if t["RouteTableId"] == rt_id:
                    for route in t["Routes"]:
                        if route.get("GatewayId", "").startswith("igw-"):
                            route["State"] = "blackhole"

        session.client("ec2").meta.events.register("after-call.ec2.DescribeRouteTables", blackhole)
        subnet = {s.id: s for s in discovery.subnets(session, vpc)}[subnet_id]
        assert not subnet.public and subnet.route_table_id == rt_id
        # the main table's subnets are not affected
        assert {s.id: s for s in discovery.subnets(session, vpc)}[sandbox.seed.public_subnet_ids[0]].public
    finally:
        ec2.disassociate_route_table(AssociationId=assoc)
        ec2.delete_route_table(RouteTableId=rt_id)
        ec2.delete_subnet(SubnetId=subnet_id)


def test_a_vpc_without_internet_gateway_is_all_private_through_its_main_table(sandbox: SandboxHandle,
                                                                             session: AwsSession) -> None:
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    made = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"{sandbox.region}{az}")
            ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])
    main_id = main["RouteTables"][0]["RouteTableId"]
    found = discovery.subnets(session, vpc)
    assert sorted(s.id for s in found) == sorted(made)
    assert all(not s.public and s.route_table_id == main_id and not s.default_for_az for s in found)
    assert public_subnets_one_per_az(found) == []
    # an internet gateway and a default route in the main table make them all public
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=main_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert all(s.public for s in discovery.subnets(session, vpc))
    # and the default VPC's subnets stayed where they were
    assert sandbox.seed is not None
    assert all(s.vpc_id == sandbox.seed.vpc_id for s in discovery.subnets(session, sandbox.seed.vpc_id))


def test_security_groups_are_listed_per_vpc(sandbox: SandboxHandle, session: AwsSession, stack: dict[str, Any]) -> None:
    assert sandbox.seed is not None
    groups = discovery.security_groups(session, sandbox.seed.vpc_id)
    by_id = {g.id: g for g in groups}
    assert stack["sg"] in by_id and by_id[stack["sg"]].name == "disc-alb"
    assert by_id[stack["sg"]].description == "alb sg"
    assert any(g.name == "default" for g in groups)
    assert all(g.vpc_id == sandbox.seed.vpc_id for g in groups)
    assert len(discovery.security_groups(session)) >= len(groups)


def test_ecr_repositories_and_images(sandbox: SandboxHandle, session: AwsSession, stack: dict[str, Any]) -> None:
    repos = {r.name: r for r in discovery.ecr_repositories(session)}
    assert {"disc-web", "disc-empty"} <= set(repos)
    assert repos["disc-web"].uri.endswith("/disc-web")
    assert repos["disc-web"].arn == f"arn:aws:ecr:{sandbox.region}:{sandbox.account_id}:repository/disc-web"
    images = discovery.ecr_images(session, "disc-web")
    assert len(images) == 1
    image = images[0]
    assert image.repository == "disc-web" and image.digest == stack["digest"]
    assert set(image.tags) == {"v1", "latest"}
    assert image.size_bytes > 0 and image.pushed_at is not None
    assert discovery.ecr_images(session, "disc-empty") == []


def test_roles_trusting_ecs_tasks_are_usable_as_execution_role(session: AwsSession, stack: dict[str, Any]) -> None:
    roles = {r.name: r for r in discovery.roles(session)}
    assert roles["disc-exec"].usable_as_execution_role
    assert roles["disc-exec"].trusted_services == ("ecs-tasks.amazonaws.com",)
    assert not roles["disc-deploy"].usable_as_execution_role
    assert roles["disc-deploy"].arn.endswith(":role/disc-deploy")


def test_ecs_clusters_and_services(session: AwsSession, stack: dict[str, Any]) -> None:
    clusters = {c.name: c for c in discovery.clusters(session)}
    assert clusters["disc-cluster"].status == "ACTIVE"
    # moto never counts a cluster's services (activeServicesCount stays 0), so only the field is checked
    assert clusters["disc-empty-cluster"].active_services == 0
    services = discovery.ecs_services(session)
    assert [(s.cluster, s.name) for s in services] == [("disc-cluster", "disc-svc")]
    svc = services[0]
    assert svc.launch_type == "FARGATE" and svc.deployment_controller == "CODE_DEPLOY"
    assert svc.desired == 2 and "disc-web" in svc.task_definition
    assert discovery.ecs_services(session, "disc-empty-cluster") == []


def test_load_balancers_listeners_with_weights_and_target_groups(session: AwsSession, stack: dict[str, Any]) -> None:
    lbs = discovery.load_balancers(session)
    lb = next(lb for lb in lbs if lb.name == "disc-alb")
    assert lb.scheme == "internet-facing" and lb.lb_type == "application"
    assert len(lb.az_subnets) == 2 and lb.security_groups == (stack["sg"],)
    assert lb.dns_name
    listeners = discovery.listeners(session, lb.arn)
    assert [li.port for li in listeners] == [80, 8080]
    prod, test = listeners
    assert [(t.arn, t.weight) for t in prod.target_groups] == [(stack["tg1"], 90), (stack["tg2"], 10)]
    assert test.target_group_arns == (stack["tg1"],)
    tgs = {tg.name: tg for tg in discovery.target_groups(session)}
    assert tgs["disc-tg1"].target_type == "ip" and tgs["disc-tg1"].port == 80
    assert tgs["disc-tg1"].lb_arns == (lb.arn,)


def test_codecommit_codedeploy_and_pipelines(session: AwsSession, stack: dict[str, Any]) -> None:
    repos = discovery.codecommit_repositories(session)
    assert [r.name for r in repos] == ["disc-source"]
    assert repos[0].arn.endswith(":disc-source") and repos[0].default_branch == ""
    apps = discovery.codedeploy_applications(session)
    assert [(a.name, a.compute_platform, a.deployment_groups) for a in apps] == [("disc-app", "ECS", ("disc-dg",))]
    pipes = {p.name: p for p in discovery.pipelines(session)}
    assert pipes["disc-pipe-v2"].pipeline_type == "V2" and pipes["disc-pipe-v1"].pipeline_type == "V1"
    assert pipes["disc-pipe-v2"].version == 1


def test_discover_all_finds_every_kind_and_reports_each(sandbox: SandboxHandle, session: AwsSession,
                                                        stack: dict[str, Any], tmp_path: Path) -> None:
    assert sandbox.seed is not None
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\nEXPOSE 8080\n")
    events: list[Event] = []
    found = asyncio.run(discover_all(session, vpc_id=sandbox.seed.vpc_id, on_event=events.append,
                                     workdir=tmp_path, local=True))
    errors = found.errors()
    errors.pop("local_images", None)  # depends on a Docker engine; covered below
    assert errors == {}
    assert found.account.items[0].account_id == sandbox.account_id and found.account.items[0].region == sandbox.region
    assert found.default_vpc is not None and found.default_vpc.id == sandbox.seed.vpc_id
    assert all(s.vpc_id == sandbox.seed.vpc_id for s in found.subnets)
    assert {s.id for s in found.subnets if s.public} >= set(sandbox.seed.public_subnet_ids)
    assert [e.digest for e in found.ecr_images if e.repository == "disc-web"] == [stack["digest"]]
    assert [s.name for s in found.services] == ["disc-svc"]
    assert {li.port for li in found.listeners} == {80, 8080}
    assert [r.name for r in found.execution_roles if r.name.startswith("disc-")] == ["disc-exec"]
    assert {p.pipeline_type for p in found.pipelines} == {"V1", "V2"}
    assert found.codedeploy_applications.items[0].deployment_groups == ("disc-dg",)
    assert [(d.path.name, d.port) for d in found.dockerfiles] == [("Dockerfile", 8080)]
    # one event per kind, with the same count
    results = [e for e in events if isinstance(e, DiscoveryResult)]
    assert sorted(e.kind for e in results) == sorted(Discovery.kinds())
    assert all(e.count == len(found.get(e.kind)) for e in results)
    # the composed sync functions agree with the concurrent discovery
    assert found.subnets.items == tuple(discovery.subnets(session, sandbox.seed.vpc_id))
    assert found.codedeploy_applications.items == tuple(discovery.codedeploy_applications(session))
    assert found.services.items == tuple(discovery.ecs_services(session))


@pytest.mark.docker
def test_local_images_report_their_exposed_ports(docker_client: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM scratch\nLABEL bluegreen.test=discovery bluegreen.nonce={tmp_path.name}\nEXPOSE 8081 9000/udp\n")
    image, _ = docker_client.images.build(path=str(tmp_path), tag="bluegreen-discovery-test:1", rm=True)
    try:
        found = {i.id: i for i in discovery.local_images()}
        mine = found[image.id]
        assert "bluegreen-discovery-test:1" in mine.tags
        assert [str(p) for p in mine.exposed_ports] == ["8081/tcp", "9000/udp"]
        assert mine.created is not None
    finally:
        docker_client.images.remove(image.id, force=True)


def test_one_kind_failing_leaves_the_others(monkeypatch: pytest.MonkeyPatch, session: AwsSession,
                                            stack: dict[str, Any]) -> None:
    def denied(session: AwsSession) -> list[Any]:
        raise access_denied("ListRoles")

    monkeypatch.setattr(discovery, "roles", denied)
    events: list[Event] = []
    found = asyncio.run(discover_all(session, on_event=events.append, local=False))
    assert list(found.errors()) == ["roles"]
    assert "AccessDenied" in found.roles.error and "ListRoles" in found.roles.error
    assert found.roles.items == () and not found.roles.ok
    assert found.clusters.ok and len(found.clusters) >= 2
    assert [e.error for e in events if isinstance(e, DiscoveryResult) and e.kind == "roles"] == [found.roles.error]


def test_a_failing_call_inside_a_fan_out_keeps_what_arrived(sandbox: SandboxHandle, stack: dict[str, Any]) -> None:
    """An AccessDenied answered by the wire (botocore hook) for one repository's images."""
    session = new_session(sandbox)

    def deny_one(params: dict[str, Any], **_: Any) -> None:
        if params.get("repositoryName") == "disc-empty":
            raise access_denied("DescribeImages")

    session.client("ecr").meta.events.register("before-parameter-build.ecr.DescribeImages", deny_one)
    found = asyncio.run(discover_all(session, local=False))
    assert "AccessDenied on DescribeImages" in found.ecr_images.error
    assert [i.repository for i in found.ecr_images] == ["disc-web"]  # the other repository arrived
    assert found.ecr_repositories.ok and set(found.errors()) == {"ecr_images"}


def test_docker_engine_down_is_reported_on_local_images_only(monkeypatch: pytest.MonkeyPatch,
                                                             session: AwsSession, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    found = asyncio.run(discover_all(session, workdir=tmp_path))
    assert set(found.errors()) == {"local_images"}
    assert "Docker engine not reachable" in found.local_images.error
    assert found.dockerfiles.ok and found.dockerfiles.items == ()


def test_an_unreachable_service_endpoint_is_an_error_on_its_kind(sandbox: SandboxHandle) -> None:
    # max_attempts=1: botocore retries connection errors, up to about a minute with the default 10
    session = new_session(sandbox, max_attempts=1)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://codecommit.ap-east-9.amazonaws.com/")

    session.client("codecommit").meta.events.register("before-send.codecommit", unreachable)
    found = asyncio.run(discover_all(session, local=False))
    assert set(found.errors()) == {"codecommit_repositories"}
    assert "not be available in this region" in found.codecommit_repositories.error


def test_a_service_botocore_does_not_list_in_the_region_is_reported_without_a_call(
        monkeypatch: pytest.MonkeyPatch) -> None:
    session = AwsSession(Target(region="eu-west-1"))  # a real region name, but no call may leave
    listed = session.boto.get_available_regions

    def regions(service: str, partition: str = "aws", **kw: Any) -> list[str]:
        return [] if service == "codecommit" else listed(service, partition, **kw)

    monkeypatch.setattr(session.boto, "get_available_regions", regions)
    assert not discovery.offered_in_region(session, "codecommit")
    assert discovery.offered_in_region(session, "ecs")
    monkeypatch.setattr(session, "region", "xx-future-1")  # a region this botocore does not know
    assert discovery.offered_in_region(session, "codecommit")


def test_discover_all_reports_a_service_not_offered_in_the_region(monkeypatch: pytest.MonkeyPatch,
                                                                    session: AwsSession) -> None:
    monkeypatch.setattr(discovery, "offered_in_region", lambda s, service: service != "codedeploy")
    events: list[Event] = []
    found = asyncio.run(discover_all(session, local=False, on_event=events.append))
    assert found.errors() == {"codedeploy_applications": f"codedeploy is not offered in region {session.region}. "
                                                         "Fix: choose a region where it is (--region)."}
    assert found.pipelines.ok and len(events) == len(Discovery.kinds()) - 2  # local kinds skipped


def test_a_kind_that_hangs_times_out_without_holding_up_the_others(monkeypatch: pytest.MonkeyPatch,
                                                                   session: AwsSession) -> None:
    release = threading.Event()

    def hangs(session: AwsSession) -> list[Any]:
        release.wait(5)
        return []

    monkeypatch.setattr(discovery, "target_groups", hangs)
    try:
        started = time.monotonic()
        found = asyncio.run(discover_all(session, local=False, timeout=0.5))
        assert time.monotonic() - started < 3
    finally:
        release.set()
    assert set(found.errors()) == {"target_groups"} and "0.5 s" in found.target_groups.error


def test_discover_all_is_concurrent_and_bounded(sandbox: SandboxHandle, stack: dict[str, Any]) -> None:
    """With 50 ms per API answer, all kinds at once take well under the kinds one after another,
    and never more calls are in flight than `concurrency`."""
    session = new_session(sandbox)
    for name in SERVICES:  # clients made up front: both runs measure calls only
        session.client(name)
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def before(**_: Any) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)

    def after(**_: Any) -> None:
        nonlocal in_flight
        with lock:
            in_flight -= 1

    for name in SERVICES:
        session.client(name).meta.events.register("before-send", before)
        session.client(name).meta.events.register("needs-retry", after)  # once per answer
    sequential = [discovery.account, discovery.vpcs, discovery.subnets, discovery.security_groups,
                  discovery.ecr_repositories, lambda s: [discovery.ecr_images(s, r.name)
                                                         for r in discovery.ecr_repositories(s)],
                  discovery.clusters, discovery.ecs_services, discovery.load_balancers,
                  lambda s: [discovery.listeners(s, lb.arn) for lb in discovery.load_balancers(s)],
                  discovery.target_groups, discovery.roles, discovery.codecommit_repositories,
                  discovery.codedeploy_applications, discovery.pipelines]
    sandbox.router.latency = 0.05
    try:
        started = time.monotonic()
        for fn in sequential:
            fn(session)
        one_by_one = time.monotonic() - started
        assert peak == 1
        peak = 0
        found = asyncio.run(discover_all(session, concurrency=4, local=False))
    finally:
        sandbox.router.latency = 0.0
    assert found.errors() == {}
    assert peak <= 4, peak
    assert peak >= 3, peak  # calls did overlap
    assert found.seconds < 0.7 * one_by_one, (found.seconds, one_by_one)
    assert found.seconds < 0.7 * sum(found.get(k).seconds for k in found.kinds())


def test_found_and_discovery_records_are_immutable() -> None:
    found: Found[int] = Found((1, 2), "", 0.1)
    assert list(found) == [1, 2] and len(found) == 2 and found.ok
    with pytest.raises(AttributeError):
        found.error = "x"  # type: ignore[misc]
    d = Discovery()
    assert d.errors() == {} and d.default_vpc is None
    with pytest.raises(KeyError):
        d.get("vpc_id")
