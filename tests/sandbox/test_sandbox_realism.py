"""Realism beyond moto: every region seeded on first use, the tagging API over every service,
blackhole routes, cluster counts, target groups' load balancers, default security groups."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.config import Config

from bluegreen.sandbox.services.ec2 import PRIVATE_SUBNET_NAME
from bluegreen.sandbox.services.tagging import arn_type

STACK = {"Key": "bluegreen:stack", "Value": "rgt"}


def _default_vpc(ec2: Any) -> str:
    return str(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"])


def _is_public(ec2: Any, vpc: str, subnet: str) -> bool:
    tables = (
        ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
        or ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
        )["RouteTables"]
    )
    return any(
        r.get("DestinationCidrBlock") == "0.0.0.0/0"
        and r.get("GatewayId", "").startswith("igw-")
        and r.get("State") == "active"
        for t in tables
        for r in t["Routes"]
    )


# --- every region seeded on first use -------------------------------------------------------


def test_another_region_is_seeded_on_its_first_request(sandbox) -> None:
    assert "us-east-2" not in sandbox.seeds
    ec2 = sandbox.client("ec2", region_name="us-east-2")
    vpc = _default_vpc(ec2)  # the first request for us-east-2 already sees the seeded network
    assert set(sandbox.seeds) >= {sandbox.region, "us-east-2"}
    seed = sandbox.seeds["us-east-2"]
    assert seed.vpc_id == vpc
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    private = [s for s in subnets if s["SubnetId"] == seed.private_subnet_id]
    public = [s for s in subnets if s["SubnetId"] != seed.private_subnet_id]
    assert all(s["AvailabilityZone"].startswith("us-east-2") for s in subnets)
    assert len(private) == 1 and len(public) >= 2
    assert not _is_public(ec2, vpc, seed.private_subnet_id)
    assert all(_is_public(ec2, vpc, s["SubnetId"]) for s in public)
    # other services' first calls seed too; the sandbox's own region is untouched
    sandbox.client("sts", region_name="ca-central-1").get_caller_identity()
    assert "ca-central-1" in sandbox.seeds
    assert sandbox.seeds[sandbox.region] is sandbox.seed


def test_concurrent_first_requests_seed_a_region_exactly_once(sandbox) -> None:
    region = "ap-southeast-2"
    clients = [sandbox.client("ec2", region_name=region) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    seen: list[int] = []
    errors: list[BaseException] = []

    def first_call(ec2: Any) -> None:
        try:
            barrier.wait(10)
            igws = ec2.describe_internet_gateways()["InternetGateways"]
            seen.append(len(igws))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_call, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert seen == [1] * len(clients)  # every first answer already had the gateway, and only one
    ec2 = clients[0]
    vpc = _default_vpc(ec2)
    named = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [PRIVATE_SUBNET_NAME]}])["Subnets"]
    assert [s["VpcId"] for s in named] == [vpc]
    routes = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["Routes"]
    assert [r["DestinationCidrBlock"] for r in routes].count("0.0.0.0/0") == 1


# --- resource groups tagging API ------------------------------------------------------------


@pytest.fixture(scope="module")
def tagged(sandbox) -> dict[str, str]:
    """One tagged resource of each kind the teardown looks for, plus untagged ones."""
    c = sandbox.client
    arns: dict[str, str] = {}
    ecs = c("ecs")
    ecs.create_cluster(clusterName="rgt-untagged")  # moto's GetResources failed on this one
    arns["cluster"] = ecs.create_cluster(clusterName="rgt", tags=[{"key": STACK["Key"], "value": "rgt"}])[
        "cluster"
    ]["clusterArn"]
    arns["repo"] = c("codecommit").create_repository(repositoryName="rgt", tags={STACK["Key"]: "rgt"})[
        "repositoryMetadata"
    ]["Arn"]
    c("codecommit").create_repository(repositoryName="rgt-untagged")
    cd = c("codedeploy")
    cd.create_application(applicationName="rgt", computePlatform="ECS", tags=[STACK])
    cd.create_deployment_group(
        applicationName="rgt",
        deploymentGroupName="rgt",
        serviceRoleArn="arn:aws:iam::123456789012:role/x",
        tags=[STACK, {"Key": "tier", "Value": "web"}],
    )
    arns["app"] = f"arn:aws:codedeploy:{sandbox.region}:{sandbox.account_id}:application:rgt"
    arns["group"] = f"arn:aws:codedeploy:{sandbox.region}:{sandbox.account_id}:deploymentgroup:rgt/rgt"
    arns["ecr"] = c("ecr").create_repository(repositoryName="rgt", tags=[STACK])["repository"]["repositoryArn"]
    ev = c("events")
    arns["rule"] = ev.put_rule(Name="rgt", EventPattern=json.dumps({"source": ["x"]}), Tags=[STACK])["RuleArn"]
    ec2 = c("ec2")
    vpc = _default_vpc(ec2)
    arns["tg"] = c("elbv2").create_target_group(
        Name="rgt", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", Tags=[STACK]
    )["TargetGroups"][0]["TargetGroupArn"]
    logs = c("logs")
    logs.create_log_group(logGroupName="/ecs/rgt", tags={STACK["Key"]: "rgt"})
    iam = c("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role = iam.create_role(RoleName="rgt-pipeline", AssumeRolePolicyDocument=trust, Tags=[STACK])["Role"]["Arn"]
    c("s3").create_bucket(Bucket="rgt-artifacts")
    arns["pipeline"] = c("codepipeline").create_pipeline(
        pipeline={
            "name": "rgt",
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": "rgt-artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                            "configuration": {"S3Bucket": "rgt-artifacts", "S3ObjectKey": "x.zip"},
                            "outputArtifacts": [{"name": "out"}],
                        }
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        {
                            "name": "Deploy",
                            "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                            "configuration": {"BucketName": "rgt-artifacts", "Extract": "true"},
                            "inputArtifacts": [{"name": "out"}],
                        }
                    ],
                },
            ],
        },
        tags=[{"key": STACK["Key"], "value": "rgt"}],
    )["pipeline"]["name"]
    arns["pipeline"] = f"arn:aws:codepipeline:{sandbox.region}:{sandbox.account_id}:rgt"
    return arns


def _all(rg: Any, **kwargs: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for page in rg.get_paginator("get_resources").paginate(**kwargs):
        for item in page["ResourceTagMappingList"]:
            assert item["ResourceARN"] not in out, "a resource listed twice"
            out[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item["Tags"]}
    return out


def test_get_resources_without_filters_lists_every_tagged_resource(sandbox, tagged) -> None:
    rg = sandbox.client("resourcegroupstaggingapi", config=Config(retries={"max_attempts": 1}))
    listed = rg.get_resources()
    assert listed["PaginationToken"] == ""
    everything = _all(rg)
    assert set(tagged.values()) <= set(everything)
    assert all(tags for tags in everything.values())  # only tagged resources
    assert not any(arn.endswith(("cluster/rgt-untagged", ":rgt-untagged")) for arn in everything)
    assert not any(":iam:" in arn for arn in everything)  # AWS's GetResources skips IAM roles
    assert everything[tagged["group"]] == {"bluegreen:stack": "rgt", "tier": "web"}


def test_get_resources_with_tag_filters_types_and_arns(sandbox, tagged) -> None:
    rg = sandbox.client("resourcegroupstaggingapi")
    mine = _all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["rgt"]}])
    assert set(mine) >= set(tagged.values())
    assert [arn_type(arn) for arn in set(mine) - set(tagged.values())] == [("logs", "log-group")]
    assert set(_all(rg, TagFilters=[{"Key": "bluegreen:stack"}])) >= set(mine)
    assert _all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["other"]}]) == {}
    assert set(_all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["rgt"]}, {"Key": "tier"}])) == {
        tagged["group"]
    }
    assert set(_all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["rgt"]}], ResourceTypeFilters=["ecs:cluster"])) == {
        tagged["cluster"]
    }
    assert set(_all(rg, TagFilters=[{"Key": "bluegreen:stack"}], ResourceTypeFilters=["codedeploy"])) == {
        tagged["app"],
        tagged["group"],
    }
    assert set(_all(rg, ResourceTypeFilters=["codecommit:repository", "ecr:repository"])) >= {
        tagged["repo"],
        tagged["ecr"],
    }
    assert set(_all(rg, ResourceARNList=[tagged["repo"], tagged["rule"]])) == {tagged["repo"], tagged["rule"]}


def test_get_resources_pages(sandbox, tagged) -> None:
    rg = sandbox.client("resourcegroupstaggingapi")
    whole = _all(rg, TagFilters=[{"Key": "bluegreen:stack"}])
    first = rg.get_resources(TagFilters=[{"Key": "bluegreen:stack"}], ResourcesPerPage=2)
    assert len(first["ResourceTagMappingList"]) == 2 and first["PaginationToken"]
    assert _all(rg, TagFilters=[{"Key": "bluegreen:stack"}], ResourcesPerPage=2) == whole
    with pytest.raises(rg.exceptions.InvalidParameterException):
        rg.get_resources(PaginationToken="garbage!")


def test_tag_keys_and_values(sandbox, tagged) -> None:
    rg = sandbox.client("resourcegroupstaggingapi")
    assert {"bluegreen:stack", "tier"} <= set(rg.get_tag_keys()["TagKeys"])
    assert "rgt" in rg.get_tag_values(Key="bluegreen:stack")["TagValues"]
    assert rg.get_tag_values(Key="tier")["TagValues"] == ["web"]


def test_get_resources_is_per_region(sandbox, tagged) -> None:
    other = sandbox.client("resourcegroupstaggingapi", region_name="us-west-1")
    assert _all(other, TagFilters=[{"Key": "bluegreen:stack"}]) == {}


def test_deleted_resources_leave_the_listing(sandbox) -> None:
    """What a destroy's leftover check relies on: once deleted, a resource is no longer listed."""
    gone = {"Key": "bluegreen:stack", "Value": "gone"}
    c = sandbox.client
    rg = c("resourcegroupstaggingapi")
    ecs, cd, cc, ecr, ev, logs, s3, elbv2 = (
        c("ecs"), c("codedeploy"), c("codecommit"), c("ecr"), c("events"), c("logs"), c("s3"), c("elbv2")
    )
    ecs.create_cluster(clusterName="gone", tags=[{"key": gone["Key"], "value": "gone"}])
    td = ecs.register_task_definition(
        family="gone", containerDefinitions=[{"name": "w", "image": "x", "memory": 64}],
        tags=[{"key": gone["Key"], "value": "gone"}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="gone", serviceName="gone", taskDefinition="gone", desiredCount=0,
                       tags=[{"key": gone["Key"], "value": "gone"}])
    cd.create_application(applicationName="gone", computePlatform="ECS", tags=[gone])
    cd.create_deployment_group(applicationName="gone", deploymentGroupName="gone",
                               serviceRoleArn="arn:aws:iam::123456789012:role/x", tags=[gone])
    cc.create_repository(repositoryName="gone", tags={gone["Key"]: "gone"})
    ecr.create_repository(repositoryName="gone", tags=[gone])
    ev.put_rule(Name="gone", EventPattern=json.dumps({"source": ["x"]}), Tags=[gone])
    logs.create_log_group(logGroupName="/ecs/gone", tags={gone["Key"]: "gone"})
    s3.create_bucket(Bucket="gone-bucket")
    s3.put_bucket_tagging(Bucket="gone-bucket", Tagging={"TagSet": [gone]})
    tg = elbv2.create_target_group(Name="gone", Protocol="HTTP", Port=80, VpcId=sandbox.seed.vpc_id,
                                   TargetType="ip", Tags=[gone])["TargetGroups"][0]["TargetGroupArn"]
    listed = _all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["gone"]}])
    assert {arn_type(a) for a in listed} == {
        ("ecs", "cluster"), ("ecs", "task-definition"), ("ecs", "service"), ("codedeploy", "application"),
        ("codedeploy", "deploymentgroup"), ("codecommit", "repository"), ("ecr", "repository"),
        ("events", "rule"), ("logs", "log-group"), ("s3", "bucket"), ("elasticloadbalancing", "targetgroup"),
    }

    ecs.delete_service(cluster="gone", service="gone")
    ecs.delete_cluster(cluster="gone")
    ecs.deregister_task_definition(taskDefinition=td)
    ecs.delete_task_definitions(taskDefinitions=[td])
    cd.delete_application(applicationName="gone")
    cc.delete_repository(repositoryName="gone")
    ecr.delete_repository(repositoryName="gone")
    ev.delete_rule(Name="gone")
    logs.delete_log_group(logGroupName="/ecs/gone")
    s3.delete_bucket(Bucket="gone-bucket")
    elbv2.delete_target_group(TargetGroupArn=tg)
    assert _all(rg, TagFilters=[{"Key": "bluegreen:stack", "Values": ["gone"]}]) == {}


