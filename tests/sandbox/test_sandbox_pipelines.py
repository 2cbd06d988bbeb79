"""The sandbox's pipeline engine against a real sandbox, with pipelines made by plain boto3 calls:
executions started by creation, by StartPipelineExecution and by EventBridge rules; the source
revisions and artifacts; the CodeDeployToECS action up to the deployment it creates; its
failures; the API shapes; stop, retry, transitions and the execution modes.

The deployment engine is not part of this: a deployment stays in progress, which is what the
tests of stop, retry and the modes use (a deploy action in progress holds its stage).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import types
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from support.ecr import put_tiny_image

from bluegreen.sandbox.pipeline.authorize import allow_all
from bluegreen.sandbox.wire import AwsError

T = TypeVar("T")
ACCOUNT = "123456789012"
REGION = "us-east-1"
APPSPEC = (
    "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
    "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n"
    "          ContainerPort: 80\n"
)


def taskdef(family: str, image: str = "<IMAGE1_NAME>", **container: Any) -> str:
    return json.dumps(
        {
            "family": family,
            "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/exec",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [
                {"name": "web", "image": image, "essential": True, "portMappings": [{"containerPort": 80}], **container}
            ],
        },
        indent=2,
    )


def trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def wait_for(what: Callable[[], T], timeout: float = 20.0, message: str = "") -> T:
    """Poll ``what`` until it returns something truthy (no sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = what()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message} (last: {last!r})")


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def _message(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Message"])


def zip_of(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return out.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def validate_shape(client: Any, operation: str, answer: dict[str, Any]) -> None:
    """The answer, as boto3 parsed it, fits the operation's output shape exactly (no unknown
    member, every required one, the right types)."""
    shape = client.meta.service_model.operation_model(operation).output_shape
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()


@pytest.fixture(scope="module")
def engine(sandbox) -> Any:
    pipelines = sandbox.services["pipelines"]
    pipelines.time_scale = 100.0  # the deploy action polls every 0.1 s
    return pipelines


@pytest.fixture(scope="module")
def cp(sandbox) -> Any:
    return sandbox.client("codepipeline")


@dataclass
class Stack:
    """The resources one pipeline needs, made with plain boto3 calls."""

    sandbox: Any
    suffix: str
    role: str = ""
    events_role: str = ""
    bucket: str = ""
    repo: str = ""
    images: str = ""
    app: str = ""
    group: str = ""
    digest: str = ""
    first_commit: str = ""
    pipelines: list[str] = field(default_factory=list)

    def client(self, name: str) -> Any:
        return self.sandbox.client(name)

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        cc = self.client("codecommit")
        head = cc.get_branch(repositoryName=self.repo, branchName="main")["branch"]["commitId"]
        return str(
            cc.create_commit(
                repositoryName=self.repo,
                branchName="main",
                parentCommitId=head,
                commitMessage=message,
                putFiles=[{"filePath": p, "fileContent": t.encode()} for p, t in files.items()],
            )["commitId"]
        )

    def push_image(self, nonce: str) -> str:
        """A new image (its own digest) under the tag ``latest``, through the ECR API."""
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": "sha256:" + hashlib.sha256(nonce.encode()).hexdigest(),
            },
            "layers": [],
        }
        answer = self.client("ecr").put_image(
            repositoryName=self.images, imageManifest=json.dumps(manifest), imageTag="latest"
        )
        return str(answer["image"]["imageId"]["imageDigest"])

    def create_pipeline(
        self, mode: str = "SUPERSEDED", source: dict[str, Any] | None = None, **deploy: str
    ) -> str:
        name = f"pipe-{self.suffix}-{len(self.pipelines)}"
        configuration = {
            "ApplicationName": self.app,
            "DeploymentGroupName": self.group,
            "TaskDefinitionTemplateArtifact": "SourceArtifact",
            "TaskDefinitionTemplatePath": "taskdef.json",
            "AppSpecTemplateArtifact": "SourceArtifact",
            "AppSpecTemplatePath": "appspec.yaml",
            "Image1ArtifactName": "ImageArtifact",
            "Image1ContainerName": "IMAGE1_NAME",
            **deploy,
        }
        source = source or {
            "name": "TemplateSource",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
            "configuration": {"RepositoryName": self.repo, "BranchName": "main", "PollForSourceChanges": "false"},
            "outputArtifacts": [{"name": "SourceArtifact"}],
        }
        self.client("codepipeline").create_pipeline(
            pipeline={
                "name": name,
                "roleArn": self.role,
                "artifactStore": {"type": "S3", "location": self.bucket},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [
                            source,
                            {
                                "name": "ImageSource",
                                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                                "configuration": {"RepositoryName": self.images, "ImageTag": "latest"},
                                "outputArtifacts": [{"name": "ImageArtifact"}],
                            },
                        ],
                    },
                    {
                        "name": "Deploy",
                        "actions": [
                            {
                                "name": "Deploy",
                                "actionTypeId": {
                                    "category": "Deploy",
                                    "owner": "AWS",
                                    "provider": "CodeDeployToECS",
                                    "version": "1",
                                },
                                "configuration": configuration,
                                "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "ImageArtifact"}],
                            }
                        ],
                    },
                ],
                "pipelineType": "V2",
                "executionMode": mode,
            }
        )
        self.pipelines.append(name)
        return name


