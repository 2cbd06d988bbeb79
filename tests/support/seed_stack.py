"""A blue/green stack built with plain boto3, call by call, the way the seed procedure and
docs/aws-facts.md §1 build it by hand: the stack users arrive with. The doctor's tests break
one thing in it with further boto3 calls and expect exactly that finding; `import` tests turn
it into a config.

`complete=True` (the default) gives every role what its service needs for this setup, so the
doctor finds nothing; `complete=False` keeps the seed's own pipeline policy, which lacks the
CodeCommit permissions the source action needs (a real mistake of the procedure).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
CODEDEPLOY_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"

# The seed's pipeline policy: enough for ECR, S3 and CodeDeploy, not for the CodeCommit source.
SEED_PIPELINE_ACTIONS = ["s3:*", "codecommit:GetBranch", "ecr:DescribeImages", "codedeploy:*",
                         "ecs:RegisterTaskDefinition", "iam:PassRole"]
# What the CodeCommit source action needs besides (CodeCommit source action reference).
CODECOMMIT_SOURCE_ACTIONS = ["codecommit:GetCommit", "codecommit:GetRepository", "codecommit:UploadArchive",
                             "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive"]


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def allow(actions: list[str] | str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource}]})


@dataclass
class SeedStack:
    """Names and ids of what was built, for tests to break or compare."""

    app: str
    region: str
    vpc: str
    subnets: list[str]
    alb_sg: str
    task_sg: str
    tgs: dict[str, str]  # name -> ARN (blue first)
    lb: dict[str, Any]
    prod: str  # listener ARNs
    test: str
    exec_role: str
    cd_role: str
    cp_role: str
    events_role: str
    bucket: str
    repo: dict[str, Any]
    commit: dict[str, Any]
    service: dict[str, Any]
    taskdef: str
    pipeline_arn: str
    taskdef_json: dict[str, Any] = field(default_factory=dict)
    appspec_yaml: str = ""

    @property
    def pipeline(self) -> str:
        return f"{self.app}-pipeline"

    @property
    def deployment_group(self) -> str:
        return f"{self.app}-dg"

    @property
    def source_repo(self) -> str:
        return f"{self.app}-deploy"

    @property
    def rules(self) -> tuple[str, str]:
        return f"{self.app}-ecr-push", f"{self.app}-codecommit"


def public_subnets(ec2: Any, vpc: str) -> list[dict[str, Any]]:
    """Subnets whose route table (their own, else the main one) routes 0.0.0.0/0 to an internet gateway."""
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    out = []
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])["RouteTables"] or main
        if any(r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId", "").startswith("igw-")
               and r.get("State") == "active" for t in tables for r in t["Routes"]):
            out.append(subnet)
    return out


def taskdef_template(app: str, exec_role: str, region: str = "us-east-1") -> dict[str, Any]:
    """The seed registers taskdef.json itself, then puts the placeholder in the image field
    (steps 2.2-2.3): the template says what the first revision says."""
    return {
        "family": app, "executionRoleArn": exec_role, "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>", "essential": True,
                                  "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                                  "logConfiguration": {"logDriver": "awslogs", "options": {
                                      "awslogs-group": f"/ecs/{app}", "awslogs-region": region,
                                      "awslogs-stream-prefix": "web"}}}],
    }


APPSPEC = ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
           "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n"
           '          ContainerName: "web"\n          ContainerPort: 80\n')


def build_seed_stack(client: Callable[[str], Any], app: str = "demo", region: str = "us-east-1",
                     complete: bool = True) -> SeedStack:
    """Waves 0-7 of docs/aws-facts.md §1, in order, with plain boto3 (`client(service)`)."""
    iam, s3, ecr, cc, ec2 = client("iam"), client("s3"), client("ecr"), client("codecommit"), client("ec2")
    elbv2, ecs, logs, cd, cp, ev = (client("elbv2"), client("ecs"), client("logs"), client("codedeploy"),
                                    client("codepipeline"), client("events"))
    pipeline_arn = f"arn:aws:codepipeline:{region}:{ACCOUNT}:{app}-pipeline"

    # Wave 0: roles, bucket, repositories, cluster, log group, application
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    by_az: dict[str, str] = {}
    for subnet in public_subnets(ec2, vpc):
        by_az.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    subnets = list(by_az.values())[:2]
    assert len(subnets) == 2, by_az
    exec_name = "ecsTaskExecutionRole" if app == "demo" else f"{app}-execution"
    exec_role = _role(iam, exec_name, "ecs-tasks.amazonaws.com")
    iam.attach_role_policy(RoleName=exec_name, PolicyArn=EXECUTION_POLICY)
    cd_role = _role(iam, f"{app}-codedeploy", "codedeploy.amazonaws.com")
    iam.attach_role_policy(RoleName=f"{app}-codedeploy", PolicyArn=CODEDEPLOY_POLICY)
    cp_role = _role(iam, f"{app}-pipeline", "codepipeline.amazonaws.com")
    actions = SEED_PIPELINE_ACTIONS + (CODECOMMIT_SOURCE_ACTIONS if complete else [])
    iam.put_role_policy(RoleName=f"{app}-pipeline", PolicyName="pipeline", PolicyDocument=allow(actions))
    events_role = _role(iam, f"{app}-events", "events.amazonaws.com")
    iam.put_role_policy(RoleName=f"{app}-events", PolicyName="start",
                        PolicyDocument=allow("codepipeline:StartPipelineExecution", pipeline_arn))
    bucket = f"{app}-artifacts-{ACCOUNT}"
    s3.create_bucket(Bucket=bucket) if region == "us-east-1" else s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    repo = ecr.create_repository(repositoryName=app, imageTagMutability="MUTABLE")["repository"]
    cc.create_repository(repositoryName=f"{app}-deploy")
    ecs.create_cluster(clusterName=app)
    logs.create_log_group(logGroupName=f"/ecs/{app}")
    cd.create_application(applicationName=app, computePlatform="ECS")

    # Wave 1: security groups, target groups, the source files
    alb_sg = ec2.create_security_group(GroupName=f"{app}-alb", Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 8080)])
    task_sg = ec2.create_security_group(GroupName=f"{app}-task", Description="task", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=task_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    tgs = {name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                           HealthCheckPath="/", Matcher={"HttpCode": "200"},
                                           )["TargetGroups"][0]["TargetGroupArn"]
           for name in (f"{app}-tg1", f"{app}-tg2")}
    taskdef = taskdef_template(app, exec_role, region)
    commit = cc.create_commit(repositoryName=f"{app}-deploy", branchName="main", authorName="seed",
                              email="seed@example.com", commitMessage="taskdef and appspec", putFiles=[
                                  {"filePath": "taskdef.json", "fileContent": json.dumps(taskdef, indent=2).encode()},
                                  {"filePath": "appspec.yaml", "fileContent": APPSPEC.encode()}])

    # Waves 2-3: load balancer, listeners, the first task definition
    lb = elbv2.create_load_balancer(Name=f"{app}-alb", Subnets=subnets, SecurityGroups=[alb_sg],
                                    Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    blue = tgs[f"{app}-tg1"]
    prod, test = (elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
                                        )["Listeners"][0]["ListenerArn"] for port in (80, 8080))
    registered = ecs.register_task_definition(
        family=app, executionRoleArn=exec_role, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512", containerDefinitions=[{
            "name": "web", "image": f"{repo['repositoryUri']}:latest", "essential": True,
            "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": f"/ecs/{app}", "awslogs-region": region, "awslogs-stream-prefix": "web"}}}],
    )["taskDefinition"]["taskDefinitionArn"]

    # Wave 4: the service under the CODE_DEPLOY controller
    service = ecs.create_service(
        cluster=app, serviceName=app, taskDefinition=registered, desiredCount=1, launchType="FARGATE",
        platformVersion="LATEST", deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [task_sg],
                                                      "assignPublicIp": "ENABLED"}},
        healthCheckGracePeriodSeconds=60)["service"]

    # Wave 5: the deployment group
    cd.create_deployment_group(
        applicationName=app, deploymentGroupName=f"{app}-dg", serviceRoleArn=cd_role,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}},
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": name} for name in tgs],
            "prodTrafficRoute": {"listenerArns": [prod]}, "testTrafficRoute": {"listenerArns": [test]}}]},
        ecsServices=[{"serviceName": app, "clusterName": app}],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]})

    # Waves 6-7: the pipeline and the rules that start it
    cp.create_pipeline(pipeline=seed_pipeline(app, cp_role, bucket))
    ev.put_rule(Name=f"{app}-ecr-push", State="ENABLED", EventPattern=json.dumps(ecr_pattern(app, "latest")))
    ev.put_targets(Rule=f"{app}-ecr-push", Targets=[{"Id": "codepipeline", "Arn": pipeline_arn,
                                                     "RoleArn": events_role}])
    ev.put_rule(Name=f"{app}-codecommit", State="ENABLED",
                EventPattern=json.dumps(codecommit_pattern(f"arn:aws:codecommit:{region}:{ACCOUNT}:{app}-deploy")))
    ev.put_targets(Rule=f"{app}-codecommit", Targets=[{"Id": "codepipeline", "Arn": pipeline_arn,
                                                       "RoleArn": events_role}])
    return SeedStack(app=app, region=region, vpc=vpc, subnets=subnets, alb_sg=alb_sg, task_sg=task_sg, tgs=tgs,
                     lb=lb, prod=prod, test=test, exec_role=exec_role, cd_role=cd_role, cp_role=cp_role,
                     events_role=events_role, bucket=bucket, repo=repo, commit=commit, service=service,
                     taskdef=registered, pipeline_arn=pipeline_arn, taskdef_json=taskdef, appspec_yaml=APPSPEC)


def _role(iam: Any, name: str, service: str) -> str:
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))["Role"]["Arn"])


def ecr_pattern(repository: str, tag: str) -> dict[str, Any]:
    return {"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
            "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [repository],
                       "image-tag": [tag]}}


def codecommit_pattern(repository_arn: str, branch: str = "main") -> dict[str, Any]:
    return {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repository_arn],
            "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                       "referenceName": [branch]}}


def seed_pipeline(app: str, role: str, bucket: str, ecr_repo: str = "", name: str = "") -> dict[str, Any]:
    """The pipeline of the seed's step 8: CodeCommit + ECR sources, a CodeDeployToECS action."""
    source = {"name": "TemplateSource", "runOrder": 1,
              "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
              "configuration": {"RepositoryName": f"{app}-deploy", "BranchName": "main",
                                "PollForSourceChanges": "false"},
              "outputArtifacts": [{"name": "SourceArtifact"}]}
    image = {"name": "ImageSource", "runOrder": 1,
             "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
             "configuration": {"RepositoryName": ecr_repo or app, "ImageTag": "latest"},
             "outputArtifacts": [{"name": "MyImage"}]}
    deploy = {"name": "Deploy", "runOrder": 1,
              "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeployToECS", "version": "1"},
              "configuration": {"ApplicationName": app, "DeploymentGroupName": f"{app}-dg",
                                "TaskDefinitionTemplateArtifact": "SourceArtifact",
                                "TaskDefinitionTemplatePath": "taskdef.json",
                                "AppSpecTemplateArtifact": "SourceArtifact", "AppSpecTemplatePath": "appspec.yaml",
                                "Image1ArtifactName": "MyImage", "Image1ContainerName": "IMAGE1_NAME"},
              "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "MyImage"}]}
    return {"name": name or f"{app}-pipeline", "roleArn": role, "pipelineType": "V2", "executionMode": "QUEUED",
            "artifactStore": {"type": "S3", "location": bucket},
            "stages": [{"name": "Source", "actions": [source, image]}, {"name": "Deploy", "actions": [deploy]}]}