def test_arn_types() -> None:
    assert arn_type("arn:aws:ecs:us-east-1:1:cluster/c") == ("ecs", "cluster")
    assert arn_type("arn:aws:codedeploy:us-east-1:1:deploymentgroup:a/b") == ("codedeploy", "deploymentgroup")
    assert arn_type("arn:aws:codecommit:us-east-1:1:repo") == ("codecommit", "repository")
    assert arn_type("arn:aws:logs:us-east-1:1:log-group:/ecs/x") == ("logs", "log-group")
    assert arn_type("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1") == (
        "elasticloadbalancing",
        "targetgroup",
    )


# --- small corrections ----------------------------------------------------------------------


def test_route_to_a_detached_or_deleted_gateway_is_a_blackhole(sandbox) -> None:
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    def states() -> dict[str, str]:
        table = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]
        return {r["DestinationCidrBlock"]: r["State"] for r in table["Routes"]}

    assert states() == {"10.40.0.0/16": "active", "0.0.0.0/0": "active"}
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert states() == {"10.40.0.0/16": "active", "0.0.0.0/0": "blackhole"}
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert states()["0.0.0.0/0"] == "active"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert states()["0.0.0.0/0"] == "blackhole"
    # the other tables (the seeded default VPC's) are unaffected
    main = ec2.describe_route_tables(RouteTableIds=[sandbox.seed.main_route_table_id])["RouteTables"][0]
    assert {r["State"] for r in main["Routes"]} == {"active"}