@pytest.fixture
def stack(sandbox, engine) -> Iterator[Stack]:
    s = Stack(sandbox, uuid.uuid4().hex[:8])
    iam = s.client("iam")
    s.role = iam.create_role(RoleName=f"pipe-{s.suffix}", AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))[
        "Role"
    ]["Arn"]
    s.events_role = iam.create_role(RoleName=f"ev-{s.suffix}", AssumeRolePolicyDocument=trust("events.amazonaws.com"))[
        "Role"
    ]["Arn"]
    cd_role = iam.create_role(RoleName=f"cd-{s.suffix}", AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))[
        "Role"
    ]["Arn"]
    # the sandbox checks the roles a service acts with (tests/sandbox/test_sandbox_roles*.py):
    # these may do anything, so these tests see the engine alone
    for role in (s.role, s.events_role, cd_role):
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_role_policy(RoleName=role.rsplit("/", 1)[-1], PolicyName="all", PolicyDocument=json.dumps(everything))
    s.bucket = f"artifacts-{s.suffix}"
    s.client("s3").create_bucket(Bucket=s.bucket)
    s.repo, s.images, s.app, s.group = f"src-{s.suffix}", f"img-{s.suffix}", f"app-{s.suffix}", f"dg-{s.suffix}"
    cc = s.client("codecommit")
    cc.create_repository(repositoryName=s.repo)
    s.first_commit = cc.create_commit(
        repositoryName=s.repo,
        branchName="main",
        commitMessage="first: taskdef.json and appspec.yaml",
        putFiles=[
            {"filePath": "taskdef.json", "fileContent": taskdef(f"web-{s.suffix}").encode()},
            {"filePath": "appspec.yaml", "fileContent": APPSPEC.encode()},
        ],
    )["commitId"]
    s.digest = put_tiny_image(types.SimpleNamespace(client=s.client), s.images)
    listener = _service_behind_a_load_balancer(s)
    cd = s.client("codedeploy")
    cd.create_application(applicationName=s.app, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=s.app,
        deploymentGroupName=s.group,
        serviceRoleArn=cd_role,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        },
        ecsServices=[{"serviceName": f"svc-{s.suffix}", "clusterName": "cluster"}],
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": f"b-{s.suffix}"}, {"name": f"g-{s.suffix}"}],
            "prodTrafficRoute": {"listenerArns": [listener]}}]},
    )
    yield s
    for name in s.pipelines:  # ends the executions still in progress
        s.client("codepipeline").delete_pipeline(name=name)


def _service_behind_a_load_balancer(s: Stack) -> str:
    """The ECS service the deployment group deploys to, under the CODE_DEPLOY controller behind a
    load balancer; returns the production listener. The module's sandbox simulates its tasks:
    they run but no load balancer ever sees them healthy, so a deployment stays in its Install
    event (as on AWS with tasks that never pass their health checks) and the Deploy action stays
    InProgress for as long as these tests need it to."""
    elbv2, ecs = s.client("elbv2"), s.client("ecs")
    seed = s.sandbox.seed
    subnets = seed.public_subnet_ids[:2]
    lb = elbv2.create_load_balancer(Name=f"lb-{s.suffix}", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elbv2.create_target_group(Name=f"{c}-{s.suffix}", Protocol="HTTP", Port=80, VpcId=seed.vpc_id,
                                             TargetType="ip")["TargetGroups"][0]["TargetGroupArn"] for c in "bg")
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])
    ecs.create_cluster(clusterName="cluster")
    family = ecs.register_task_definition(**json.loads(taskdef(f"svc-{s.suffix}", image=f"{ACCOUNT}.dkr.ecr."
                                                               f"{REGION}.amazonaws.com/{s.images}:latest")))
    ecs.create_service(
        cluster="cluster", serviceName=f"svc-{s.suffix}", desiredCount=1, launchType="FARGATE",
        taskDefinition=family["taskDefinition"]["taskDefinitionArn"], deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED"}})
    assert green
    return str(listener["Listeners"][0]["ListenerArn"])


# --- reading the state ---------------------------------------------------------------------------


def executions(cp: Any, name: str) -> list[dict[str, Any]]:
    return list(cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"])


def execution(cp: Any, name: str, execution_id: str) -> dict[str, Any]:
    return dict(cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"])


def actions(cp: Any, name: str, execution_id: str) -> list[dict[str, Any]]:
    return list(
        cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})[
            "actionExecutionDetails"
        ]
    )


def action(cp: Any, name: str, execution_id: str, action_name: str) -> dict[str, Any] | None:
    """The latest run of an action in an execution."""
    runs = [a for a in actions(cp, name, execution_id) if a["actionName"] == action_name]
    return runs[0] if runs else None


def deploying(cp: Any, name: str, execution_id: str) -> dict[str, Any] | None:
    """The deploy action once it has created its deployment."""
    run = action(cp, name, execution_id, "Deploy")
    if run and run["status"] == "InProgress" and run["output"].get("executionResult", {}).get("externalExecutionId"):
        return run
    return None


def abandon(stack: Stack, cp: Any, name: str, execution_id: str) -> None:
    """Stop an execution, abandoning its Deploy action, and stop that action's deployment too:
    CodeDeploy runs one deployment of a group at a time, and abandoning the action does not end
    its deployment (on AWS either), so the next execution's deploy would fail on the limit."""
    run = action(cp, name, execution_id, "Deploy")
    deployment = (run or {}).get("output", {}).get("executionResult", {}).get("externalExecutionId")
    # The next execution may not enter Deploy before the deployment is gone (it would meet the
    # limit): its inbound transition is closed meanwhile, as an operator would.
    stages = {st["stageName"]: st for st in cp.get_pipeline_state(name=name)["stageStates"]}
    was_open = stages["Deploy"].get("inboundTransitionState", {}).get("enabled", True)
    if was_open:
        cp.disable_stage_transition(pipelineName=name, stageName="Deploy", transitionType="Inbound", reason="abandon")
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=True)
    if deployment:
        cd = stack.client("codedeploy")
        cd.stop_deployment(deploymentId=deployment, autoRollbackEnabled=False)
        wait_for(lambda: cd.get_deployment(deploymentId=deployment)["deploymentInfo"]["status"] == "Stopped",
                 message="the abandoned action's deployment stopped")
    if was_open:
        cp.enable_stage_transition(pipelineName=name, stageName="Deploy", transitionType="Inbound")


