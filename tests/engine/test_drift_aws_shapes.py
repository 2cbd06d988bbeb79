"""Each node's comparison against the answer AWS gives, not moto's (issue 9, item 5).

The answers below are what AWS returns for the resource bluegreen creates, with the fields
AWS fills with defaults (docs/fidelity/drift.md lists them and the API reference page of
each). Every answer is checked against botocore's output shape of its operation, so it is at
least an answer AWS could give. Each node must call its own stack's AWS answer "in sync", and
one changed field must give the expected update reason. Calls a comparison makes itself go
to a botocore Stubber; no sandbox is needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from support.engine import REGION, stack_config

from bluegreen.aws.session import AwsSession, Target
from bluegreen.engine.context import Context
from bluegreen.engine.nodes.codedeploy import ApplicationNode, DeploymentConfigNode, DeploymentGroupNode
from bluegreen.engine.nodes.ecs import ServiceNode, TaskDefinitionNode
from bluegreen.engine.nodes.iam import RoleNode
from bluegreen.engine.nodes.network import IngressNode, ListenerNode, LoadBalancerNode, TargetGroupNode
from bluegreen.engine.nodes.pipeline import EventRuleNode, PipelineNode
from bluegreen.engine.nodes.storage import BucketNode
from bluegreen.model.config import Config
from renderers import requests

ACCOUNT = "123456789012"
VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"]
SG_ALB, SG_TASK = "sg-0alb0000000000001", "sg-0task000000000002"
ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
LB = f"{ELB}:loadbalancer/app/drift-alb/50dc6c495c0c9188"
TG_BLUE = f"{ELB}:targetgroup/drift-blue/73e2d6bc24d8a067"
TG_GREEN = f"{ELB}:targetgroup/drift-green/2453ed029918f21f"
L_PROD = f"{ELB}:listener/app/drift-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
L_TEST = f"{ELB}:listener/app/drift-alb/50dc6c495c0c9188/0467ef3c8400ae65"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shared-app@sha256:" + "a" * 64


def context(config: Config) -> Context:
    # No call leaves the process: an endpoint nothing answers on, and Stubbers where a
    # comparison reads AWS itself.
    session = AwsSession(Target(endpoint_url="http://127.0.0.1:9", region=REGION), max_attempts=1)
    ctx = Context(session, config)
    ctx.put(account_id=ACCOUNT, vpc_id=VPC, subnet_ids=list(SUBNETS), **{
        "sg.alb": SG_ALB, "sg.task": SG_TASK, "lb.arn": LB, "tg.blue": TG_BLUE, "tg.green": TG_GREEN,
        "listener.production": L_PROD, "listener.test": L_TEST, "image.uri": IMAGE})
    return ctx


def aws(ctx: Context, service: str, operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """`answer`, after checking it is a valid answer of `operation` (botocore's output shape)."""
    shape = ctx.client(service).meta.service_model.operation_model(operation).output_shape
    report = ParamValidator().validate(answer, shape)
    assert not report.has_errors(), report.generate_report()
    return answer


@contextmanager
def stubbed(ctx: Context, service: str, *answers: tuple[str, dict[str, Any]]) -> Iterator[None]:
    with Stubber(ctx.client(service)) as stub:
        for operation, answer in answers:
            stub.add_response(operation, answer)
        yield
        stub.assert_no_pending_responses()


@pytest.fixture
def config() -> Config:
    return stack_config("drift")


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# -- CodeDeploy ----------------------------------------------------------------------------


def aws_group(ctx: Context) -> dict[str, Any]:
    """GetDeploymentGroup's deploymentGroupInfo for the group bluegreen creates (CodeDeploy API
    Reference: GetDeploymentGroup, DeploymentGroupInfo, AlarmConfiguration, DeploymentReadyOption)."""
    cfg = ctx.config
    cd, lb = cfg.code_deploy, cfg.load_balancer
    ready: dict[str, Any] = {"actionOnTimeout": cd.ready_action, "waitTimeInMinutes": cd.ready_wait_minutes}
    info = {
        "applicationName": cd.application,
        "deploymentGroupId": "e1f9b4a2-3c5d-4e6f-8a7b-9c0d1e2f3a4b",
        "deploymentGroupName": cd.deployment_group,
        "deploymentConfigName": cfg.deployment_config_name,
        "ec2TagFilters": [], "onPremisesInstanceTagFilters": [], "autoScalingGroups": [],
        "serviceRoleArn": role_arn(cd.service_role_name),
        "triggerConfigurations": [],
        "alarmConfiguration": {"enabled": bool(cd.alarms), "ignorePollAlarmFailure": False,
                               "alarms": [{"name": a} for a in reversed(cd.alarms)]},
        "autoRollbackConfiguration": {"enabled": bool(cd.auto_rollback_events),
                                      "events": list(reversed(cd.auto_rollback_events))},
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "outdatedInstancesStrategy": "UPDATE",
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE", "terminationWaitTimeInMinutes": cd.termination_wait_minutes},
            "deploymentReadyOption": ready,
        },
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            # after a deployment CodeDeploy may list the pair the other way round
            "targetGroups": [{"name": lb.green_target_group}, {"name": lb.blue_target_group}],
            "prodTrafficRoute": {"listenerArns": [L_PROD]},
            "testTrafficRoute": {"listenerArns": [L_TEST]},
        }]},
        "ec2TagSet": {"ec2TagSetList": []},
        "onPremisesTagSet": {"onPremisesTagSetList": []},
        "computePlatform": "ECS",
        "ecsServices": [{"serviceName": cfg.ecs.service, "clusterName": cfg.ecs.cluster}],
        "terminationHookEnabled": False,
    }
    return aws(ctx, "codedeploy", "GetDeploymentGroup", {"deploymentGroupInfo": info})["deploymentGroupInfo"]


