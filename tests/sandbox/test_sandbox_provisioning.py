"""The whole provisioning sequence of docs/aws-facts.md §1-2 with plain boto3 against the sandbox,
then a real docker push that lands in ECR and emits the event the rule matches; plus the errors
AWS gives (and moto alone would not) for the mistakes the procedure invites."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.seed_stack import build_seed_stack, seed_pipeline, trust

ACCOUNT = "123456789012"
REGION = "us-east-1"
APP = "demo"


@pytest.fixture(scope="module")
def stack(sandbox) -> dict[str, Any]:
    """Waves 0-7 of docs/aws-facts.md §1, in order, with the seed's own pipeline policy."""
    return vars(build_seed_stack(sandbox.client, APP, REGION, complete=False))


def test_provisioning_sequence_is_readable_back(sandbox, stack) -> None:
    c = sandbox.client
    assert c("codepipeline").get_pipeline(name=f"{APP}-pipeline")["pipeline"]["roleArn"] == stack["cp_role"]
    group = c("codedeploy").get_deployment_group(applicationName=APP, deploymentGroupName=f"{APP}-dg")[
        "deploymentGroupInfo"
    ]
    assert group["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"
    svc = c("ecs").describe_services(cluster=APP, services=[APP])["services"][0]
    assert svc["deploymentController"]["type"] == "CODE_DEPLOY"
    listeners = c("elbv2").describe_listeners(LoadBalancerArn=stack["lb"]["LoadBalancerArn"])["Listeners"]
    assert sorted(listener["Port"] for listener in listeners) == [80, 8080]
    targets = c("events").list_targets_by_rule(Rule=f"{APP}-ecr-push")["Targets"]
    assert targets[0]["Arn"] == stack["pipeline_arn"]
    f = c("codecommit").get_file(repositoryName=f"{APP}-deploy", filePath="taskdef.json")
    assert json.loads(f["fileContent"])["containerDefinitions"][0]["image"] == "<IMAGE1_NAME>"


@pytest.mark.docker
def test_docker_push_lands_in_ecr_and_triggers_the_rule(
    sandbox, stack, docker_client, tiny_image_context, built_images
) -> None:
    ecr = sandbox.client("ecr")
    auth = ecr.get_authorization_token()["authorizationData"][0]
    assert auth["proxyEndpoint"] == f"http://{sandbox.registry_host}"
    user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS"
    uri = stack["repo"]["repositoryUri"]
    image, _ = docker_client.images.build(path=str(tiny_image_context), tag=f"{uri}:latest", rm=True)
    built_images.append(image.id)
    before = len(sandbox.event_log)
    lines = list(
        docker_client.images.push(
            uri, tag="latest", auth_config={"username": user, "password": password}, stream=True, decode=True
        )
    )
    errors = [line for line in lines if "error" in line]
    assert not errors, errors
    digest = next(line["aux"]["Digest"] for line in lines if "aux" in line)

    detail = ecr.describe_images(repositoryName=APP, imageIds=[{"imageTag": "latest"}])["imageDetails"][0]
    assert detail["imageDigest"] == digest
    assert detail["imageTags"] == ["latest"]
    assert 1_000_000 < detail["imageSizeInBytes"] < 5_000_000  # busybox, compressed
    assert detail["imagePushedAt"]
    assert {"imageDigest": digest, "imageTag": "latest"} in ecr.list_images(repositoryName=APP)["imageIds"]

    matched = [m for m in sandbox.event_log[before:] if m.rule_name == f"{APP}-ecr-push"]
    assert len(matched) == 1
    event = matched[0].event
    assert event["source"] == "aws.ecr" and event["detail-type"] == "ECR Image Action"
    assert event["detail"] == {
        **event["detail"],
        "action-type": "PUSH",
        "result": "SUCCESS",
        "repository-name": APP,
        "image-tag": "latest",
        "image-digest": digest,
    }
    assert matched[0].target_arn == stack["pipeline_arn"]
    assert sandbox.pipeline_starts[-1].pipeline_name == f"{APP}-pipeline"

    # and it pulls back
    docker_client.images.remove(image.id, force=True)
    built_images.remove(image.id)
    pulled = docker_client.images.pull(
        uri, tag="latest", auth_config={"username": user, "password": password}
    )
    built_images.append(pulled.id)
    assert pulled.id == image.id


@pytest.mark.docker
def test_push_with_a_wrong_token_is_denied(
    sandbox, stack, docker_client, tiny_image_context, built_images
) -> None:
    uri = stack["repo"]["repositoryUri"]
    image, _ = docker_client.images.build(path=str(tiny_image_context), tag=f"{uri}:denied", rm=True)
    built_images.append(image.id)
    lines = list(
        docker_client.images.push(
            uri, tag="denied", auth_config={"username": "AWS", "password": "wrong"}, stream=True, decode=True
        )
    )
    assert any(
        "denied" in line.get("error", "") or "unauthorized" in line.get("error", "").lower() for line in lines
    ), lines


# --- errors AWS gives where moto is silent ----------------------------------------------------


def test_code_deploy_service_on_a_target_group_without_listener_is_rejected(sandbox, stack) -> None:
    elbv2, ecs = sandbox.client("elbv2"), sandbox.client("ecs")
    lonely = elbv2.create_target_group(
        Name="lonely", Protocol="HTTP", Port=80, VpcId=stack["vpc"], TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    with pytest.raises(ClientError) as info:
        ecs.create_service(
            cluster=APP,
            serviceName="lonely",
            taskDefinition=stack["taskdef"],
            desiredCount=1,
            launchType="FARGATE",
            deploymentController={"type": "CODE_DEPLOY"},
            loadBalancers=[{"targetGroupArn": lonely, "containerName": "web", "containerPort": 80}],
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": stack["subnets"], "securityGroups": [stack["task_sg"]]}
            },
        )
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert info.value.response["Error"]["Message"] == (
        f"The target group with targetGroupArn {lonely} does not have an associated load balancer."
    )


@pytest.mark.parametrize("broken", ["target_group", "listener"])
def test_deployment_group_naming_missing_target_groups_or_listeners_is_rejected(
    sandbox, stack, broken: str
) -> None:
    tg2 = "no-such-tg" if broken == "target_group" else f"{APP}-tg2"
    prod = (
        stack["prod"].replace(stack["prod"].rsplit("/", 1)[1], "0123456789abcdef")
        if broken == "listener"
        else stack["prod"]
    )
    with pytest.raises(ClientError) as info:
        sandbox.client("codedeploy").create_deployment_group(
            applicationName=APP,
            deploymentGroupName=f"broken-{broken}",
            serviceRoleArn=stack["cd_role"],
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            loadBalancerInfo={
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": f"{APP}-tg1"}, {"name": tg2}],
                        "prodTrafficRoute": {"listenerArns": [prod]},
                    }
                ]
            },
            ecsServices=[{"serviceName": APP, "clusterName": APP}],
        )
    assert info.value.response["Error"]["Code"] == "InvalidTargetGroupPairException"
    assert (tg2 if broken == "target_group" else prod) in info.value.response["Error"]["Message"]


