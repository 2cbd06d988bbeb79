"""The whole provisioning sequence of docs/aws-facts.md §1-2 with plain boto3 against the sandbox,
then a real docker push that lands in ECR and emits the event the rule matches; plus the errors
AWS gives (and moto alone would not) for the mistakes the procedure invites."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
APP = "demo"


def trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def _public_subnets(ec2: Any, vpc: str) -> list[dict[str, Any]]:
    main = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    out = []
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        tables = (
            ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [s["SubnetId"]]}])[
                "RouteTables"
            ]
            or main
        )
        if any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0"
            and r.get("GatewayId", "").startswith("igw-")
            and r.get("State") == "active"
            for t in tables
            for r in t["Routes"]
        ):
            out.append(s)
    return out


@pytest.fixture(scope="module")
def stack(sandbox) -> dict[str, Any]:
    """Waves 0-7 of docs/aws-facts.md §1, in order."""
    c = sandbox.client
    iam, s3, ecr, cc, ec2 = c("iam"), c("s3"), c("ecr"), c("codecommit"), c("ec2")
    elbv2, ecs, logs, cd, cp, ev = (
        c("elbv2"),
        c("ecs"),
        c("logs"),
        c("codedeploy"),
        c("codepipeline"),
        c("events"),
    )
    out: dict[str, Any] = {}

    # Wave 0
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    public = _public_subnets(ec2, vpc)
    by_az: dict[str, str] = {}
    for s in public:
        by_az.setdefault(s["AvailabilityZone"], s["SubnetId"])
    subnets = list(by_az.values())[:2]
    assert len(subnets) == 2
    exec_role = iam.create_role(
        RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com")
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="ecsTaskExecutionRole",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )
    cd_role = iam.create_role(
        RoleName=f"{APP}-codedeploy", AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com")
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName=f"{APP}-codedeploy", PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
    )
    cp_role = iam.create_role(
        RoleName=f"{APP}-pipeline", AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"{APP}-pipeline",
        PolicyName="pipeline",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "s3:*",
                            "codecommit:GetBranch",
                            "ecr:DescribeImages",
                            "codedeploy:*",
                            "ecs:RegisterTaskDefinition",
                            "iam:PassRole",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    ev_role = iam.create_role(
        RoleName=f"{APP}-events", AssumeRolePolicyDocument=trust("events.amazonaws.com")
    )["Role"]["Arn"]
    pipeline_arn = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{APP}-pipeline"
    iam.put_role_policy(
        RoleName=f"{APP}-events",
        PolicyName="start",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "codepipeline:StartPipelineExecution",
                        "Resource": pipeline_arn,
                    }
                ],
            }
        ),
    )
    bucket = f"{APP}-artifacts-{ACCOUNT}"
    s3.create_bucket(Bucket=bucket)
    repo = ecr.create_repository(
        repositoryName=APP,
        imageTagMutability="MUTABLE",
        imageScanningConfiguration={"scanOnPush": False},
        encryptionConfiguration={"encryptionType": "AES256"},
    )["repository"]
    assert repo["repositoryUri"] == f"{sandbox.registry_host}/{APP}"
    cc.create_repository(repositoryName=f"{APP}-deploy")
    ecs.create_cluster(clusterName=APP, settings=[{"name": "containerInsights", "value": "enabled"}])
    logs.create_log_group(logGroupName=f"/ecs/{APP}")
    cd.create_application(applicationName=APP, computePlatform="ECS")

    # Wave 1
    alb_sg = ec2.create_security_group(GroupName=f"{APP}-alb", Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            for p in (80, 8080)
        ],
    )
    task_sg = ec2.create_security_group(GroupName=f"{APP}-task", Description="task", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=task_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}
        ],
    )
    tgs = {}
    for name in (f"{APP}-tg1", f"{APP}-tg2"):
        tgs[name] = elbv2.create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=80,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/",
            Matcher={"HttpCode": "200"},
        )["TargetGroups"][0]["TargetGroupArn"]
    taskdef = {
        "family": APP,
        "executionRoleArn": exec_role,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "<IMAGE1_NAME>",
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
    }
    appspec = (
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
        "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n"
        '          ContainerName: "web"\n          ContainerPort: 80\n'
    )
    commit = cc.create_commit(
        repositoryName=f"{APP}-deploy",
        branchName="main",
        authorName="bluegreen",
        email="bluegreen@example.com",
        commitMessage="taskdef and appspec",
        putFiles=[
            {"filePath": "taskdef.json", "fileContent": json.dumps(taskdef, indent=2).encode()},
            {"filePath": "appspec.yaml", "fileContent": appspec.encode()},
        ],
    )

    # Wave 2
    lb = elbv2.create_load_balancer(
        Name=f"{APP}-alb",
        Subnets=subnets,
        SecurityGroups=[alb_sg],
        Scheme="internet-facing",
        Type="application",
        IpAddressType="ipv4",
    )["LoadBalancers"][0]
    elbv2.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    # Wave 3
    tg1 = tgs[f"{APP}-tg1"]
    prod = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg1}],
    )["Listeners"][0]["ListenerArn"]
    test = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg1}],
    )["Listeners"][0]["ListenerArn"]
    image_uri = f"{repo['repositoryUri']}:latest"
    registered = ecs.register_task_definition(
        family=APP,
        executionRoleArn=exec_role,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        containerDefinitions=[
            {
                "name": "web",
                "image": image_uri,
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{APP}",
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "web",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    # Wave 4
    service = ecs.create_service(
        cluster=APP,
        serviceName=APP,
        taskDefinition=registered,
        desiredCount=1,
        launchType="FARGATE",
        platformVersion="LATEST",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": tg1, "containerName": "web", "containerPort": 80}],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": [task_sg],
                "assignPublicIp": "ENABLED",
            }
        },
        healthCheckGracePeriodSeconds=60,
    )["service"]
    # Wave 5
    cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=f"{APP}-dg",
        serviceRoleArn=cd_role,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": 5,
            },
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        loadBalancerInfo={
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": f"{APP}-tg1"}, {"name": f"{APP}-tg2"}],
                    "prodTrafficRoute": {"listenerArns": [prod]},
                    "testTrafficRoute": {"listenerArns": [test]},
                }
            ]
        },
        ecsServices=[{"serviceName": APP, "clusterName": APP}],
        autoRollbackConfiguration={
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"],
        },
    )
    # Wave 6
    pipeline = _pipeline(cp_role, bucket, ecr_repo=APP)
    cp.create_pipeline(pipeline=pipeline)
    # Wave 7
    ev.put_rule(
        Name=f"{APP}-ecr-push",
        State="ENABLED",
        EventPattern=json.dumps(
            {
                "source": ["aws.ecr"],
                "detail-type": ["ECR Image Action"],
                "detail": {
                    "action-type": ["PUSH"],
                    "result": ["SUCCESS"],
                    "repository-name": [APP],
                    "image-tag": ["latest"],
                },
            }
        ),
    )
    ev.put_targets(
        Rule=f"{APP}-ecr-push", Targets=[{"Id": "codepipeline", "Arn": pipeline_arn, "RoleArn": ev_role}]
    )
    ev.put_rule(
        Name=f"{APP}-codecommit",
        State="ENABLED",
        EventPattern=json.dumps(
            {
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{APP}-deploy"],
                "detail": {
                    "event": ["referenceCreated", "referenceUpdated"],
                    "referenceType": ["branch"],
                    "referenceName": ["main"],
                },
            }
        ),
    )
    ev.put_targets(
        Rule=f"{APP}-codecommit", Targets=[{"Id": "codepipeline", "Arn": pipeline_arn, "RoleArn": ev_role}]
    )
    out.update(
        vpc=vpc,
        subnets=subnets,
        alb_sg=alb_sg,
        task_sg=task_sg,
        tgs=tgs,
        lb=lb,
        prod=prod,
        test=test,
        exec_role=exec_role,
        cd_role=cd_role,
        cp_role=cp_role,
        bucket=bucket,
        repo=repo,
        commit=commit,
        service=service,
        taskdef=registered,
        pipeline_arn=pipeline_arn,
    )
    return out


def _pipeline(role: str, bucket: str, ecr_repo: str, name: str = f"{APP}-pipeline") -> dict[str, Any]:
    return {
        "name": name,
        "roleArn": role,
        "pipelineType": "V2",
        "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "TemplateSource",
                        "runOrder": 1,
                        "actionTypeId": {
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "CodeCommit",
                            "version": "1",
                        },
                        "configuration": {
                            "RepositoryName": f"{APP}-deploy",
                            "BranchName": "main",
                            "PollForSourceChanges": "false",
                        },
                        "outputArtifacts": [{"name": "SourceArtifact"}],
                    },
                    {
                        "name": "ImageSource",
                        "runOrder": 1,
                        "actionTypeId": {
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "ECR",
                            "version": "1",
                        },
                        "configuration": {"RepositoryName": ecr_repo, "ImageTag": "latest"},
                        "outputArtifacts": [{"name": "MyImage"}],
                    },
                ],
            },
            {
                "name": "Deploy",
                "actions": [
                    {
                        "name": "Deploy",
                        "runOrder": 1,
                        "actionTypeId": {
                            "category": "Deploy",
                            "owner": "AWS",
                            "provider": "CodeDeployToECS",
                            "version": "1",
                        },
                        "configuration": {
                            "ApplicationName": APP,
                            "DeploymentGroupName": f"{APP}-dg",
                            "TaskDefinitionTemplateArtifact": "SourceArtifact",
                            "TaskDefinitionTemplatePath": "taskdef.json",
                            "AppSpecTemplateArtifact": "SourceArtifact",
                            "AppSpecTemplatePath": "appspec.yaml",
                            "Image1ArtifactName": "MyImage",
                            "Image1ContainerName": "IMAGE1_NAME",
                        },
                        "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "MyImage"}],
                    }
                ],
            },
        ],
    }


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
            pipeline=_pipeline(arn, stack["bucket"], APP, name=f"p-{role}")
        )
    assert info.value.response["Error"]["Code"] == "InvalidStructureException"
    assert (
        info.value.response["Error"]["Message"]
        == f"CodePipeline is not authorized to perform AssumeRole on role {arn}"
    )


def test_pipeline_with_an_ecr_source_for_a_missing_repository_is_rejected(sandbox, stack) -> None:
    with pytest.raises(ClientError) as info:
        sandbox.client("codepipeline").create_pipeline(
            pipeline=_pipeline(stack["cp_role"], stack["bucket"], ecr_repo="no-such-repo", name="p-norepo")
        )
    assert info.value.response["Error"]["Code"] == "InvalidActionDeclarationException"
    assert "no-such-repo" in info.value.response["Error"]["Message"]