def entered(cp: Any, name: str, execution_id: str) -> dict[str, Any] | None:
    """The deploy action once it created its deployment or failed trying."""
    run = action(cp, name, execution_id, "Deploy")
    return run if run and (run["status"] == "Failed" or deploying(cp, name, execution_id)) else None


def status_of(cp: Any, name: str, execution_id: str) -> str:
    return str(execution(cp, name, execution_id)["status"])


def first_execution(cp: Any, name: str) -> str:
    return str(wait_for(lambda: executions(cp, name), message="the first execution")[0]["pipelineExecutionId"])


# --- starting ------------------------------------------------------------------------------------


def test_creating_a_pipeline_starts_an_execution_with_its_source_revisions(cp, stack) -> None:
    name = stack.create_pipeline()
    first = executions(cp, name)
    assert len(first) == 1  # started by CreatePipeline itself, before the call returned
    execution_id = first[0]["pipelineExecutionId"]
    assert first[0]["trigger"] == {"triggerType": "CreatePipeline", "triggerDetail": f"arn:aws:iam::{ACCOUNT}:root"}
    assert first[0]["executionMode"] == "SUPERSEDED" and first[0]["status"] == "InProgress"
    wait_for(lambda: deploying(cp, name, execution_id), message="the deploy action in progress")

    summary = executions(cp, name)[0]
    revisions = {r["actionName"]: r for r in summary["sourceRevisions"]}
    assert revisions["TemplateSource"]["revisionId"] == stack.first_commit
    assert revisions["TemplateSource"]["revisionSummary"] == "first: taskdef.json and appspec.yaml"
    assert revisions["ImageSource"]["revisionId"] == stack.digest

    detail = execution(cp, name, execution_id)
    assert detail["pipelineName"] == name and detail["pipelineVersion"] == 1 and detail["status"] == "InProgress"
    artifacts = {r["name"]: r for r in detail["artifactRevisions"]}
    assert artifacts["SourceArtifact"]["revisionId"] == stack.first_commit
    assert artifacts["ImageArtifact"]["revisionId"] == stack.digest

    source = action(cp, name, execution_id, "TemplateSource")
    assert source is not None and source["status"] == "Succeeded"
    assert source["output"]["outputVariables"]["CommitId"] == stack.first_commit
    assert source["output"]["outputVariables"]["BranchName"] == "main"
    # the source artifact is the commit's files, zipped in the artifact bucket
    location = source["output"]["outputArtifacts"][0]["s3location"]
    assert location["bucket"] == stack.bucket and location["key"].startswith(f"{name[:20]}/SourceArti/")
    stored = stack.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    assert unzip(stored) == {"taskdef.json": taskdef(f"web-{stack.suffix}").encode(), "appspec.yaml": APPSPEC.encode()}


def test_the_ecr_source_writes_image_detail_json(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)

    def image_run() -> dict[str, Any] | None:
        run = action(cp, name, execution_id, "ImageSource")
        return run if run and run["status"] == "Succeeded" else None

    image = wait_for(image_run)
    location = image["output"]["outputArtifacts"][0]["s3location"]
    assert location["key"].startswith(f"{name[:20]}/ImageArtif/")
    files = unzip(stack.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read())
    detail = json.loads(files["imageDetail.json"])
    uri = stack.client("ecr").describe_repositories(repositoryNames=[stack.images])["repositories"][0]["repositoryUri"]
    described = stack.client("ecr").describe_images(repositoryName=stack.images)["imageDetails"][0]
    assert detail == {
        "ImageSizeInBytes": str(described["imageSizeInBytes"]),
        "ImageDigest": stack.digest,
        "Version": "1.0",
        "ImagePushedAt": described["imagePushedAt"].strftime("%a %b %d %H:%M:%S UTC %Y"),
        "RegistryId": ACCOUNT,
        "RepositoryName": stack.images,
        "ImageURI": f"{uri}@{stack.digest}",
        "ImageTags": ["latest"],
    }
    assert image["output"]["outputVariables"]["ImageURI"] == f"{uri}@{stack.digest}"
    assert image["output"]["executionResult"]["externalExecutionId"] == stack.digest


