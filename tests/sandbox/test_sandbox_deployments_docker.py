"""CodeDeploy deployments with real containers on a real Docker engine: production traffic really
moves as the deployment reports it, a replacement that never turns healthy rolls back without a
failed request, and a pipeline run (CodeCommit + ECR sources, CodeDeployToECS) deploys v2 to the
end. Everything is observed through boto3 and plain HTTP on loopback.

One sandbox for the module at time scale 120 (a minute of AWS time is half a second); the sample
site image is built once as v1 and v2 and pushed to the sandbox's ECR.
"""

from __future__ import annotations

import http.client
import io
import itertools
import json
import re
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from ecs_elb_support import (
    CONTAINER,
    PORT,
    Image,
    Stack,
    docker_sandbox,
    provision,
    sample_image,
    sandbox_containers,
    service,
    wait_for,
)

from bluegreen.sandbox.server import SandboxHandle

pytestmark = pytest.mark.docker

REGION = "us-east-1"
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
VERSION = re.compile(r'<strong id="version">([^<]*)</strong>')


def trust(service_principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def ecs_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    with docker_sandbox(docker_client, check_threads=True, region=REGION, time_scale=120) as handle:
        yield handle


@pytest.fixture(scope="module")
def images(docker_client: Any, ecs_sandbox: SandboxHandle,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Image, Image]]:
    with sample_image(docker_client, ecs_sandbox, tmp_path_factory.mktemp("v1"), "deploy-web", "1") as v1, \
            sample_image(docker_client, ecs_sandbox, tmp_path_factory.mktemp("v2"), "deploy-web-v2", "2") as v2:
        yield v1, v2


@pytest.fixture(scope="module")
def role(ecs_sandbox: SandboxHandle) -> str:
    """CodeDeploy's service role as bluegreen makes it: trusted by CodeDeploy, the managed policy."""
    iam = ecs_sandbox.client("iam")
    arn = iam.create_role(RoleName="deploy-docker-cd", AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))
    iam.attach_role_policy(RoleName="deploy-docker-cd", PolicyArn=LIMITED)
    return str(arn["Role"]["Arn"])


@dataclass
class Deployed:
    stack: Stack
    app: str
    group: str


def blue_green(sandbox: SandboxHandle, image: Image, role: str, name: str, config: str) -> Deployed:
    stack = provision(sandbox, image.uri, name)
    wait_for(lambda: service(sandbox, stack)["taskSets"][0]["stabilityStatus"] == "STEADY_STATE", "blue settles")
    cd = sandbox.client("codedeploy")
    app, group = f"{name}-app", f"{name}-dg"
    cd.create_application(applicationName=app, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=app, deploymentGroupName=group, serviceRoleArn=role, deploymentConfigName=config,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 1},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}},
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": f"{name}-blue"}, {"name": f"{name}-green"}],
            "prodTrafficRoute": {"listenerArns": [stack.production]},
            "testTrafficRoute": {"listenerArns": [stack.test]}}]},
        ecsServices=[{"serviceName": stack.service, "clusterName": stack.cluster}],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )
    return Deployed(stack, app, group)


def revision(sandbox: SandboxHandle, stack: Stack, image: Image, **container: Any) -> str:
    """A new revision of the stack's task definition with another image (and container settings)."""
    ecs = sandbox.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=stack.task_definition)["taskDefinition"]
    changed = dict(definition["containerDefinitions"][0], image=image.uri, **container)
    return str(ecs.register_task_definition(
        family=definition["family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[changed])["taskDefinition"]["taskDefinitionArn"])


def appspec(task_definition: str) -> str:
    return ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
            f"        TaskDefinition: {task_definition}\n        LoadBalancerInfo:\n"
            f"          ContainerName: {CONTAINER}\n          ContainerPort: {PORT}\n")


def create_deployment(sandbox: SandboxHandle, deployed: Deployed, task_definition: str) -> str:
    return str(sandbox.client("codedeploy").create_deployment(
        applicationName=deployed.app, deploymentGroupName=deployed.group,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec(task_definition)}},
    )["deploymentId"])


