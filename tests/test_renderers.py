"""Every rendered artifact: the seed values, the pipeline placeholders, and each JSON file
validated against botocore's own input shape for the operation it is the request of."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import OperationModel
from botocore.validate import ParamValidator
from ruamel.yaml import YAML

from bluegreen.model.configfile import load, load_text
from renderers.artifacts import Artifact, render_all, unresolved
from renderers.refs import Refs

ROOT = Path(__file__).resolve().parents[1]
SEED = load(ROOT / "examples" / "seed.yaml")

VARIANTS = {
    "seed": SEED,
    "s3-custom-existing": load_text("""
name: shop
region: eu-west-1
network:
  vpc: vpc-0a1b2c3d
  subnets: [{id: subnet-0556b778, az: eu-west-1a}, {id: subnet-ed2f8486, az: eu-west-1b}]
  albSecurityGroups: [sg-c07de9b2]
  taskSecurityGroups: [sg-0aa11bb2]
  assignPublicIp: false
task:
  executionRoleArn: arn:aws:iam::944163165741:role/ecsTaskExecutionRole
  taskRoleArn: arn:aws:iam::944163165741:role/shop-task
  environment: {APP_MODE: prod}
  healthCheck: {command: [CMD-SHELL, "wget -q -O- http://localhost/ || exit 1"]}
codeDeploy:
  deploymentConfig: {type: linear, percent: 20, intervalMinutes: 2}
  readyAction: STOP_DEPLOYMENT
  readyWaitMinutes: 30
  alarms: [shop-5xx]
  autoRollbackEvents: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
  hooks: {AfterAllowTraffic: CodeDeployHook_last, BeforeInstall: CodeDeployHook_first}