def test_the_deploy_action_registers_the_task_definition_and_creates_the_deployment(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    run = wait_for(lambda: deploying(cp, name, execution_id), message="the deployment")
    deployment_id = run["output"]["executionResult"]["externalExecutionId"]
    assert run["output"]["executionResult"]["externalExecutionUrl"] == (
        f"https://{REGION}.console.aws.amazon.com/codedeploy/home?#/deployments/{deployment_id}"
    )
    assert {a["name"] for a in run["input"]["inputArtifacts"]} == {"SourceArtifact", "ImageArtifact"}

    info = stack.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["applicationName"] == stack.app and info["deploymentGroupName"] == stack.group
    content = info["revision"]["appSpecContent"]["content"]
    family = f"web-{stack.suffix}"
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:1"
    assert content == APPSPEC.replace("<TASK_DEFINITION>", arn)
    assert info["revision"]["appSpecContent"]["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    registered = stack.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
    uri = stack.client("ecr").describe_repositories(repositoryNames=[stack.images])["repositories"][0]["repositoryUri"]
    assert registered["containerDefinitions"][0]["image"] == f"{uri}@{stack.digest}"

    state = cp.get_pipeline_state(name=name)
    deploy = state["stageStates"][1]["actionStates"][0]
    assert deploy["latestExecution"]["status"] == "InProgress"
    assert deploy["latestExecution"]["externalExecutionId"] == deployment_id
    assert state["stageStates"][1]["latestExecution"] == {
        "pipelineExecutionId": execution_id,
        "status": "InProgress",
        "type": "STANDARD",
    }


def test_start_pipeline_execution(cp, stack) -> None:
    name = stack.create_pipeline(mode="PARALLEL")
    newer = stack.commit({"appspec.yaml": APPSPEC + "# newer\n"}, "newer appspec")
    started = cp.start_pipeline_execution(name=name, clientRequestToken="once-only")["pipelineExecutionId"]
    # the same request token: the same execution, no new one
    assert cp.start_pipeline_execution(name=name, clientRequestToken="once-only")["pipelineExecutionId"] == started
    pinned = cp.start_pipeline_execution(
        name=name,
        sourceRevisions=[{"actionName": "TemplateSource", "revisionType": "COMMIT_ID", "revisionValue": stack.first_commit}],
    )["pipelineExecutionId"]
    assert len(executions(cp, name)) == 3
    summary = next(e for e in executions(cp, name) if e["pipelineExecutionId"] == started)
    assert summary["trigger"]["triggerType"] == "StartPipelineExecution"

    def revision(execution_id: str) -> str | None:
        run = action(cp, name, execution_id, "TemplateSource")
        return run["output"]["outputVariables"].get("CommitId") if run and run["status"] == "Succeeded" else None

    assert wait_for(lambda: revision(started)) == newer  # the branch's head
    assert wait_for(lambda: revision(pinned)) == stack.first_commit  # the commit asked for

    with pytest.raises(ClientError) as info:
        cp.start_pipeline_execution(
            name=name, sourceRevisions=[{"actionName": "ImageSource", "revisionType": "COMMIT_ID", "revisionValue": "x"}]
        )
    assert _code(info) == "ValidationException"
    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.start_pipeline_execution(name=f"missing-{stack.suffix}")


# --- started by EventBridge rules ----------------------------------------------------------------


def put_rule(stack: Stack, pipeline: str, rule: str, pattern: dict[str, Any]) -> str:
    events = stack.client("events")
    arn = str(events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")["RuleArn"])
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "codepipeline", "Arn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline}", "RoleArn": stack.events_role}
        ],
    )
    return arn


def test_an_ecr_push_of_the_watched_tag_starts_the_pipeline(sandbox, cp, stack) -> None:
    name = stack.create_pipeline()
    first = first_execution(cp, name)
    rule = put_rule(
        stack,
        name,
        f"{name}-image-push",
        {
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Action"],
            "detail": {
                "action-type": ["PUSH"],
                "result": ["SUCCESS"],
                "repository-name": [stack.images],
                "image-tag": ["latest"],
            },
        },
    )
    digest = stack.push_image(f"v2-{stack.suffix}")
    started = [e for e in executions(cp, name) if e["pipelineExecutionId"] != first]
    assert len(started) == 1  # the push event started it synchronously
    assert started[0]["trigger"] == {"triggerType": "CloudWatchEvent", "triggerDetail": rule}
    assert any(s.pipeline_name == name for s in sandbox.pipeline_starts)

    def image_revision() -> str | None:
        run = action(cp, name, started[0]["pipelineExecutionId"], "ImageSource")
        return run["output"]["outputVariables"]["ImageDigest"] if run and run["status"] == "Succeeded" else None

    assert wait_for(image_revision) == digest


