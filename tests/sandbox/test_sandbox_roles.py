"""The sandbox acting as CodePipeline and EventBridge checks the role the service would assume,
and fails as AWS fails: hand-written stacks built with plain boto3 against a real sandbox, whose
pipeline, events and execution roles fall short in one way each; a least-privilege role that is
enough is never denied, nor is one whose policy the sandbox cannot evaluate."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError
from support.ecr import put_tiny_image

from bluegreen.sandbox.roles import CODEDEPLOY, CODEPIPELINE

T = TypeVar("T")
ACCOUNT = "123456789012"
REGION = "us-east-1"
CONFIG = "CodeDeployDefault.ECSAllAtOnce"
APPSPEC = (
    "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
    "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n"
    "          ContainerPort: 80\n"
)
ACCESS_CODEDEPLOY = "The provided role does not have sufficient permissions to access CodeDeploy"


def wait_for(what: Callable[[], T], timeout: float = 20.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = what()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message} (last: {last!r})")


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def allow(actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Stack:
    """A pipeline's resources, made with plain boto3 calls, and the roles CodePipeline and
    EventBridge act with."""

    sandbox: Any
    suffix: str
    bucket: str = ""
    repo: str = ""
    images: str = ""
    app: str = ""
    group: str = ""
    pipelines: list[str] = field(default_factory=list)

    def client(self, name: str) -> Any:
        return self.sandbox.client(name)

    @property
    def execution_role(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/exec-{self.suffix}"

    def least_privilege(self) -> list[dict[str, Any]]:
        """What CodePipeline needs for this stack, each action on its own resource type."""
        bucket = f"arn:aws:s3:::{self.bucket}"
        codedeploy = f"arn:aws:codedeploy:{REGION}:{ACCOUNT}"
        return [
            allow(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"], [f"{bucket}/*"]),
            allow(["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"], [bucket]),
            allow(["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive",
                   "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive"],
                  [f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{self.repo}"]),
            allow(["ecr:DescribeImages"], [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{self.images}"]),
            allow(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                  [f"{codedeploy}:deploymentgroup:{self.app}/{self.group}"]),
            allow(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                   "codedeploy:RegisterApplicationRevision"], [f"{codedeploy}:application:{self.app}"]),
            allow(["codedeploy:GetDeploymentConfig"], [f"{codedeploy}:deploymentconfig:{CONFIG}"]),
            allow(["ecs:RegisterTaskDefinition"], ["*"]),
            allow(["iam:PassRole"], [self.execution_role],
                  Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        ]

    def role(self, name: str, service: str, *statements: dict[str, Any]) -> str:
        iam = self.client("iam")
        arn = str(iam.create_role(RoleName=f"{name}-{self.suffix}", AssumeRolePolicyDocument=trust(service))["Role"]["Arn"])
        if statements:
            iam.put_role_policy(RoleName=f"{name}-{self.suffix}", PolicyName="policy", PolicyDocument=document(*statements))
        return arn

    def pipeline_role(self, drop: tuple[str, ...] = (), *extra: dict[str, Any]) -> str:
        statements = []
        for statement in self.least_privilege():
            actions = [a for a in statement["Action"] if a not in drop]
            if actions:
                statements.append({**statement, "Action": actions})
        return self.role(f"pipe{len(self.pipelines)}", "codepipeline.amazonaws.com", *statements, *extra)

    def push_image(self, nonce: str) -> None:
        manifest = {
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                       "digest": "sha256:" + hashlib.sha256(nonce.encode()).hexdigest()},
            "layers": [],
        }
        self.client("ecr").put_image(repositoryName=self.images, imageManifest=json.dumps(manifest), imageTag="latest")

    def create_pipeline(self, role: str) -> str:
        name = f"pipe-{self.suffix}-{len(self.pipelines)}"
        self.pipelines.append(name)
        source = {"category": "Source", "owner": "AWS", "version": "1"}
        self.client("codepipeline").create_pipeline(pipeline={
            "name": name, "roleArn": role, "pipelineType": "V2", "executionMode": "PARALLEL",
            "artifactStore": {"type": "S3", "location": self.bucket},
            "stages": [
                {"name": "Source", "actions": [
                    {"name": "TemplateSource", "actionTypeId": {**source, "provider": "CodeCommit"},
                     "configuration": {"RepositoryName": self.repo, "BranchName": "main",
                                       "PollForSourceChanges": "false"},
                     "outputArtifacts": [{"name": "SourceArtifact"}]},
                    {"name": "ImageSource", "actionTypeId": {**source, "provider": "ECR"},
                     "configuration": {"RepositoryName": self.images, "ImageTag": "latest"},
                     "outputArtifacts": [{"name": "ImageArtifact"}]},
                ]},
                {"name": "Deploy", "actions": [
                    {"name": "Deploy",
                     "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeployToECS",
                                      "version": "1"},
                     "configuration": {
                         "ApplicationName": self.app, "DeploymentGroupName": self.group,
                         "TaskDefinitionTemplateArtifact": "SourceArtifact", "AppSpecTemplateArtifact": "SourceArtifact",
                         "Image1ArtifactName": "ImageArtifact", "Image1ContainerName": "IMAGE1_NAME"},
                     "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "ImageArtifact"}]},
                ]},
            ],
        })
        return name


@pytest.fixture(scope="module")
def roles(sandbox) -> Any:
    return sandbox.services["roles"]


@pytest.fixture
def stack(sandbox) -> Iterator[Stack]:
    s = Stack(sandbox, uuid.uuid4().hex[:8])
    s.bucket, s.repo, s.images = f"artifacts-{s.suffix}", f"src-{s.suffix}", f"img-{s.suffix}"
    s.app, s.group = f"app-{s.suffix}", f"dg-{s.suffix}"
    s.client("s3").create_bucket(Bucket=s.bucket)
    taskdef = {
        "family": f"web-{s.suffix}", "executionRoleArn": s.execution_role, "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>", "essential": True,
                                  "portMappings": [{"containerPort": 80}]}],
    }
    cc = s.client("codecommit")
    cc.create_repository(repositoryName=s.repo)
    cc.create_commit(repositoryName=s.repo, branchName="main", commitMessage="first", putFiles=[
        {"filePath": "taskdef.json", "fileContent": json.dumps(taskdef).encode()},
        {"filePath": "appspec.yaml", "fileContent": APPSPEC.encode()},
    ])
    put_tiny_image(types.SimpleNamespace(client=s.client), s.images)
    cd = s.client("codedeploy")
    cd.create_application(applicationName=s.app, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=s.app, deploymentGroupName=s.group, deploymentConfigName=CONFIG,
        serviceRoleArn=s.role("cd", "codedeploy.amazonaws.com"),
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": f"svc-{s.suffix}", "clusterName": "cluster"}],
    )
    yield s
    for name in s.pipelines:
        s.client("codepipeline").delete_pipeline(name=name)


# --- reading what happened ----------------------------------------------------------------------


def runs(cp: Any, name: str, execution_id: str | None = None) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"filter": {"pipelineExecutionId": execution_id}} if execution_id else {}
    return list(cp.list_action_executions(pipelineName=name, **kwargs)["actionExecutionDetails"])


def ended(cp: Any, name: str, action: str, execution_id: str | None = None) -> dict[str, Any] | None:
    """The action's run once it has succeeded or failed."""
    done = [r for r in runs(cp, name, execution_id) if r["actionName"] == action and r["status"] != "InProgress"]
    return done[0] if done else None