source: {type: s3}
pipeline: {type: V1, executionMode: SUPERSEDED}
"""),
}


@cache
def operation(service: str, method: str) -> OperationModel:
    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[method])


def by_path(artifacts: list[Artifact]) -> dict[str, Artifact]:
    return {a.path: a for a in artifacts}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_json_artifact_is_a_valid_request_of_its_operation(variant: str) -> None:
    artifacts = render_all(VARIANTS[variant])
    requests = [a for a in artifacts if a.operation]
    assert len(requests) >= 15
    for artifact in requests:
        report = ParamValidator().validate(artifact.request, operation(artifact.service, artifact.operation).input_shape)
        assert not report.has_errors(), f"{artifact.path}: {report.generate_report()}"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_artifact_names_a_file_once_and_json_parses(variant: str) -> None:
    artifacts = render_all(VARIANTS[variant])
    paths = [a.path for a in artifacts]
    assert len(paths) == len(set(paths))
    for a in artifacts:
        if a.path.endswith(".json"):
            json.loads(a.text)


def test_taskdef_carries_the_seed_values_and_the_image_placeholder() -> None:
    taskdef = by_path(render_all(SEED))["taskdef.json"].request
    assert taskdef["family"] == "ecs-demo"
    assert taskdef["networkMode"] == "awsvpc"
    assert taskdef["requiresCompatibilities"] == ["FARGATE"]
    assert (taskdef["cpu"], taskdef["memory"]) == ("256", "512")
    (container,) = taskdef["containerDefinitions"]
    assert container["name"] == "sample-website"
    assert container["image"] == "<IMAGE1_NAME>"
    assert container["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert taskdef["executionRoleArn"] == "arn:aws:iam::<ACCOUNT_ID>:role/ecs-demo-execution"


def test_create_service_carries_the_seed_values() -> None:
    service = by_path(render_all(SEED))["create-service.json"].request
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert service["launchType"] == "FARGATE"
    assert service["schedulingStrategy"] == "REPLICA"
    assert service["desiredCount"] == 1
    assert service["taskDefinition"] == "ecs-demo"
    (lb,) = service["loadBalancers"]
    assert (lb["containerName"], lb["containerPort"]) == ("sample-website", 80)
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"


def test_appspec_keeps_the_task_definition_placeholder() -> None:
    text = by_path(render_all(SEED))["appspec.yaml"].text
    spec = YAML(typ="safe", pure=True).load(text)
    assert spec["version"] == 0.0
    props = spec["Resources"][0]["TargetService"]["Properties"]
    assert spec["Resources"][0]["TargetService"]["Type"] == "AWS::ECS::Service"
    assert props["TaskDefinition"] == "<TASK_DEFINITION>"
    assert props["LoadBalancerInfo"] == {"ContainerName": "sample-website", "ContainerPort": 80}
    assert "Hooks" not in spec


def test_appspec_hooks_follow_the_lifecycle_order() -> None:
    text = by_path(render_all(VARIANTS["s3-custom-existing"]))["appspec.yaml"].text
    hooks = YAML(typ="safe", pure=True).load(text)["Hooks"]
    assert hooks == [{"BeforeInstall": "CodeDeployHook_first"}, {"AfterAllowTraffic": "CodeDeployHook_last"}]


def test_pipeline_wires_sources_into_codedeploy_to_ecs() -> None:
    request = by_path(render_all(SEED))["pipeline.json"].request
    pipeline = request["pipeline"]
    assert [s["name"] for s in pipeline["stages"]] == ["Source", "Deploy"]
    source, image = pipeline["stages"][0]["actions"]
    assert source["actionTypeId"]["provider"] == "CodeCommit"
    assert source["configuration"]["PollForSourceChanges"] == "false"
    assert image["configuration"] == {"RepositoryName": "nginx", "ImageTag": "latest"}
    (deploy,) = pipeline["stages"][1]["actions"]
    config = deploy["configuration"]
    assert deploy["actionTypeId"]["provider"] == "CodeDeployToECS"
    assert config["Image1ContainerName"] == "IMAGE1_NAME"
    assert config["TaskDefinitionTemplatePath"] == "taskdef.json"
    assert config["AppSpecTemplatePath"] == "appspec.yaml"
    assert all(isinstance(v, str) for v in config.values())
    assert (pipeline["pipelineType"], pipeline["executionMode"]) == ("V2", "QUEUED")


def test_deployment_group_pairs_both_target_groups_and_listeners() -> None:
    refs = Refs.offline(SEED).with_values(
        production_listener_arn="arn:prod", test_listener_arn="arn:test")
    group = by_path(render_all(SEED, refs))["deployment-group.json"].request
    (pair,) = group["loadBalancerInfo"]["targetGroupPairInfoList"]
    assert pair["targetGroups"] == [{"name": "ecs-demo-blue"}, {"name": "ecs-demo-green"}]
    assert pair["prodTrafficRoute"] == {"listenerArns": ["arn:prod"]}
    assert pair["testTrafficRoute"] == {"listenerArns": ["arn:test"]}
    assert group["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {
        "actionOnTimeout": "CONTINUE_DEPLOYMENT"}


def test_event_rules_match_a_push_of_the_tag_and_a_change_of_the_branch() -> None:
    files = by_path(render_all(SEED))
    image = json.loads(files["events/image-push.rule.json"].request["EventPattern"])
    assert image["detail"]["repository-name"] == ["nginx"]
    assert image["detail"]["image-tag"] == ["latest"]
    source = json.loads(files["events/source-change.rule.json"].request["EventPattern"])
    assert source["detail"]["referenceName"] == ["main"]
    targets = files["events/image-push.targets.json"].request["Targets"]
    assert targets[0]["Arn"].endswith(":codepipeline:us-east-2:<ACCOUNT_ID>:ecs-demo")


def test_policies_are_scoped_to_the_stack_resources() -> None:
    files = by_path(render_all(SEED))
    policy = json.loads(files["iam/pipeline-policy.json"].request["PolicyDocument"])
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    wildcard = [s["Sid"] for s in policy["Statement"] if "*" in s["Resource"]]
    assert wildcard == ["RegisterTaskDefinition"]  # the one action IAM cannot scope
    assert "arn:aws:s3:::bluegreen-ecs-demo-us-east-2-artifacts/*" in resources
    assert "arn:aws:codecommit:us-east-2:<ACCOUNT_ID>:ecs-demo" in resources
    trust = json.loads(files["iam/events-role.json"].request["AssumeRolePolicyDocument"])
    assert trust["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_existing_resources_are_not_created_again() -> None:
    paths = set(by_path(render_all(VARIANTS["s3-custom-existing"])))
    assert "iam/execution-role.json" not in paths
    assert "network/alb-security-group.json" not in paths
    assert "deployment-config.json" in paths


# Creations with no tag: a deployment config takes none, the service-linked role is the
# account's, a commit is content. A bucket carries it in CreateBucket and again in the
# put_bucket_tagging that follows (for a caller without s3:TagResource).
UNTAGGED = {"create_deployment_config", "create_service_linked_role", "create_commit"}


def test_every_resource_carries_the_stack_tag() -> None:
    artifacts = render_all(SEED)
    for artifact in artifacts:
        if artifact.operation.startswith("create_") and artifact.operation not in UNTAGGED:
            assert "bluegreen:stack" in artifact.text, artifact.path
    tagged = {a.request["Bucket"] for a in artifacts if a.operation == "put_bucket_tagging"}
    assert tagged == {a.request["Bucket"] for a in artifacts if a.operation == "create_bucket"}


def test_offline_placeholders_are_listed_and_real_refs_remove_them() -> None:
    assert "ACCOUNT_ID" in unresolved(render_all(SEED))
    real = Refs(
        account_id="123456789012", vpc_id="vpc-0a1b2c3d", subnet_ids=("subnet-0556b778", "subnet-ed2f8486"),
        alb_security_group_ids=("sg-c07de9b2",), task_security_group_ids=("sg-0aa11bb2",),
        load_balancer_arn="arn:lb", blue_target_group_arn="arn:blue", green_target_group_arn="arn:green",
        production_listener_arn="arn:prod", test_listener_arn="arn:test", image_uri="uri")
    assert unresolved(render_all(SEED, real)) == []


def test_templates_refuse_missing_values() -> None:
    from jinja2 import UndefinedError

    from renderers.jinja import render_template

    with pytest.raises(UndefinedError):
        render_template("appspec.yaml.j2", stack="x")