GROUP_CONFIGS = {
    "seed": {},
    "alarms and a manual reroute": {"codeDeploy": {
        "alarms": ["drift-5xx", "drift-latency"], "readyAction": "STOP_DEPLOYMENT", "readyWaitMinutes": 30,
        "autoRollbackEvents": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}},
    "no rollback, custom shift": {"codeDeploy": {
        "autoRollbackEvents": [], "deploymentConfig": {"type": "linear", "percent": 10, "intervalMinutes": 1}}},
}


@pytest.mark.parametrize("sections", GROUP_CONFIGS.values(), ids=GROUP_CONFIGS.keys())
def test_deployment_group_as_aws_answers_is_in_sync(sections: dict[str, Any]) -> None:
    ctx = context(stack_config("drift", **sections))
    node = DeploymentGroupNode(False)
    assert node.compare(ctx, aws_group(ctx)) == []


def test_deployment_group_without_rollback_events_answered_with_events_is_in_sync() -> None:
    ctx = context(stack_config("drift", codeDeploy={"autoRollbackEvents": []}))
    group = aws_group(ctx)
    group["autoRollbackConfiguration"] = {"enabled": False, "events": ["DEPLOYMENT_FAILURE"]}
    assert DeploymentGroupNode(False).compare(ctx, group) == []