@pytest.fixture(scope="module")
def network(sandbox) -> dict[str, Any]:
    ec2, elbv2 = sandbox.client("ec2"), sandbox.client("elbv2")
    vpc = sandbox.seed.vpc_id
    subnets = sandbox.seed.public_subnet_ids[:2]
    lb = elbv2.create_load_balancer(Name="realism", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="realism", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    for port in (80, 8080):
        elbv2.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
    ecs = sandbox.client("ecs")
    ecs.register_task_definition(
        family="realism",
        containerDefinitions=[{"name": "web", "image": "x", "memory": 128, "portMappings": [{"containerPort": 80}]}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )
    return {"vpc": vpc, "subnets": subnets, "lb": lb, "tg": tg, "ec2": ec2}


def test_target_group_names_each_load_balancer_once(sandbox, network) -> None:
    elbv2 = sandbox.client("elbv2")
    by_arn = elbv2.describe_target_groups(TargetGroupArns=[network["tg"]])["TargetGroups"][0]
    assert by_arn["LoadBalancerArns"] == [network["lb"]]
    by_lb = elbv2.describe_target_groups(LoadBalancerArn=network["lb"])["TargetGroups"]
    assert [g["LoadBalancerArns"] for g in by_lb] == [[network["lb"]]]


def test_cluster_counts_follow_its_services(sandbox, network) -> None:
    ecs = sandbox.client("ecs")
    ecs.create_cluster(clusterName="counts")

    def service(name: str, desired: int) -> dict[str, Any]:
        return dict(
            ecs.create_service(
                cluster="counts",
                serviceName=name,
                taskDefinition="realism",
                desiredCount=desired,
                launchType="FARGATE",
                networkConfiguration={
                    "awsvpcConfiguration": {"subnets": network["subnets"], "securityGroups": [], "assignPublicIp": "ENABLED"}
                },
            )["service"]
        )

    def cluster() -> dict[str, Any]:
        return dict(ecs.describe_clusters(clusters=["counts"])["clusters"][0])

    assert (cluster()["activeServicesCount"], cluster()["runningTasksCount"]) == (0, 0)
    a, b = service("a", 2), service("b", 1)
    c = cluster()
    assert c["activeServicesCount"] == 2
    assert c["runningTasksCount"] == a["runningCount"] + b["runningCount"]
    assert c["pendingTasksCount"] == a["pendingCount"] + b["pendingCount"]
    ecs.delete_service(cluster="counts", service="b", force=True)
    assert cluster()["activeServicesCount"] == 1


def test_service_without_security_groups_gets_the_vpcs_default(sandbox, network) -> None:
    ecs, ec2 = sandbox.client("ecs"), network["ec2"]
    ecs.create_cluster(clusterName="sg")
    svc = ecs.create_service(
        cluster="sg",
        serviceName="nosg",
        taskDefinition="realism",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": network["subnets"]}},
    )["service"]
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [network["vpc"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert svc["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [default]


def test_a_deleted_load_balancer_leaves_its_target_groups(sandbox, network) -> None:
    elbv2 = sandbox.client("elbv2")
    lb = elbv2.create_load_balancer(Name="gone", Subnets=network["subnets"])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="orphan", Protocol="HTTP", Port=80, VpcId=network["vpc"],
                                   TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elbv2.delete_load_balancer(LoadBalancerArn=lb)
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"] == []
    # and the group can serve a new load balancer, which is then its only one
    again = elbv2.create_load_balancer(Name="gone", Subnets=network["subnets"])["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=again, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"] == [again]


def test_a_family_describes_its_latest_active_revision(sandbox, network) -> None:
    ecs = sandbox.client("ecs")
    definition = dict(containerDefinitions=[{"name": "web", "image": "x", "memory": 128}],
                      requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    first = ecs.register_task_definition(family="revs", **definition)["taskDefinition"]["taskDefinitionArn"]
    second = ecs.register_task_definition(family="revs", **definition)["taskDefinition"]["taskDefinitionArn"]
    assert ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]["taskDefinitionArn"] == second
    ecs.deregister_task_definition(taskDefinition=second)
    assert ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]["taskDefinitionArn"] == first
    ecs.deregister_task_definition(taskDefinition=first)
    with pytest.raises(ecs.exceptions.ClientException, match="Unable to describe task definition"):
        ecs.describe_task_definition(taskDefinition="revs")


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_a_bucket_tagged_at_creation_keeps_its_tags(sandbox, region) -> None:
    s3 = sandbox.client("s3", region_name=region)
    name = f"tagged-at-creation-{region}"
    configuration: dict[str, Any] = {"Tags": [{"Key": "bluegreen:stack", "Value": "rgt"}, {"Key": "b", "Value": ""}]}
    if region != "us-east-1":
        configuration["LocationConstraint"] = region
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=configuration)
    assert sorted((t["Key"], t["Value"]) for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]) == [
        ("b", ""), ("bluegreen:stack", "rgt")]
    tagging = sandbox.client("resourcegroupstaggingapi", region_name=region)
    found = tagging.get_resources(TagFilters=[{"Key": "bluegreen:stack", "Values": ["rgt"]}],
                                  ResourceTypeFilters=["s3"])["ResourceTagMappingList"]
    assert f"arn:aws:s3:::{name}" in [r["ResourceARN"] for r in found]
    # a bucket made without tags has none (NoSuchTagSet), as before
    s3.create_bucket(Bucket=f"{name}-bare", **({} if region == "us-east-1" else
                     {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchTagSet"):
        s3.get_bucket_tagging(Bucket=f"{name}-bare")


@pytest.mark.parametrize("document", ["not json", "[1, 2]", '{"Version": "2012-10-17"'])
def test_a_policy_that_is_not_a_json_object_is_malformed(sandbox, document) -> None:
    iam = sandbox.client("iam")
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException, match="invalid Json"):
        iam.create_role(RoleName="malformed-trust", AssumeRolePolicyDocument=document)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="malformed-trust")  # nothing was stored
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=f"wellformed-{len(document)}", AssumeRolePolicyDocument=trust)
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException, match="Syntax errors in policy"):
        iam.put_role_policy(RoleName=f"wellformed-{len(document)}", PolicyName="p", PolicyDocument=document)