def test_a_commit_on_the_watched_branch_starts_the_pipeline(cp, stack) -> None:
    name = stack.create_pipeline()
    first = first_execution(cp, name)
    rule = put_rule(
        stack,
        name,
        f"{name}-source-change",
        {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{stack.repo}"],
            "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": ["main"]},
        },
    )
    cc = stack.client("codecommit")
    cc.create_branch(repositoryName=stack.repo, branchName="other", commitId=stack.first_commit)
    commit = stack.commit({"appspec.yaml": APPSPEC + "# v2\n"}, "v2 appspec")
    started = [e for e in executions(cp, name) if e["pipelineExecutionId"] != first]
    assert len(started) == 1  # the commit on main; the new branch "other" is not watched
    assert started[0]["trigger"] == {"triggerType": "CloudWatchEvent", "triggerDetail": rule}

    def commit_revision() -> str | None:
        run = action(cp, name, started[0]["pipelineExecutionId"], "TemplateSource")
        return run["output"]["outputVariables"]["CommitId"] if run and run["status"] == "Succeeded" else None

    assert wait_for(commit_revision) == commit
    summary = next(e for e in executions(cp, name) if e["pipelineExecutionId"] == started[0]["pipelineExecutionId"])
    revision = next(r for r in summary["sourceRevisions"] if r["actionName"] == "TemplateSource")
    assert (revision["revisionId"], revision["revisionSummary"]) == (commit, "v2 appspec")


def test_an_s3_object_version_starts_the_pipeline_with_that_version(sandbox, cp, stack) -> None:
    s3 = stack.client("s3")
    bucket = f"source-{stack.suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    files = {"taskdef.json": taskdef(f"s3web-{stack.suffix}"), "appspec.yaml": APPSPEC}
    first = s3.put_object(
        Bucket=bucket, Key="source.zip", Body=zip_of(files), Metadata={"codepipeline-artifact-revision-summary": "v1"}
    )
    name = stack.create_pipeline(
        source={
            "name": "TemplateSource",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"S3Bucket": bucket, "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"},
            "outputArtifacts": [{"name": "SourceArtifact"}],
        }
    )
    created = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, created), message="deploy from the S3 source")
    put_rule(
        stack,
        name,
        f"{name}-source-change",
        {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket]}, "object": {"key": ["source.zip"]}}},
    )
    s3.put_object(Bucket=bucket, Key="source.zip", Body=zip_of({**files, "appspec.yaml": APPSPEC + "# v2\n"}))
    # the sandbox's S3 sends no events yet: the event of the first version, as S3 would send it
    sandbox.events.emit(
        "aws.s3",
        "Object Created",
        {
            "bucket": {"name": bucket},
            "object": {"key": "source.zip", "version-id": first["VersionId"], "etag": first["ETag"].strip('"')},
            "reason": "PutObject",
        },
        [f"arn:aws:s3:::{bucket}"],
    )
    started = [e for e in executions(cp, name) if e["pipelineExecutionId"] != created]
    assert len(started) == 1 and started[0]["trigger"]["triggerType"] == "CloudWatchEvent"

    def source_run() -> dict[str, Any] | None:
        run = action(cp, name, started[0]["pipelineExecutionId"], "TemplateSource")
        return run if run and run["status"] == "Succeeded" else None

    run = wait_for(source_run)
    assert run["output"]["executionResult"]["externalExecutionId"] == first["VersionId"]
    assert run["output"]["executionResult"]["externalExecutionSummary"] == f"Amazon S3 version id: {first['VersionId']}"
    revisions = execution(cp, name, started[0]["pipelineExecutionId"])["artifactRevisions"]
    source = next(r for r in revisions if r["name"] == "SourceArtifact")
    assert source["revisionId"] == first["VersionId"] and source["revisionSummary"] == "v1"


# --- the deploy action's failures ----------------------------------------------------------------


def failed_deploy(cp: Any, name: str) -> dict[str, Any]:
    execution_id = first_execution(cp, name)
    wait_for(lambda: status_of(cp, name, execution_id) == "Failed", message="the execution to fail")
    run = action(cp, name, execution_id, "Deploy")
    assert run is not None and run["status"] == "Failed"
    state = cp.get_pipeline_state(name=name)["stageStates"][1]
    assert state["latestExecution"]["status"] == "Failed"
    assert state["actionStates"][0]["latestExecution"]["errorDetails"] == run["output"]["executionResult"]["errorDetails"]
    return dict(run["output"]["executionResult"]["errorDetails"])


def test_a_wrong_image_placeholder_fails_the_deploy_action(cp, stack) -> None:
    name = stack.create_pipeline(Image1ContainerName="IMAGE_NAME")
    error = failed_deploy(cp, name)
    assert error["code"] == "ConfigurationError"
    assert "<IMAGE_NAME>" in error["message"] and "SourceArtifact" in error["message"]


def test_a_missing_task_definition_file_fails_with_awss_message(cp, stack) -> None:
    name = stack.create_pipeline(TaskDefinitionTemplatePath="missing.json")
    assert failed_deploy(cp, name) == {
        "code": "ConfigurationError",
        "message": "Exception while trying to read the task definition artifact file from: SourceArtifact",
    }