@pytest.mark.parametrize(("change", "key"), [
    (lambda g: g["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"].update(
        terminationWaitTimeInMinutes=60), "blueGreenDeploymentConfiguration"),
    (lambda g: g["alarmConfiguration"].update(enabled=True, alarms=[{"name": "other"}]), "alarms"),
    (lambda g: g["loadBalancerInfo"]["targetGroupPairInfoList"][0]["testTrafficRoute"].update(
        listenerArns=[L_PROD]), "loadBalancerInfo"),
    (lambda g: g.update(deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes"),
     "deploymentConfigName"),
])
def test_deployment_group_one_change_is_an_update(config: Config, change: Any, key: str) -> None:
    ctx = context(config)
    group = aws_group(ctx)
    change(group)
    assert DeploymentGroupNode(False).compare(ctx, group) == [f"{key} differ from the config"]


def test_deployment_group_update_turns_dropped_alarms_off(config: Config) -> None:
    """UpdateDeploymentGroup without alarmConfiguration keeps the group's alarms."""
    ctx = context(config)
    expected = requests.create_deployment_group(config, ctx.refs())
    expected.pop("tags")
    expected["currentDeploymentGroupName"] = expected.pop("deploymentGroupName")
    expected["alarmConfiguration"] = {"enabled": False, "alarms": []}
    with Stubber(ctx.client("codedeploy")) as stub:
        stub.add_response("update_deployment_group", {"hooksNotCleanedUp": []}, expected)
        DeploymentGroupNode(False).update_resource(ctx, config.code_deploy.deployment_group)
        stub.assert_no_pending_responses()


def test_deployment_config_and_application_as_aws_answers(config: Config) -> None:
    ctx = context(stack_config("drift", codeDeploy={
        "deploymentConfig": {"type": "canary", "percent": 20, "intervalMinutes": 5}}))
    wanted = requests.create_deployment_config(ctx.config)
    assert wanted is not None
    info = aws(ctx, "codedeploy", "GetDeploymentConfig", {"deploymentConfigInfo": {
        "deploymentConfigId": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "deploymentConfigName": wanted["deploymentConfigName"], "createTime": 1.7e9,
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedCanary",
                                 "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 5}},
    }})["deploymentConfigInfo"]
    node = DeploymentConfigNode()
    assert node.immutable(ctx, info) is None
    info["trafficRoutingConfig"]["timeBasedCanary"]["canaryPercentage"] = 10
    refused = node.immutable(ctx, info)
    assert refused is not None and "configs are immutable" in refused.reason
    app = aws(ctx, "codedeploy", "GetApplication", {"application": {
        "applicationId": "5c6d7e8f-9a0b-1c2d-3e4f-5a6b7c8d9e0f", "applicationName": config.code_deploy.application,
        "createTime": 1.7e9, "linkedToGitHub": False, "computePlatform": "ECS"}})["application"]
    assert ApplicationNode().immutable(ctx, app) is None


# -- load balancer ---------------------------------------------------------------------------


def aws_target_group(ctx: Context, name: str, arn: str) -> dict[str, Any]:
    """DescribeTargetGroups for an HTTP/ip group created with only a path and a matcher (ELBv2
    API Reference: CreateTargetGroup defaults, TargetGroup)."""
    cfg = ctx.config
    group = {
        "TargetGroupArn": arn, "TargetGroupName": name, "Protocol": "HTTP", "Port": cfg.task.container_port,
        "VpcId": VPC, "HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True, "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2,
        "HealthCheckPath": cfg.load_balancer.health_check_path,
        "Matcher": {"HttpCode": cfg.load_balancer.health_check_matcher},
        "LoadBalancerArns": [LB], "TargetType": "ip", "ProtocolVersion": "HTTP1", "IpAddressType": "ipv4",
    }
    return aws(ctx, "elbv2", "DescribeTargetGroups", {"TargetGroups": [group]})["TargetGroups"][0]  # type: ignore[no-any-return]


def test_target_groups_as_aws_answers(config: Config) -> None:
    ctx = context(config)
    for color, arn in (("blue", TG_BLUE), ("green", TG_GREEN)):
        node = TargetGroupNode(color)
        found = aws_target_group(ctx, node.name(config), arn)
        assert node.immutable(ctx, found) is None
        assert node.compare(ctx, found) == []
        found["Matcher"] = {"HttpCode": "200-299"}
        assert node.compare(ctx, found) == ["health check differs"]


def test_load_balancer_as_aws_answers(config: Config) -> None:
    ctx = context(config)
    lb = aws(ctx, "elbv2", "DescribeLoadBalancers", {"LoadBalancers": [{
        "LoadBalancerArn": LB, "DNSName": f"drift-alb-1234567890.{REGION}.elb.amazonaws.com",
        "CanonicalHostedZoneId": "Z3AADJGX6KTTL2", "CreatedTime": "2025-01-01T00:00:00Z",
        "LoadBalancerName": config.load_balancer.name, "Scheme": "internet-facing", "VpcId": VPC,
        "State": {"Code": "active"}, "Type": "application",
        # AWS lists the zones in its own order
        "AvailabilityZones": [{"ZoneName": f"{REGION}b", "SubnetId": SUBNETS[1], "LoadBalancerAddresses": []},
                              {"ZoneName": f"{REGION}a", "SubnetId": SUBNETS[0], "LoadBalancerAddresses": []}],
        "SecurityGroups": [SG_ALB], "IpAddressType": "ipv4",
    }]})["LoadBalancers"][0]
    node = LoadBalancerNode()
    assert node.immutable(ctx, lb) is None
    assert node.compare(ctx, lb) == []
    lb["AvailabilityZones"].append({"ZoneName": f"{REGION}c", "SubnetId": "subnet-0fff5555aaaa6666b"})
    assert node.compare(ctx, lb) == ["subnets differ"]


def aws_listener(ctx: Context, arn: str, port: int, action: dict[str, Any]) -> dict[str, Any]:
    listener = {"ListenerArn": arn, "LoadBalancerArn": LB, "Port": port, "Protocol": "HTTP",
                "DefaultActions": [action]}
    return aws(ctx, "elbv2", "DescribeListeners", {"Listeners": [listener]})["Listeners"][0]  # type: ignore[no-any-return]


def _forward(*weights: tuple[str, int], with_arn: bool) -> dict[str, Any]:
    action: dict[str, Any] = {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights],
        "TargetGroupStickinessConfig": {"Enabled": False}}}
    if with_arn:
        action["TargetGroupArn"] = weights[0][0]
    return action