@pytest.mark.parametrize("role", ["missing", "wrong-trust"])
def test_pipeline_whose_role_codepipeline_cannot_assume_is_rejected(sandbox, stack, role: str) -> None:
    if role == "missing":
        arn = f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"
    else:
        arn = sandbox.client("iam").create_role(
            RoleName="trusts-ecs-only", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com")
        )["Role"]["Arn"]
    with pytest.raises(ClientError) as info:
        sandbox.client("codepipeline").create_pipeline(
            pipeline=seed_pipeline(APP, arn, stack["bucket"], name=f"p-{role}")
        )
    assert info.value.response["Error"]["Code"] == "InvalidStructureException"
    assert (
        info.value.response["Error"]["Message"]
        == f"CodePipeline is not authorized to perform AssumeRole on role {arn}"
    )


def test_pipeline_with_an_ecr_source_for_a_missing_repository_is_rejected(sandbox, stack) -> None:
    with pytest.raises(ClientError) as info:
        sandbox.client("codepipeline").create_pipeline(
            pipeline=seed_pipeline(APP, stack["cp_role"], stack["bucket"], ecr_repo="no-such-repo", name="p-norepo")
        )
    assert info.value.response["Error"]["Code"] == "InvalidActionDeclarationException"
    assert "no-such-repo" in info.value.response["Error"]["Message"]