def error_of(cp: Any, name: str, action: str, execution_id: str | None = None) -> dict[str, Any]:
    run = wait_for(lambda: ended(cp, name, action, execution_id), message=f"{action} to end")
    assert run["status"] == "Failed", run
    return dict(run["output"]["executionResult"]["errorDetails"])


def deployment_created(cp: Any, name: str) -> dict[str, Any] | None:
    """The deploy action once it has called CreateDeployment, the last thing CodePipeline's role
    is checked for: the deployment was created (its id is the external execution id), or the
    action failed for a reason other than a permission (what CodeDeploy does next is not the
    pipeline role's business)."""
    deploy = [r for r in runs(cp, name) if r["actionName"] == "Deploy"]
    result = deploy[0]["output"].get("executionResult", {}) if deploy else {}
    if result.get("externalExecutionId"):
        return deploy[0]
    if deploy and deploy[0]["status"] == "Failed" and result.get("errorDetails", {}).get("code") != "PermissionError":
        return deploy[0]
    return None


def denied(roles: Any, role_arn: str) -> list[tuple[Any, Any]]:
    return [(short, error) for short, error in roles.denials if short.role_arn == role_arn]


def not_authorized(role_arn: str, action: str, resource: str) -> str:
    """IAM's wording, the session name (a millisecond timestamp for CodePipeline) left open."""
    name = role_arn.rsplit("/", 1)[-1]
    return (rf"User: arn:aws:sts::{ACCOUNT}:assumed-role/{re.escape(name)}/\d{{13}} is not authorized to perform: "
            rf"{re.escape(action)} on resource: {re.escape(resource)} because no identity-based policy allows the "
            rf"{re.escape(action)} action")