LISTENER_SHAPES = {
    # created with TargetGroupArn: AWS answers both the ARN and the ForwardConfig it made of it
    "as created": _forward((TG_BLUE, 1), with_arn=True),
    # after CodeDeploy shifted traffic: green carries it, blue kept at weight 0
    "after a deployment": _forward((TG_GREEN, 1), (TG_BLUE, 0), with_arn=False),
    "green only": _forward((TG_GREEN, 1), with_arn=True),
}


@pytest.mark.parametrize("action", LISTENER_SHAPES.values(), ids=LISTENER_SHAPES.keys())
def test_listeners_as_aws_answers_are_in_sync(config: Config, action: dict[str, Any]) -> None:
    ctx = context(config)
    for kind, arn in (("production", L_PROD), ("test", L_TEST)):
        node = ListenerNode(kind)
        found = aws_listener(ctx, arn, node.port(config), action)
        assert node.immutable(ctx, found) is None
        assert node.compare(ctx, found) == []


def test_listener_forwarding_elsewhere_is_a_conflict(config: Config) -> None:
    ctx = context(config)
    other = f"{ELB}:targetgroup/someone-else/0123456789abcdef"
    found = aws_listener(ctx, L_PROD, 80, _forward((other, 1), with_arn=True))
    refused = ListenerNode("production").immutable(ctx, found)
    assert refused is not None and refused.action == "conflict"


def aws_group_rules(ctx: Context, group_id: str, permissions: list[dict[str, Any]]) -> dict[str, Any]:
    """DescribeSecurityGroups: AWS adds the account to group pairs and the default egress rule."""
    return aws(ctx, "ec2", "DescribeSecurityGroups", {"SecurityGroups": [{
        "GroupId": group_id, "GroupName": "x", "Description": "d", "VpcId": VPC, "OwnerId": ACCOUNT,
        "IpPermissions": permissions,
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                 "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
        "Tags": [{"Key": "bluegreen:stack", "Value": "drift"}],
    }]})


def test_ingress_rules_as_aws_answers(config: Config) -> None:
    ctx = context(config)
    port = config.task.container_port
    task_rules = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [], "Ipv6Ranges": [],
                   "PrefixListIds": [], "UserIdGroupPairs": [
                       {"GroupId": SG_ALB, "UserId": ACCOUNT, "Description": "from the load balancer"}]}]
    alb_rules = [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "Ipv6Ranges": [], "PrefixListIds": [],
                  "UserIdGroupPairs": [], "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": d}]}
                 for p, d in ((config.load_balancer.test_port, "test traffic"),
                              (config.load_balancer.production_port, "production traffic"))]
    with stubbed(ctx, "ec2", ("describe_security_groups", aws_group_rules(ctx, SG_TASK, task_rules)),
                 ("describe_security_groups", aws_group_rules(ctx, SG_ALB, alb_rules)),
                 ("describe_security_groups", aws_group_rules(ctx, SG_ALB, alb_rules[:1]))):
        assert IngressNode("task").inspect(ctx).action == "in_sync"
        assert IngressNode("alb").inspect(ctx).action == "in_sync"
        missing = IngressNode("alb").inspect(ctx)
        assert (missing.action, missing.reason) == ("update", "ingress rules are missing")


# -- ECS -----------------------------------------------------------------------------------