def deployment(sandbox: SandboxHandle, deployment_id: str) -> dict[str, Any]:
    return dict(sandbox.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"])


def ended(sandbox: SandboxHandle, deployment_id: str, limit_s: float = 60.0) -> dict[str, Any]:
    return wait_for(lambda: (lambda d: d if d["status"] in ("Succeeded", "Failed", "Stopped") else None)(
        deployment(sandbox, deployment_id)), f"{deployment_id} ends", limit_s)


@dataclass
class Load:
    """A bounded loop of requests to the production port on one kept-alive connection per
    attempt: each answer's version and start/end times, and every failure."""

    host: str
    port: int
    answers: list[tuple[float, float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, limit: int = 40_000) -> None:
        assert self.host.startswith("127."), "the tests send traffic to loopback only"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            for _ in range(limit):
                if self.stop.is_set():
                    return
                start = time.monotonic()
                try:
                    conn.request("GET", "/")
                    answer = conn.getresponse()
                    body = answer.read().decode("utf-8", "replace")
                except (OSError, http.client.HTTPException) as exc:
                    self.failures.append(repr(exc))
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                    continue
                found = VERSION.search(body)
                if answer.status != 200 or found is None:
                    self.failures.append(f"{answer.status}: {body[:80]!r}")
                else:
                    self.answers.append((start, time.monotonic(), found.group(1)))
        finally:
            conn.close()


@pytest.fixture
def load() -> Iterator[Any]:
    loads: list[tuple[Load, threading.Thread]] = []

    def start(stack: Stack) -> Load:
        loop = Load(stack.dns, stack.production_port)
        thread = threading.Thread(target=loop.run, name="deploy-test-load", daemon=True)
        thread.start()
        loads.append((loop, thread))
        return loop

    yield start
    for loop, thread in loads:
        loop.stop.set()
        thread.join(10)


def _green_weight(sandbox: SandboxHandle, deployment_id: str, target_id: str) -> float | None:
    target = sandbox.client("codedeploy").get_deployment_target(deploymentId=deployment_id, targetId=target_id)
    for task_set in target["deploymentTarget"]["ecsTarget"]["taskSetsInfo"]:
        if task_set["taskSetLabel"] == "Green":
            return float(task_set["trafficWeight"])
    return None


# --- production traffic follows the reported weights ---------------------------------------------


def test_production_traffic_moves_as_the_deployment_reports(ecs_sandbox: SandboxHandle, images: tuple[Image, Image],
                                                            role: str, load: Any, docker_client: Any) -> None:
    v1, v2 = images
    # a custom linear configuration: 25% every 5 minutes, 2.5 seconds per step at this time scale,
    # long enough for tens of answers per step even on a busy machine
    ecs_sandbox.client("codedeploy").create_deployment_config(
        deploymentConfigName="Linear25PercentEvery5Minutes", computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedLinear",
                              "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 5}})
    deployed = blue_green(ecs_sandbox, v1, role, "shift", "Linear25PercentEvery5Minutes")
    stack = deployed.stack
    blue_set = service(ecs_sandbox, stack)["taskSets"][0]["id"]
    traffic = load(stack)
    wait_for(lambda: len(traffic.answers) > 20, "v1 answers")
    deployment_id = create_deployment(ecs_sandbox, deployed, revision(ecs_sandbox, stack, v2))
    target_id = f"{stack.cluster}:{stack.service}"

    # the weights the deployment reports, polled: (time of the poll, green's share then)
    polls: list[tuple[float, float]] = []
    wait_for(lambda: deployment(ecs_sandbox, deployment_id)["status"] == "InProgress", "the deployment starts")
    while True:
        info = deployment(ecs_sandbox, deployment_id)
        weight = _green_weight(ecs_sandbox, deployment_id, target_id)
        polls.append((time.monotonic(), weight if weight is not None else 0.0))
        if info["status"] != "InProgress" or (polls[-1][1] == 100.0 and len(polls) > 1 and polls[-2][1] == 100.0):
            break
        time.sleep(0.02)
    info = ended(ecs_sandbox, deployment_id)
    traffic.stop.set()

    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert traffic.failures == [], traffic.failures[:5]
    # each answer whose whole request lies between two polls that saw the same weight counts
    # towards that weight: the share of v2 among them follows it within 10 points
    windows: dict[float, list[str]] = {}
    for (t0, w0), (t1, w1) in itertools.pairwise(polls):
        if w0 == w1:
            windows.setdefault(w0, []).extend(v for s, e, v in traffic.answers if t0 <= s and e <= t1)
    measured = {w: 100.0 * answers.count("2") / len(answers) for w, answers in windows.items() if len(answers) >= 20}
    assert {25.0, 50.0, 75.0} & set(measured) and len(measured) >= 3, (sorted(measured), len(polls))
    off = {w: round(share, 1) for w, share in measured.items() if abs(share - w) > 10}
    assert not off, off
    # v2 everywhere after the shift; blue's containers gone after the termination wait
    assert traffic.answers[-1][2] == "2"
    wait_for(lambda: not [c for c in sandbox_containers(docker_client, ecs_sandbox)
                          if c.labels.get("bluegreen.sandbox.task-set") == blue_set and c.status == "running"],
             "blue's containers stop (its task set was deleted, its targets drain)")
    wait_for(lambda: [(s["status"], s["taskDefinition"].rsplit(":", 1)[1]) for s in service(ecs_sandbox, stack)[
        "taskSets"]] == [("PRIMARY", "2")], "one task set left, v2's, PRIMARY")


# --- a replacement that never turns healthy ------------------------------------------------------


def test_a_replacement_never_healthy_rolls_back_without_a_failed_request(
        ecs_sandbox: SandboxHandle, images: tuple[Image, Image], role: str, load: Any) -> None:
    v1, _ = images
    deployed = blue_green(ecs_sandbox, v1, role, "sick", "CodeDeployDefault.ECSAllAtOnce")
    stack = deployed.stack
    ecs_sandbox.services["deployments"].install_timeout = 5 * 60.0  # AWS's hour would take 30 s here
    traffic = load(stack)
    # the same image, but nothing listens: running, never healthy
    sick = revision(ecs_sandbox, stack, v1, command=["/bin/busybox", "sleep", "3600"], entryPoint=[])
    try:
        deployment_id = create_deployment(ecs_sandbox, deployed, sick)
        info = ended(ecs_sandbox, deployment_id)
        rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
        rollback = ended(ecs_sandbox, rollback_id)
    finally:
        ecs_sandbox.services["deployments"].install_timeout = 60 * 60.0
    traffic.stop.set()
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "TIMEOUT",
        "message": "The deployment timed out while waiting for the replacement task set to become healthy. "
                   "This time out period is 5 minutes."}
    assert rollback["status"] == "Succeeded" and rollback["creator"] == "codeDeployRollback"
    assert traffic.failures == [] and {v for _, _, v in traffic.answers} == {"1"}
    wait_for(lambda: [s["status"] for s in service(ecs_sandbox, stack)["taskSets"]] == ["PRIMARY"],
             "the replacement task set is gone")


# --- a pipeline run deploys v2 -------------------------------------------------------------------


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return out.getvalue()


def test_a_pipeline_run_deploys_v2_to_the_end(ecs_sandbox: SandboxHandle, images: tuple[Image, Image],
                                              role: str) -> None:
    v1, v2 = images
    deployed = blue_green(ecs_sandbox, v1, role, "pipe", "CodeDeployDefault.ECSAllAtOnce")
    stack = deployed.stack
    suffix = uuid.uuid4().hex[:6]
    iam = ecs_sandbox.client("iam")
    pipeline_role = iam.create_role(RoleName=f"pipe-{suffix}",
                                    AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"pipe-{suffix}", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    bucket = f"pipe-artifacts-{suffix}"
    ecs_sandbox.client("s3").create_bucket(Bucket=bucket)
    definition = ecs_sandbox.client("ecs").describe_task_definition(taskDefinition=stack.task_definition)["taskDefinition"]
    taskdef = {
        "family": definition["family"], "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [dict(definition["containerDefinitions"][0], image="<IMAGE1_NAME>")],
    }
    cc = ecs_sandbox.client("codecommit")
    repo = f"pipe-src-{suffix}"
    cc.create_repository(repositoryName=repo)
    cc.create_commit(repositoryName=repo, branchName="main", commitMessage="deploy files", putFiles=[
        {"filePath": "taskdef.json", "fileContent": json.dumps(taskdef).encode()},
        {"filePath": "appspec.yaml", "fileContent": appspec("<TASK_DEFINITION>").encode()}])
    image_repo = v2.uri.split("/", 1)[1].rsplit(":", 1)[0]
    cp = ecs_sandbox.client("codepipeline")
    name = f"pipe-{suffix}"
    cp.create_pipeline(pipeline={
        "name": name, "roleArn": pipeline_role, "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {"name": "Source", "actions": [
                {"name": "Files", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit",
                                                   "version": "1"},
                 "configuration": {"RepositoryName": repo, "BranchName": "main", "PollForSourceChanges": "false"},
                 "outputArtifacts": [{"name": "SourceArtifact"}]},
                {"name": "Image", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR",
                                                   "version": "1"},
                 "configuration": {"RepositoryName": image_repo, "ImageTag": v2.version},
                 "outputArtifacts": [{"name": "ImageArtifact"}]}]},
            {"name": "Deploy", "actions": [
                {"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS",
                                                    "provider": "CodeDeployToECS", "version": "1"},
                 "configuration": {"ApplicationName": deployed.app, "DeploymentGroupName": deployed.group,
                                   "TaskDefinitionTemplateArtifact": "SourceArtifact",
                                   "AppSpecTemplateArtifact": "SourceArtifact",
                                   "Image1ArtifactName": "ImageArtifact", "Image1ContainerName": "IMAGE1_NAME"},
                 "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "ImageArtifact"}]}]},
        ]})
    try:
        execution_id = wait_for(lambda: (cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
                                         or [{}])[0].get("pipelineExecutionId"), "the first execution")
        done = wait_for(lambda: (lambda e: e if e["status"] != "InProgress" else None)(
            cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]),
            "the execution ends", 90)
        runs = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})[
            "actionExecutionDetails"]
        deploy = next(r for r in runs if r["actionName"] == "Deploy")
        assert done["status"] == "Succeeded", deploy.get("output")
        deployment_id = deploy["output"]["executionResult"]["externalExecutionId"]
        info = deployment(ecs_sandbox, deployment_id)
        assert info["status"] == "Succeeded" and info["deploymentGroupName"] == deployed.group
        assert deploy["output"]["executionResult"]["externalExecutionSummary"] == "Deployment Succeeded"
        conn = http.client.HTTPConnection(stack.dns, stack.production_port, timeout=5)
        try:
            conn.request("GET", "/")
            page = conn.getresponse().read().decode()
        finally:
            conn.close()
        assert VERSION.search(page) is not None and VERSION.search(page).group(1) == "2"  # type: ignore[union-attr]
    finally:
        cp.delete_pipeline(name=name)