# --- CodePipeline --------------------------------------------------------------------------------


def test_a_least_privilege_pipeline_role_is_never_denied(stack, roles) -> None:
    """Each action allowed on its own resource type only (application actions on the application,
    GetDeploymentConfig on the group's config, RegisterTaskDefinition on *) is enough."""
    role = stack.pipeline_role()
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    wait_for(lambda: deployment_created(cp, name), message="the deploy action to create its deployment")
    assert {r["actionName"]: r["status"] for r in runs(cp, name) if r["actionName"] != "Deploy"} == {
        "TemplateSource": "Succeeded", "ImageSource": "Succeeded"}
    assert denied(roles, role) == []


def test_a_role_trusting_another_service_fails_as_aws_does(stack, roles) -> None:
    cp = stack.client("codepipeline")
    wrong = stack.role("build", "codebuild.amazonaws.com", allow(["*"], ["*"]))
    with pytest.raises(ClientError) as refused:  # CreatePipeline refuses it first
        stack.create_pipeline(wrong)
    assert refused.value.response["Error"]["Code"] == "InvalidStructureException"
    stack.pipelines.pop()

    # a trust policy changed after the pipeline was made: the next run's first action fails
    role = stack.pipeline_role()
    name = stack.create_pipeline(role)
    wait_for(lambda: ended(cp, name, "TemplateSource"), message="the first run's source action")
    stack.client("iam").update_assume_role_policy(RoleName=role.rsplit("/", 1)[-1],
                                                  PolicyDocument=trust("codebuild.amazonaws.com"))
    second = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert error_of(cp, name, "TemplateSource", second) == {
        "code": "PermissionError", "message": f"CodePipeline is not authorized to perform AssumeRole on role {role}"}
    assert error_of(cp, name, "ImageSource", second)["code"] == "PermissionError"
    assert cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=second)["pipelineExecution"]["status"] \
        == "Failed"
    assert {short.kind for short, _ in denied(roles, role)} == {"assume"}


def test_without_codecommit_get_branch_the_source_action_fails_with_awss_message(stack, roles) -> None:
    role = stack.pipeline_role(("codecommit:GetBranch",))
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    error = error_of(cp, name, "TemplateSource")
    assert error["code"] == "PermissionError"
    repository = f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{stack.repo}"
    prefix = ("The service role or action role doesn’t have the permissions required to access the AWS "  # noqa: RUF001
              f"CodeCommit repository named {stack.repo}. Update the IAM role permissions, and then try again. Error: ")
    pattern = re.escape(prefix) + not_authorized(role, "codecommit:GetBranch", repository)
    assert re.fullmatch(pattern, error["message"]), error["message"]
    # the image source, allowed, still ran; the deploy action never did
    assert wait_for(lambda: ended(cp, name, "ImageSource"), message="the image source")["status"] == "Succeeded"
    assert [r for r in runs(cp, name) if r["actionName"] == "Deploy"] == []


def test_without_put_object_on_the_artifact_bucket_the_source_action_fails(stack, roles) -> None:
    role = stack.pipeline_role(("s3:PutObject",))
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    error = error_of(cp, name, "TemplateSource")
    assert error["code"] == "PermissionError"
    assert re.fullmatch(
        r"The provided role does not have permissions to perform this action\. Underlying error: Access Denied "
        r"\(Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: [0-9A-F]{16}; "
        r"S3 Extended Request ID: \S+\)", error["message"]), error["message"]
    assert error_of(cp, name, "ImageSource")["code"] == "PermissionError"
    (short, _), *_ = denied(roles, role)
    assert (short.action, short.resource) == ("s3:PutObject", f"arn:aws:s3:::{stack.bucket}/*")
    assert stack.client("s3").list_objects_v2(Bucket=stack.bucket).get("KeyCount") == 0  # nothing written


@pytest.mark.parametrize("missing", ["iam:PassRole", "codedeploy:CreateDeployment"])
def test_without_pass_role_or_create_deployment_the_deploy_action_fails(stack, roles, missing) -> None:
    role = stack.pipeline_role((missing,))
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    assert error_of(cp, name, "Deploy") == {"code": "PermissionError", "message": ACCESS_CODEDEPLOY}
    assert {r["actionName"]: r["status"] for r in runs(cp, name) if r["actionName"] != "Deploy"} == {
        "TemplateSource": "Succeeded", "ImageSource": "Succeeded"}
    assert [short.action for short, _ in denied(roles, role)] == [missing]
    assert stack.client("codedeploy").list_deployments(
        applicationName=stack.app, deploymentGroupName=stack.group)["deployments"] == []