def aws_task_definition(ctx: Context) -> dict[str, Any]:
    """DescribeTaskDefinition of the registered revision: AWS adds the revision's metadata and
    container defaults (ECS API Reference: DescribeTaskDefinition, ContainerDefinition,
    LogConfiguration)."""
    wanted = requests.register_task_definition(ctx.config, ctx.refs(), IMAGE)
    wanted.pop("tags")
    container = wanted["containerDefinitions"][0]
    container.update(cpu=0, mountPoints=[], volumesFrom=[], systemControls=[],
                     environment=list(reversed(container.get("environment", []))))
    container["logConfiguration"]["secretOptions"] = []
    container.pop("essential")  # AWS's default for the one container
    wanted.update(
        taskDefinitionArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{wanted['family']}:3", revision=3,
        volumes=[], status="ACTIVE", placementConstraints=[], compatibilities=["EC2", "FARGATE"],
        requiresAttributes=[{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                            {"name": "ecs.capability.execution-role-awslogs"}],
        registeredAt="2025-01-01T00:00:00Z", registeredBy=f"arn:aws:iam::{ACCOUNT}:user/someone")
    return aws(ctx, "ecs", "DescribeTaskDefinition", {"taskDefinition": wanted})["taskDefinition"]  # type: ignore[no-any-return]


def test_task_definition_as_aws_answers() -> None:
    ctx = context(stack_config("drift", task={"environment": {"B": "2", "A": "1"}, "healthCheck": {
        "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]}}))
    found = aws_task_definition(ctx)
    node = TaskDefinitionNode()
    assert node.compare(ctx, found) == []
    found["memory"] = "1024"
    assert node.compare(ctx, found) == [
        "the config changed the task (a new revision reaches the service with the next deployment)"]


def test_service_as_aws_answers(config: Config) -> None:
    ctx = context(config)
    service = aws(ctx, "ecs", "DescribeServices", {"services": [{
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{config.ecs.cluster}/{config.ecs.service}",
        "serviceName": config.ecs.service, "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/drift",
        "loadBalancers": [{"targetGroupArn": TG_BLUE, "containerName": config.task.container_name,
                           "containerPort": config.task.container_port}],
        "status": "ACTIVE", "desiredCount": config.ecs.desired_count, "runningCount": 1, "pendingCount": 0,
        "launchType": "FARGATE", "platformVersion": "LATEST", "platformFamily": "Linux",
        "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/drift:1",
        "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
        "taskSets": [], "deployments": [], "events": [],
        "schedulingStrategy": "REPLICA", "deploymentController": {"type": "CODE_DEPLOY"},
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": SUBNETS, "securityGroups": [SG_TASK], "assignPublicIp": "ENABLED"}},
        "healthCheckGracePeriodSeconds": 60, "enableECSManagedTags": True, "propagateTags": "SERVICE",
        "enableExecuteCommand": False, "tags": [{"key": "bluegreen:stack", "value": "drift"}],
    }], "failures": []})["services"][0]
    node = ServiceNode()
    assert node.immutable(ctx, service) is None
    assert node.compare(ctx, service) == []
    service["desiredCount"] = 3
    assert node.compare(ctx, service) == [f"desired count 3 -> {config.ecs.desired_count}"]


# -- pipeline and its rules --------------------------------------------------------------------


def aws_pipeline(ctx: Context) -> dict[str, Any]:
    """GetPipeline: the declaration as stored, with each action's region and empty artifact
    lists filled in, and the version (CodePipeline API Reference: GetPipeline,
    ActionDeclaration)."""
    pipeline = json.loads(json.dumps(requests.create_pipeline(ctx.config, ctx.refs())["pipeline"]))
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            action["region"] = ctx.config.region
            action.setdefault("inputArtifacts", [])
            action.setdefault("outputArtifacts", [])
    pipeline["version"] = 2
    return aws(ctx, "codepipeline", "GetPipeline", {"pipeline": pipeline, "metadata": {
        "pipelineArn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline['name']}",
        "created": "2025-01-01T00:00:00Z", "updated": "2025-01-01T00:00:00Z"}})["pipeline"]


def test_pipeline_as_aws_answers(config: Config) -> None:
    ctx = context(config)
    found = aws_pipeline(ctx)
    node = PipelineNode()
    assert node.compare(ctx, found) == []
    found["stages"][0]["actions"][0]["configuration"]["BranchName"] = "develop"
    assert node.compare(ctx, found) == ["stages or settings differ from the config"]


def test_pipeline_action_in_another_region_differs(config: Config) -> None:
    ctx = context(config)
    found = aws_pipeline(ctx)
    found["stages"][1]["actions"][0]["region"] = "eu-west-1"
    assert PipelineNode().compare(ctx, found) == ["stages or settings differ from the config"]


@pytest.mark.parametrize("stem", ["image-push", "source-change"])
def test_event_rules_as_aws_answers(config: Config, stem: str) -> None:
    ctx = context(config)
    node = EventRuleNode(stem)
    rule, targets = node._wanted(ctx)
    # AWS keeps the pattern as a string of its own spacing and key order
    pattern = json.dumps(json.loads(rule["EventPattern"]), sort_keys=True, separators=(",", ":"))
    described = aws(ctx, "events", "DescribeRule", {
        "Name": rule["Name"], "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule['Name']}",
        "EventPattern": pattern, "State": "ENABLED", "Description": rule["Description"],
        "EventBusName": "default", "CreatedBy": ACCOUNT})
    listed = aws(ctx, "events", "ListTargetsByRule", {"Targets": targets["Targets"]})
    with stubbed(ctx, "events", ("list_targets_by_rule", listed), ("list_targets_by_rule", listed)):
        assert node.compare(ctx, described) == []
        assert node.compare(ctx, {**described, "State": "DISABLED"}) == [
            "pattern, state or target differ from the config"]


# -- IAM and S3 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["execution", "codedeploy", "pipeline", "events"])
def test_roles_as_aws_answers(config: Config, key: str) -> None:
    """GetRole / GetRolePolicy answer policy documents URL-encoded, in IAM's own spacing (IAM API
    Reference: GetRole, GetRolePolicy)."""
    ctx = context(config)
    node = RoleNode(key)
    spec = node.spec(ctx)
    role = aws(ctx, "iam", "GetRole", {"Role": {
        "Path": "/", "RoleName": spec.name, "RoleId": "AROA1234567890EXAMPLE", "Arn": role_arn(spec.name),
        "CreateDate": "2025-01-01T00:00:00Z", "MaxSessionDuration": 3600,
        "AssumeRolePolicyDocument": quote(json.dumps(spec.trust_policy, separators=(",", ":"))),
        "Description": spec.description, "Tags": [{"Key": "bluegreen:stack", "Value": "drift"}],
        "RoleLastUsed": {}}})["Role"]
    attached = {"AttachedPolicies": [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}
                                     for arn in reversed(spec.managed_policies)], "IsTruncated": False}
    answers: list[tuple[str, dict[str, Any]]] = [("list_attached_role_policies", attached)]
    if spec.inline_policy is not None:
        answers.append(("get_role_policy", {
            "RoleName": spec.name, "PolicyName": spec.inline_policy_name,
            "PolicyDocument": quote(json.dumps(spec.inline_policy, separators=(",", ":")))}))
    more = {"AttachedPolicies": [*attached["AttachedPolicies"], {
        "PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
        "IsTruncated": False}
    # botocore decodes the documents in the answer it is given: each call gets its own copy
    changed = [("list_attached_role_policies", more), *json.loads(json.dumps(answers[1:]))]
    with stubbed(ctx, "iam", *answers, *(tuple(a) for a in changed)):
        assert node.compare(ctx, role) == []
        assert node.compare(ctx, role) == ["managed policies differ from the config"]


def test_source_bucket_as_aws_answers() -> None:
    ctx = context(stack_config("drift", source={"type": "s3"}))
    node = BucketNode("source")
    blocked = {"PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                  "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}
    open_policy = {"PublicAccessBlockConfiguration": {**blocked["PublicAccessBlockConfiguration"],
                                                      "BlockPublicPolicy": False}}
    with stubbed(ctx, "s3", ("get_public_access_block", blocked),
                 ("get_bucket_versioning", {"Status": "Enabled", "MFADelete": "Disabled"}),
                 ("get_public_access_block", blocked),
                 ("get_bucket_versioning", {"Status": "Suspended", "MFADelete": "Disabled"}),
                 ("get_public_access_block", open_policy),
                 ("get_bucket_versioning", {"Status": "Enabled", "MFADelete": "Disabled"})):
        assert node.compare(ctx, ctx.config.source.bucket) == []
        assert node.compare(ctx, ctx.config.source.bucket) == ["versioning is off (an S3 source needs it)"]
        assert node.compare(ctx, ctx.config.source.bucket) == ["public access is not blocked"]