def test_an_appspec_without_the_task_definition_placeholder_fails(cp, stack) -> None:
    stack.commit({"appspec.yaml": APPSPEC.replace("<TASK_DEFINITION>", "web:1")}, "no placeholder")
    name = stack.create_pipeline()
    error = failed_deploy(cp, name)
    assert error["code"] == "ConfigurationError" and "<TASK_DEFINITION>" in error["message"]
    assert not stack.client("codedeploy").list_deployments(applicationName=stack.app, deploymentGroupName=stack.group)[
        "deployments"
    ]


def test_a_task_definition_ecs_refuses_fails_with_ecss_message(cp, stack) -> None:
    bad = json.loads(taskdef(f"web-{stack.suffix}"))
    del bad["memory"]  # a container without memory, and none for the task: ECS refuses it
    stack.commit({"taskdef.json": json.dumps(bad)}, "no memory")
    name = stack.create_pipeline()
    error = failed_deploy(cp, name)
    assert error["code"] == "JobFailed"
    assert "memory" in error["message"] and "web" in error["message"]


def test_missing_image_detail_fails_with_awss_message(cp, stack) -> None:
    name = stack.create_pipeline(Image1ArtifactName="SourceArtifact")
    assert failed_deploy(cp, name) == {
        "code": "ConfigurationError",
        "message": "Exception while trying to read the image artifact file from the artifact: SourceArtifact.",
    }


def test_the_role_hook_is_asked_and_its_denial_fails_the_action(cp, stack, engine) -> None:
    asked: list[tuple[str, str, tuple[str, ...], str]] = []

    def authorize(role: str, principal: str, wanted: Any, resource: str) -> AwsError | None:
        asked.append((role, principal, tuple(wanted), resource))
        if "ecs:RegisterTaskDefinition" in wanted:
            return AwsError("AccessDeniedException", "not allowed to register task definitions")
        return None

    engine.authorize = authorize
    try:
        name = stack.create_pipeline()
        assert failed_deploy(cp, name) == {"code": "PermissionError", "message": "not allowed to register task definitions"}
    finally:
        engine.authorize = allow_all
    principals = {principal for _, principal, _, _ in asked}
    assert principals == {"codepipeline.amazonaws.com"} and {role for role, *_ in asked} == {stack.role}
    repo = f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{stack.repo}"
    assert any(resource == repo and "codecommit:GetBranch" in wanted for _, _, wanted, resource in asked)
    assert any(wanted == ("s3:PutObject",) and resource == f"arn:aws:s3:::{stack.bucket}/*" for _, _, wanted, resource in asked)


def test_a_rule_whose_role_is_denied_starts_nothing(cp, stack, engine) -> None:
    name = stack.create_pipeline()
    first = first_execution(cp, name)
    put_rule(stack, name, f"{name}-image-push", {"source": ["aws.ecr"], "detail": {"repository-name": [stack.images]}})
    asked: list[tuple[str, str]] = []

    def authorize(role: str, principal: str, wanted: Any, resource: str) -> AwsError | None:
        if principal == "events.amazonaws.com":
            asked.append((role, resource))
            return AwsError("AccessDeniedException", "denied")
        return None

    engine.authorize = authorize
    try:
        stack.push_image(f"denied-{stack.suffix}")
    finally:
        engine.authorize = allow_all
    assert asked == [(stack.events_role, f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}")]
    assert [e["pipelineExecutionId"] for e in executions(cp, name)] == [first]


# --- the API's shapes ----------------------------------------------------------------------------


def test_answers_fit_the_api_shapes_and_lists_page(cp, stack) -> None:
    name = stack.create_pipeline(mode="PARALLEL")
    ids = [first_execution(cp, name)]
    ids += [cp.start_pipeline_execution(name=name)["pipelineExecutionId"] for _ in range(3)]
    for execution_id in ids:  # one deploys, the others fail on CodeDeploy's one-deployment limit
        wait_for(lambda e=execution_id: entered(cp, name, e), message="every execution in Deploy")
    validate_shape(cp, "GetPipelineState", cp.get_pipeline_state(name=name))
    validate_shape(cp, "GetPipelineExecution", cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=ids[0]))
    validate_shape(cp, "ListActionExecutions", cp.list_action_executions(pipelineName=name))

    # newest first, in pages of maxResults
    first = cp.list_pipeline_executions(pipelineName=name, maxResults=3)
    validate_shape(cp, "ListPipelineExecutions", first)
    second = cp.list_pipeline_executions(pipelineName=name, maxResults=3, nextToken=first["nextToken"])
    assert "nextToken" not in second
    listed = [e["pipelineExecutionId"] for e in first["pipelineExecutionSummaries"] + second["pipelineExecutionSummaries"]]
    assert listed == list(reversed(ids))
    paginated = [
        e["pipelineExecutionId"]
        for page in cp.get_paginator("list_pipeline_executions").paginate(
            pipelineName=name, PaginationConfig={"PageSize": 1}
        )
        for e in page["pipelineExecutionSummaries"]
    ]
    assert paginated == listed
    # every execution got through Source; none through Deploy
    succeeded = cp.list_pipeline_executions(pipelineName=name, filter={"succeededInStage": {"stageName": "Source"}})
    assert len(succeeded["pipelineExecutionSummaries"]) == 4
    assert not cp.list_pipeline_executions(pipelineName=name, filter={"succeededInStage": {"stageName": "Deploy"}})[
        "pipelineExecutionSummaries"
    ]
    runs = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": ids[1]}, maxResults=2)
    assert len(runs["actionExecutionDetails"]) == 2 and runs["nextToken"]
    rest = cp.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": ids[1]}, maxResults=2, nextToken=runs["nextToken"]
    )
    everything = runs["actionExecutionDetails"] + rest["actionExecutionDetails"]
    assert sorted(a["actionName"] for a in everything) == ["Deploy", "ImageSource", "TemplateSource"]
    assert {a["pipelineExecutionId"] for a in everything} == {ids[1]}

    with pytest.raises(cp.exceptions.InvalidNextTokenException):
        cp.list_pipeline_executions(pipelineName=name, nextToken="not-a-token")
    unchecked = stack.sandbox.client("codepipeline", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        unchecked.list_pipeline_executions(pipelineName=name, maxResults=0)
    assert _code(info) == "ValidationException"
    assert _message(info) == (
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    with pytest.raises(cp.exceptions.PipelineExecutionNotFoundException):
        cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=str(uuid.uuid4()))
    with pytest.raises(ClientError) as info:
        cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId="not-an-id")
    assert _code(info) == "ValidationException"
    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.get_pipeline_state(name=f"missing-{stack.suffix}")