def test_an_explicit_deny_wins_over_an_allow_of_everything(stack, roles) -> None:
    deny = {"Effect": "Deny", "Action": "codedeploy:CreateDeployment", "Resource": "*"}
    role = stack.role("pipedeny", "codepipeline.amazonaws.com", allow(["*"], ["*"]), deny)
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    assert error_of(cp, name, "Deploy") == {"code": "PermissionError", "message": ACCESS_CODEDEPLOY}
    (short, _), = denied(roles, role)
    assert short.explicit and short.action == "codedeploy:CreateDeployment"


def test_a_passed_role_condition_for_another_service_denies_pass_role(stack, roles) -> None:
    """iam:PassedToService is ecs-tasks.amazonaws.com when the pipeline registers a task
    definition: a statement for another service does not allow it."""
    statements = [s for s in stack.least_privilege() if "iam:PassRole" not in s["Action"]]
    other = allow(["iam:PassRole"], [stack.execution_role],
                  Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})
    role = stack.role("pipepass", "codepipeline.amazonaws.com", *statements, other)
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    assert error_of(cp, name, "Deploy") == {"code": "PermissionError", "message": ACCESS_CODEDEPLOY}


def test_what_the_sandbox_cannot_evaluate_is_allowed_with_a_log_line(stack, roles, caplog) -> None:
    """Never a false denial: a condition on a key the sandbox does not know, a policy variable,
    a condition operator the evaluator does not model; each replaces the statements of one
    service in an otherwise least-privilege role."""
    odd = {
        "s3:": allow(["s3:*"], ["*"], Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        "codecommit:": allow(["codecommit:*"], ["arn:aws:codecommit:*:*:${aws:PrincipalTag/repo}"]),
        "codedeploy:": allow(["codedeploy:*"], ["*"],
                             Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    }
    cp = stack.client("codepipeline")
    with caplog.at_level(logging.WARNING, logger="bluegreen.sandbox.roles"):
        for n, (prefix, statement) in enumerate(odd.items()):
            kept = [s for s in stack.least_privilege() if not s["Action"][0].startswith(prefix)]
            role = stack.role(f"pipeodd{n}", "codepipeline.amazonaws.com", *kept, statement)
            name = stack.create_pipeline(role)
            wait_for(lambda n=name: deployment_created(cp, n), message=f"the deployment, {prefix} not evaluated")
            assert denied(roles, role) == []
    assert "cannot evaluate" in caplog.text


def test_a_condition_the_sandbox_can_decide_still_denies(stack, roles) -> None:
    """aws:PrincipalArn is known: a statement for another principal allows nothing."""
    other = allow(["*"], ["*"], Condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/other"}})
    role = stack.role("pipearn", "codepipeline.amazonaws.com", other)
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(role)
    assert error_of(cp, name, "TemplateSource")["code"] == "PermissionError"


# --- EventBridge ---------------------------------------------------------------------------------


def put_rule(stack: Stack, pipeline: str, role: str) -> str:
    rule = f"push-{pipeline}"
    events = stack.client("events")
    events.put_rule(Name=rule, State="ENABLED",
                    EventPattern=json.dumps({"source": ["aws.ecr"], "detail": {"repository-name": [stack.images]}}))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "codepipeline", "Arn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline}", "RoleArn": role}])
    return rule


def metric(stack: Stack, rule: str, name: str) -> float:
    now = datetime.now(UTC)
    points = stack.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Events", MetricName=name, Dimensions=[{"Name": "RuleName", "Value": rule}],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), Period=60, Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def executions(cp: Any, name: str) -> list[str]:
    return [e["pipelineExecutionId"] for e in cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]]


def test_a_rule_whose_role_may_not_start_the_pipeline_starts_nothing_and_counts_a_failed_invocation(
        stack, roles) -> None:
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(stack.pipeline_role())
    first = wait_for(lambda: executions(cp, name), message="the first execution")
    weak = stack.role("ev", "events.amazonaws.com", allow(["codepipeline:GetPipeline"], ["*"]))
    rule = put_rule(stack, name, weak)
    stack.push_image("denied " + stack.suffix)
    assert executions(cp, name) == first
    assert metric(stack, rule, "FailedInvocations") == 1 and metric(stack, rule, "Invocations") == 1
    failed = [f for f in roles.failed_invocations if f.rule_name == rule]
    assert [(f.pipeline_arn, f.role_arn) for f in failed] == [(f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}", weak)]
    assert "codepipeline:StartPipelineExecution" in failed[0].error.message


def test_a_rule_whose_role_trusts_another_service_starts_nothing(stack, roles) -> None:
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(stack.pipeline_role())
    first = wait_for(lambda: executions(cp, name), message="the first execution")
    wrong = stack.role("evtrust", "codepipeline.amazonaws.com", allow(["codepipeline:StartPipelineExecution"], ["*"]))
    rule = put_rule(stack, name, wrong)
    stack.push_image("wrong trust " + stack.suffix)
    assert executions(cp, name) == first
    assert metric(stack, rule, "FailedInvocations") == 1


def test_a_rule_whose_role_may_start_the_pipeline_starts_it(stack, roles) -> None:
    cp = stack.client("codepipeline")
    name = stack.create_pipeline(stack.pipeline_role())
    first = wait_for(lambda: executions(cp, name), message="the first execution")
    pipeline = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}"
    role = stack.role("evok", "events.amazonaws.com", allow(["codepipeline:StartPipelineExecution"], [pipeline]))
    rule = put_rule(stack, name, role)
    stack.push_image("allowed " + stack.suffix)
    wait_for(lambda: len(executions(cp, name)) == len(first) + 1, message="the execution the rule started")
    assert metric(stack, rule, "Invocations") == 1 and metric(stack, rule, "FailedInvocations") == 0


# --- CodeDeploy's wording, for the deployment engine ------------------------------------------


def test_codedeploy_gets_its_own_words(stack, roles) -> None:
    role = stack.role("cdweak", "codedeploy.amazonaws.com", allow(["ecs:*"], ["*"]))
    listener = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/lb/0123456789abcdef/0123456789abcdef"
    assert roles.authorize(role, CODEDEPLOY, ["ecs:CreateTaskSet"], f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/c/s") is None
    error = roles.authorize(role, CODEDEPLOY, ["elasticloadbalancing:ModifyListener"], listener)
    assert (error.code, error.message) == (
        "IAM_ROLE_PERMISSIONS",
        f"The IAM role {role} does not give you permission to perform operations in the following AWS service: "
        "AmazonElasticLoadBalancingV2. Contact your AWS administrator if you need help. If you are an AWS "
        "administrator, you can grant permissions to your users or groups by creating IAM policies.")
    missing = roles.authorize(role, CODEPIPELINE, ["ecs:CreateTaskSet"], "*")
    assert missing.message == f"CodePipeline is not authorized to perform AssumeRole on role {role}"
    wrong = stack.role("cdwrong", "ecs-tasks.amazonaws.com", allow(["*"], ["*"]))
    error = roles.authorize(wrong, CODEDEPLOY, ["ecs:CreateTaskSet"], "*")
    assert (error.code, error.message) == (
        "IAM_ROLE_MISSING", f"AWS CodeDeploy does not have the permissions required to assume the role {wrong}.")
    gone = f"arn:aws:iam::{ACCOUNT}:role/no-such-role-{stack.suffix}"
    assert roles.authorize(gone, CODEDEPLOY, ["ecs:CreateTaskSet"], "*").code == "IAM_ROLE_MISSING"


def test_an_aws_managed_policy_counts_as_its_pinned_copy_and_a_permissions_boundary_limits(stack, roles) -> None:
    iam = stack.client("iam")
    role = stack.role("cdmanaged", "codedeploy.amazonaws.com")
    name = role.rsplit("/", 1)[-1]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited")
    service = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/cluster/svc"
    assert roles.authorize(role, CODEDEPLOY, ["ecs:CreateTaskSet", "elasticloadbalancing:ModifyListener"], service) is None
    # the managed policy invokes only functions named CodeDeployHook_*
    hook = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-hook"
    assert roles.authorize(role, CODEDEPLOY, ["lambda:InvokeFunction"], hook).code == "IAM_ROLE_PERMISSIONS"
    boundary = iam.create_policy(PolicyName=f"boundary-{stack.suffix}", PolicyDocument=document(
        allow(["elasticloadbalancing:*"], ["*"])))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
    assert roles.authorize(role, CODEDEPLOY, ["elasticloadbalancing:ModifyListener"], "*") is None
    error = roles.authorize(role, CODEDEPLOY, ["ecs:CreateTaskSet"], service)
    assert error.code == "IAM_ROLE_PERMISSIONS" and "AmazonECS" in error.message
    short, _ = roles.denials[-1]
    assert short.boundary and not short.explicit