# --- stop and retry ------------------------------------------------------------------------------


def test_stop_and_abandon(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, execution_id))
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=True, reason="enough")
    assert status_of(cp, name, execution_id) == "Stopped"
    run = action(cp, name, execution_id, "Deploy")
    assert run is not None and run["status"] == "Abandoned"
    summary = executions(cp, name)[0]
    assert summary["status"] == "Stopped" and summary["stopTrigger"] == {"reason": "enough"}
    assert cp.get_pipeline_state(name=name)["stageStates"][1]["latestExecution"]["status"] == "Stopped"
    with pytest.raises(cp.exceptions.PipelineExecutionNotStoppableException):
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=True)


def test_stop_and_wait_keeps_the_action_until_abandoned(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, execution_id))
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=False)
    assert status_of(cp, name, execution_id) == "Stopping"
    run = action(cp, name, execution_id, "Deploy")
    assert run is not None and run["status"] == "InProgress"  # in-progress actions finish first
    assert cp.get_pipeline_state(name=name)["stageStates"][1]["latestExecution"]["status"] == "Stopping"
    with pytest.raises(cp.exceptions.DuplicatedStopRequestException):
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=False)
    # changing one's mind while Stopping: abandon is allowed
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=True)
    assert status_of(cp, name, execution_id) == "Stopped"


def test_retry_of_a_failed_stage(cp, stack) -> None:
    stack.commit({"appspec.yaml": APPSPEC.replace("<TASK_DEFINITION>", "web:1")}, "broken appspec")
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    wait_for(lambda: status_of(cp, name, execution_id) == "Failed")
    with pytest.raises(cp.exceptions.StageNotRetryableException):
        cp.retry_stage_execution(
            pipelineName=name, stageName="Source", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS"
        )
    with pytest.raises(cp.exceptions.StageNotFoundException):
        cp.retry_stage_execution(
            pipelineName=name, stageName="Nope", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS"
        )

    # fixing the source does not fix a retry: the execution keeps the artifacts it started with
    stack.commit({"appspec.yaml": APPSPEC}, "fixed appspec")
    cp.retry_stage_execution(pipelineName=name, stageName="Deploy", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS")
    wait_for(lambda: status_of(cp, name, execution_id) == "Failed", message="the retry to fail again")

    # fixing the artifact in the artifact store does (the action reads it from there)
    source = action(cp, name, execution_id, "TemplateSource")
    assert source is not None
    location = source["output"]["outputArtifacts"][0]["s3location"]
    fixed = {"taskdef.json": taskdef(f"web-{stack.suffix}"), "appspec.yaml": APPSPEC}
    stack.client("s3").put_object(Bucket=location["bucket"], Key=location["key"], Body=zip_of(fixed))
    answer = cp.retry_stage_execution(
        pipelineName=name, stageName="Deploy", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS"
    )
    assert answer["pipelineExecutionId"] == execution_id
    wait_for(lambda: deploying(cp, name, execution_id), message="the retried deploy")
    assert status_of(cp, name, execution_id) == "InProgress"
    deploys = [a for a in actions(cp, name, execution_id) if a["actionName"] == "Deploy"]
    assert [a["status"] for a in deploys] == ["InProgress", "Failed", "Failed"]  # newest first
    assert len({a["actionExecutionId"] for a in deploys}) == 3
    # the Source stage was not run again
    assert len([a for a in actions(cp, name, execution_id) if a["stageName"] == "Source"]) == 2


def test_retry_all_actions_of_a_stopped_stage(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, execution_id))
    abandon(stack, cp, name, execution_id)
    cp.retry_stage_execution(pipelineName=name, stageName="Deploy", pipelineExecutionId=execution_id, retryMode="ALL_ACTIONS")
    wait_for(lambda: deploying(cp, name, execution_id))
    deploys = [a for a in actions(cp, name, execution_id) if a["actionName"] == "Deploy"]
    assert [a["status"] for a in deploys] == ["InProgress", "Abandoned"]
    assert status_of(cp, name, execution_id) == "InProgress"
    assert "stopTrigger" not in executions(cp, name)[0]


# --- execution modes and transitions -------------------------------------------------------------


def inbound(cp: Any, name: str, stage: int = 1) -> list[str]:
    state = cp.get_pipeline_state(name=name)["stageStates"][stage]
    if "inboundExecutions" in state:
        return [e["pipelineExecutionId"] for e in state["inboundExecutions"]]
    return [state["inboundExecution"]["pipelineExecutionId"]] if "inboundExecution" in state else []


def test_superseded_mode_a_newer_execution_replaces_the_waiting_one(cp, stack) -> None:
    name = stack.create_pipeline(mode="SUPERSEDED")
    first = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, first))  # Deploy is locked by the first execution
    second = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: inbound(cp, name) == [second], message="the second waiting in front of Deploy")
    assert status_of(cp, name, second) == "InProgress"
    third = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: inbound(cp, name) == [third], message="the third replacing the second")
    assert status_of(cp, name, second) == "Superseded"
    assert action(cp, name, second, "Deploy") is None  # it never entered Deploy
    abandon(stack, cp, name, first)
    wait_for(lambda: deploying(cp, name, third), message="the third entering the unlocked stage")
    assert inbound(cp, name) == []
    # the stopped execution can no longer be retried: a newer one entered its stage
    with pytest.raises(cp.exceptions.NotLatestPipelineExecutionException):
        cp.retry_stage_execution(pipelineName=name, stageName="Deploy", pipelineExecutionId=first, retryMode="FAILED_ACTIONS")


def test_queued_mode_executions_enter_one_by_one(cp, stack) -> None:
    name = stack.create_pipeline(mode="QUEUED")
    first = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, first))
    second = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: inbound(cp, name) == [second])
    third = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: inbound(cp, name) == [second, third], message="both waiting, in order")
    validate_shape(cp, "GetPipelineState", cp.get_pipeline_state(name=name))
    abandon(stack, cp, name, first)
    wait_for(lambda: deploying(cp, name, second), message="the second entering first")
    assert inbound(cp, name) == [third] and status_of(cp, name, third) == "InProgress"
    abandon(stack, cp, name, second)
    wait_for(lambda: deploying(cp, name, third))
    assert [e["status"] for e in executions(cp, name)] == ["InProgress", "Stopped", "Stopped"]


def test_parallel_mode_executions_do_not_wait(cp, stack) -> None:
    name = stack.create_pipeline(mode="PARALLEL")
    ids = [first_execution(cp, name)] + [cp.start_pipeline_execution(name=name)["pipelineExecutionId"] for _ in range(2)]
    # None waits in front of Deploy: all three enter it. CodeDeploy then runs one deployment of
    # the group at a time, so two of the three deploy actions fail on its limit (on AWS as here:
    # which is why bluegreen's own config refuses PARALLEL).
    runs = [wait_for(lambda e=e: entered(cp, name, e), message="all entering Deploy at once") for e in ids]
    assert sorted(r["status"] for r in runs) == ["Failed", "Failed", "InProgress"], runs
    for run in (r for r in runs if r["status"] == "Failed"):
        message = run["output"]["executionResult"]["errorDetails"]["message"]
        assert f"The Deployment Group '{stack.group}' already has an active Deployment 'd-" in message, message
    assert inbound(cp, name) == []
    assert all(e["executionMode"] == "PARALLEL" for e in executions(cp, name))


def test_a_disabled_transition_holds_executions_in_front_of_its_stage(cp, stack) -> None:
    name = stack.create_pipeline()
    first = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, first))
    cp.disable_stage_transition(pipelineName=name, stageName="Deploy", transitionType="Inbound", reason="hold on")
    abandon(stack, cp, name, first)  # Deploy unlocked
    second = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: inbound(cp, name) == [second], message="the second held in front of Deploy")
    transition = cp.get_pipeline_state(name=name)["stageStates"][1]["inboundTransitionState"]
    assert transition["enabled"] is False and transition["disabledReason"] == "hold on"
    assert transition["lastChangedBy"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert action(cp, name, second, "Deploy") is None
    cp.enable_stage_transition(pipelineName=name, stageName="Deploy", transitionType="Inbound")
    wait_for(lambda: deploying(cp, name, second), message="the held execution entering")
    assert cp.get_pipeline_state(name=name)["stageStates"][1]["inboundTransitionState"]["enabled"] is True


def test_deleting_a_pipeline_ends_its_executions(cp, stack) -> None:
    name = stack.create_pipeline()
    execution_id = first_execution(cp, name)
    wait_for(lambda: deploying(cp, name, execution_id))
    cp.delete_pipeline(name=name)
    stack.pipelines.remove(name)
    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.list_pipeline_executions(pipelineName=name)
