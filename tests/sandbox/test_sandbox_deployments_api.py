"""CodeDeploy's deployment operations through boto3 against a running sandbox: every answer is
checked against the operation's output shape, errors by their AWS names, listener weights by
DescribeListeners. ECS task sets are the in-memory stand-in; the load balancer, the deployment
groups and configurations are the sandbox's own, made with plain boto3 calls.

The sandbox runs at time scale 120 (a minute of AWS time is half a second)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from bluegreen.sandbox.deploy import api as shapes
from bluegreen.sandbox.deploy.memory import MemoryTaskSets
from bluegreen.sandbox.server import SandboxHandle, start_sandbox

T = TypeVar("T")
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_NAME = "codedeploy-ecs"  # made by the `role` fixture: CodeDeploy's usual service role
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ECSTaskExecutionRole-test"  # a name the policy may pass
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def wait_for(what: Callable[[], T], timeout: float = 15.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = what()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting: {message} (last: {last!r})")


def validate_shape(client: Any, operation: str, answer: dict[str, Any]) -> None:
    shape = client.meta.service_model.operation_model(operation).output_shape
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()


def code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def message(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Message"])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    before = {t for t in threading.enumerate() if t.name.startswith("bluegreen-sandbox")}
    handle = start_sandbox(time_scale=120)
    try:
        yield handle
    finally:
        handle.stop()
    leftover = [t for t in threading.enumerate() if t.name.startswith("bluegreen-sandbox") and t not in before]
    assert not leftover


@pytest.fixture(scope="module", autouse=True)
def role(sandbox: SandboxHandle) -> str:
    """The groups' service role: trusted by CodeDeploy, with the managed policy bluegreen attaches."""
    iam = sandbox.client("iam")
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=LIMITED)
    return ROLE


@pytest.fixture(scope="module")
def task_sets(sandbox: SandboxHandle) -> MemoryTaskSets:
    stand_in = MemoryTaskSets(ACCOUNT, start_after=0.05)
    sandbox.services["deployments"].task_sets = lambda: stand_in
    return stand_in


@pytest.fixture(scope="module")
def cd(sandbox: SandboxHandle) -> Any:
    return sandbox.client("codedeploy", config=Config(retries={"max_attempts": 1}))


@dataclass
class Stack:
    app: str
    group: str
    cluster: str
    service: str
    task_definition: str
    blue: str
    green: str
    prod: str
    test: str

    def appspec(self, task_definition: str | None = None, container: str = "web", port: int = 80) -> str:
        return (
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
            f"        TaskDefinition: {task_definition or self.task_definition}\n"
            f"        LoadBalancerInfo:\n          ContainerName: {container}\n          ContainerPort: {port}\n"
        )

    def revision(self, content: str | None = None) -> dict[str, Any]:
        text = content if content is not None else self.appspec()
        return {"revisionType": "AppSpecContent",
                "appSpecContent": {"content": text, "sha256": hashlib.sha256(text.encode()).hexdigest()}}


def make_stack(sandbox: SandboxHandle, task_sets: MemoryTaskSets, *, config: str = "CodeDeployDefault.ECSAllAtOnce",
               ready: dict[str, Any] | None = None, termination: int = 0, rollback: list[str] | None = None,
               role: str = ROLE) -> Stack:
    suffix = uuid.uuid4().hex[:6]
    ec2, elb, ecs, cd = (sandbox.client(n) for n in ("ec2", "elbv2", "ecs", "codedeploy"))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    lb = elb.create_load_balancer(Name=f"lb-{suffix}", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (
        elb.create_target_group(Name=f"{c}-{suffix}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)[
            "TargetGroups"][0]["TargetGroupArn"] for c in ("blue", "green"))
    prod, test = (
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])["Listeners"][0]["ListenerArn"]
        for port in (80, 8080))
    cluster, service = f"cl-{suffix}", f"svc-{suffix}"
    ecs.create_cluster(clusterName=cluster)
    td = ecs.register_task_definition(
        family=f"fam-{suffix}", executionRoleArn=EXECUTION_ROLE,
        containerDefinitions=[{"name": "web", "image": "x", "memory": 64, "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=td, desiredCount=2,
                       deploymentController={"type": "CODE_DEPLOY"},
                       loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}])
    task_sets.add_service(REGION, cluster, service, desired=2, task_definition=td, target_group_arn=blue)
    app, group = f"app-{suffix}", f"dg-{suffix}"
    cd.create_application(applicationName=app, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=app, deploymentGroupName=group, serviceRoleArn=role, deploymentConfigName=config,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": termination},
            "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": f"blue-{suffix}"}, {"name": f"green-{suffix}"}],
            "prodTrafficRoute": {"listenerArns": [prod]}, "testTrafficRoute": {"listenerArns": [test]}}]},
        ecsServices=[{"serviceName": service, "clusterName": cluster}],
        autoRollbackConfiguration={"enabled": bool(rollback), "events": rollback or []},
    )
    return Stack(app, group, cluster, service, td, blue, green, prod, test)


def create(cd: Any, stack: Stack, **kw: Any) -> str:
    kw.setdefault("revision", stack.revision())
    return str(cd.create_deployment(applicationName=stack.app, deploymentGroupName=stack.group, **kw)["deploymentId"])


def status_of(cd: Any, deployment_id: str) -> str:
    return str(cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"])


def ended(cd: Any, deployment_id: str) -> dict[str, Any]:
    wait_for(lambda: status_of(cd, deployment_id) in ("Succeeded", "Failed", "Stopped"), message=deployment_id)
    return dict(cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"])


def forward_weights(sandbox: SandboxHandle, listener: str) -> dict[str, int]:
    action = sandbox.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"][0]
    return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}


# --- a deployment from start to end, in AWS's shapes ---------------------------------------------


def test_a_deployment_in_aws_shapes(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = make_stack(sandbox, task_sets)
    deployment_id = create(cd, stack, description="v2")
    assert deployment_id.startswith("d-") and len(deployment_id) == 11
    info = ended(cd, deployment_id)
    answer = cd.get_deployment(deploymentId=deployment_id)
    validate_shape(cd, "GetDeployment", answer)
    assert info["status"] == "Succeeded" and info["computePlatform"] == "ECS" and info["creator"] == "user"
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce" and info["description"] == "v2"
    assert info["revision"]["revisionType"] == "AppSpecContent"
    assert info["deploymentOverview"]["Succeeded"] == 1 and info["instanceTerminationWaitTimeStarted"] is True
    assert info["createTime"] <= info["startTime"] <= info["completeTime"]
    assert "errorInformation" not in info and "rollbackInfo" not in info
    batch = cd.batch_get_deployments(deploymentIds=[deployment_id, "d-AAAAAAAAA"])
    validate_shape(cd, "BatchGetDeployments", batch)
    assert [d["deploymentId"] for d in batch["deploymentsInfo"]] == [deployment_id]

    targets = cd.list_deployment_targets(deploymentId=deployment_id)
    validate_shape(cd, "ListDeploymentTargets", targets)
    target_id = f"{stack.cluster}:{stack.service}"
    assert targets["targetIds"] == [target_id]
    target = cd.get_deployment_target(deploymentId=deployment_id, targetId=target_id)
    validate_shape(cd, "GetDeploymentTarget", target)
    batch_targets = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[target_id])
    validate_shape(cd, "BatchGetDeploymentTargets", batch_targets)
    ecs_target = target["deploymentTarget"]["ecsTarget"]
    assert target["deploymentTarget"]["deploymentTargetType"] == "ECSTarget"
    assert ecs_target["targetArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{stack.cluster}/{stack.service}"
    assert [(e["lifecycleEventName"], e["status"]) for e in ecs_target["lifecycleEvents"]] == [
        (name, "Succeeded") for name in ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic",
                                         "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")]
    by_label = {t["taskSetLabel"]: t for t in ecs_target["taskSetsInfo"]}
    assert by_label["Green"]["targetGroup"]["name"].startswith("green-") and by_label["Green"]["trafficWeight"] == 100.0
    assert (by_label["Green"]["status"], by_label["Green"]["desiredCount"], by_label["Green"]["runningCount"]) == ("PRIMARY", 2, 2)
    assert by_label["Blue"]["trafficWeight"] == 0.0

    # the listeners really moved: production and test forward to green
    assert forward_weights(sandbox, stack.prod) == {stack.blue: 0, stack.green: 100}
    assert forward_weights(sandbox, stack.test) == {stack.blue: 0, stack.green: 100}

    group = cd.get_deployment_group(applicationName=stack.app, deploymentGroupName=stack.group)
    validate_shape(cd, "GetDeploymentGroup", group)
    g = group["deploymentGroupInfo"]
    assert g["lastAttemptedDeployment"]["deploymentId"] == deployment_id == g["lastSuccessfulDeployment"]["deploymentId"]
    assert g["lastSuccessfulDeployment"]["status"] == "Succeeded" and "endTime" in g["lastSuccessfulDeployment"]
    assert g["targetRevision"] == stack.revision()


def test_an_s3_revision(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = make_stack(sandbox, task_sets)
    s3 = sandbox.client("s3")
    bucket = f"revisions-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="appspec.yaml", Body=stack.appspec().encode())
    deployment_id = create(cd, stack, revision={
        "revisionType": "S3", "s3Location": {"bucket": bucket, "key": "appspec.yaml", "bundleType": "YAML"}})
    assert ended(cd, deployment_id)["status"] == "Succeeded"
    with pytest.raises(ClientError) as missing:
        create(cd, stack, revision={"revisionType": "S3",
                                    "s3Location": {"bucket": bucket, "key": "nope.yaml", "bundleType": "YAML"}})
    assert code(missing) == "RevisionDoesNotExistException"


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        (None, "RevisionRequiredException"),
        ("{not yaml: [", "InvalidRevisionException"),
        ("version: 0.0\nResources: []\n", "InvalidRevisionException"),
        ("task:arn:aws:ecs:us-east-1:123456789012:task-definition/none:1", "InvalidRevisionException"),
        ("container:db", "InvalidRevisionException"),
        ("port:8080", "InvalidRevisionException"),
        ("sha", "InvalidRevisionException"),
        ("hook:Install", "InvalidRevisionException"),
    ],
)
def test_create_deployment_refuses_what_aws_refuses(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any,
                                                    revision: str | None, expected: str) -> None:
    stack = _shared_stack(sandbox, task_sets)
    if revision is None:
        kw: dict[str, Any] = {"revision": None}
    elif revision.startswith("task:"):
        kw = {"revision": stack.revision(stack.appspec(revision[5:]))}
    elif revision.startswith("container:"):
        kw = {"revision": stack.revision(stack.appspec(container=revision.split(":")[1]))}
    elif revision.startswith("port:"):
        kw = {"revision": stack.revision(stack.appspec(port=int(revision.split(":")[1])))}
    elif revision == "sha":
        kw = {"revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": stack.appspec(), "sha256": "0" * 64}}}
    elif revision.startswith("hook:"):
        kw = {"revision": stack.revision(stack.appspec() + f"Hooks:\n  - {revision[5:]}: fn\n")}
    else:
        kw = {"revision": stack.revision(revision)}
    args = {"applicationName": stack.app, "deploymentGroupName": stack.group}
    args.update({k: v for k, v in kw.items() if v is not None})
    with pytest.raises(ClientError) as refused:
        cd.create_deployment(**args)
    assert code(refused) == expected
    assert cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group)["deployments"] == []


_stacks: dict[int, Stack] = {}


def _shared_stack(sandbox: SandboxHandle, task_sets: MemoryTaskSets) -> Stack:
    if id(sandbox) not in _stacks:
        _stacks[id(sandbox)] = make_stack(sandbox, task_sets)
    return _stacks[id(sandbox)]


def test_unknown_application_group_and_deployment(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = _shared_stack(sandbox, task_sets)
    with pytest.raises(ClientError) as app:
        cd.create_deployment(applicationName="no-such-app", deploymentGroupName=stack.group, revision=stack.revision())
    assert code(app) == "ApplicationDoesNotExistException"
    with pytest.raises(ClientError) as group:
        cd.create_deployment(applicationName=stack.app, deploymentGroupName="no-such-group", revision=stack.revision())
    assert code(group) == "DeploymentGroupDoesNotExistException"
    with pytest.raises(ClientError) as unknown:
        cd.get_deployment(deploymentId="d-ZZZZZZZZZ")
    assert code(unknown) == "DeploymentDoesNotExistException"
    with pytest.raises(ClientError) as malformed:
        cd.get_deployment(deploymentId="deployment-1")
    assert code(malformed) == "InvalidDeploymentIdException"


# --- lists ---------------------------------------------------------------------------------------


def test_list_deployments_filters_and_pages(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stack = make_stack(sandbox, task_sets)
    other = make_stack(sandbox, task_sets)
    ids = [create(cd, stack) for _ in range(1)]
    ended(cd, ids[0])
    ids.append(create(cd, stack, revision=stack.revision(stack.appspec("arn:aws:ecs:us-east-1:123456789012:task-definition/" + stack.task_definition.rsplit("/", 1)[1]))))
    ended(cd, ids[1])
    ids.append(create(cd, stack))
    ended(cd, ids[2])
    elsewhere = create(cd, other)
    ended(cd, elsewhere)

    listed = cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group)
    validate_shape(cd, "ListDeployments", listed)
    assert listed["deployments"] == list(reversed(ids))  # newest first
    assert elsewhere in cd.list_deployments()["deployments"]
    assert cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group,
                               includeOnlyStatuses=["Failed"])["deployments"] == []

    monkeypatch.setattr(shapes, "PAGE_SIZE", 2)
    first = cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group)
    assert len(first["deployments"]) == 2 and first["nextToken"]
    second = cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group, nextToken=first["nextToken"])
    assert first["deployments"] + second["deployments"] == list(reversed(ids)) and "nextToken" not in second
    with pytest.raises(ClientError) as token:
        cd.list_deployments(applicationName=other.app, deploymentGroupName=other.group, nextToken=first["nextToken"])
    assert code(token) == "InvalidNextTokenException"
    with pytest.raises(ClientError) as half:
        cd.list_deployments(applicationName=stack.app)
    assert code(half) == "DeploymentGroupNameRequiredException"


# --- continue, stop, limit -----------------------------------------------------------------------


def test_ready_wait_and_continue_through_the_api(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = make_stack(sandbox, task_sets, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30})
    deployment_id = create(cd, stack)
    wait_for(lambda: status_of(cd, deployment_id) == "Ready", message="Ready")
    assert forward_weights(sandbox, stack.test) == {stack.blue: 0, stack.green: 100}
    assert forward_weights(sandbox, stack.prod) == {stack.blue: 100, stack.green: 0}  # green only joined it
    with pytest.raises(ClientError) as limit:
        create(cd, stack)
    assert code(limit) == "DeploymentLimitExceededException"
    assert message(limit) == f"The Deployment Group '{stack.group}' already has an active Deployment '{deployment_id}'"
    with pytest.raises(ClientError) as early:
        cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert code(early) == "DeploymentIsNotInReadyStateException"
    answer = cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert set(answer) == {"ResponseMetadata"}  # ContinueDeployment has no output
    assert ended(cd, deployment_id)["status"] == "Succeeded"
    assert forward_weights(sandbox, stack.prod) == {stack.blue: 0, stack.green: 100}
    with pytest.raises(ClientError) as done:
        cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert code(done) == "DeploymentAlreadyCompletedException"


def test_stop_with_rollback_through_the_api(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = make_stack(sandbox, task_sets, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30})
    deployment_id = create(cd, stack)
    wait_for(lambda: status_of(cd, deployment_id) == "Ready", message="Ready")
    stopped = cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    validate_shape(cd, "StopDeployment", stopped)
    assert stopped["status"] == "Pending"
    info = ended(cd, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback_id = wait_for(lambda: cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
                           .get("rollbackInfo", {}).get("rollbackDeploymentId"))
    rollback = ended(cd, rollback_id)
    assert rollback["status"] == "Succeeded" and rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"] == {"rollbackTriggeringDeploymentId": deployment_id}
    assert forward_weights(sandbox, stack.test) == {stack.blue: 100, stack.green: 0}
    assert [v.status for v in task_sets.service_task_sets(region=REGION, cluster=stack.cluster, service=stack.service)] == ["PRIMARY"]
    assert set(cd.list_deployments(applicationName=stack.app, deploymentGroupName=stack.group)["deployments"]) == {
        deployment_id, rollback_id}
    group = cd.get_deployment_group(applicationName=stack.app, deploymentGroupName=stack.group)["deploymentGroupInfo"]
    assert group["lastAttemptedDeployment"]["deploymentId"] == rollback_id
    with pytest.raises(ClientError) as again:
        cd.stop_deployment(deploymentId=deployment_id)
    assert code(again) == "DeploymentAlreadyCompletedException"


def test_targets_of_a_deployment_not_started_and_wrong_ids(sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    stack = make_stack(sandbox, task_sets, termination=30)
    deployment_id = create(cd, stack)
    wait_for(lambda: cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["instanceTerminationWaitTimeStarted"],
             message="the termination wait")
    target_id = f"{stack.cluster}:{stack.service}"
    assert cd.list_deployment_targets(deploymentId=deployment_id, targetFilters={"TargetStatus": ["Succeeded"]})[
        "targetIds"] == [target_id]
    assert cd.list_deployment_targets(deploymentId=deployment_id, targetFilters={"TargetStatus": ["Failed"]})[
        "targetIds"] == []
    with pytest.raises(ClientError) as wrong:
        cd.get_deployment_target(deploymentId=deployment_id, targetId="other:svc")
    assert code(wrong) == "DeploymentTargetDoesNotExistException"
    with pytest.raises(ClientError) as many:
        cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[target_id, "other:svc"])
    assert code(many) == "DeploymentTargetListSizeExceededException"
    cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert ended(cd, deployment_id)["status"] == "Succeeded"


# --- acting with the group's role ----------------------------------------------------------------


def test_a_role_that_falls_short_fails_the_deployment_with_codedeploys_message(
        sandbox: SandboxHandle, task_sets: MemoryTaskSets, cd: Any) -> None:
    iam = sandbox.client("iam")
    weak = f"codedeploy-weak-{uuid.uuid4().hex[:6]}"
    weak_arn = iam.create_role(RoleName=weak, AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))["Role"]["Arn"]
    stack = make_stack(sandbox, task_sets, role=weak_arn)
    info = ended(cd, create(cd, stack))
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "IAM_ROLE_PERMISSIONS",
        "message": f"The IAM role {weak_arn} does not give you permission to perform operations in the following AWS "
                   "service: AmazonElasticLoadBalancingV2. Contact your AWS administrator if you need help. If you are "
                   "an AWS administrator, you can grant permissions to your users or groups by creating IAM policies."}
    assert forward_weights_or_blue(sandbox, stack.prod) == {stack.blue: 1}  # nothing moved

    missing = make_stack(sandbox, task_sets, role=f"arn:aws:iam::{ACCOUNT}:role/no-such-role")
    info = ended(cd, create(cd, missing))
    assert info["errorInformation"]["code"] == "IAM_ROLE_MISSING"


def forward_weights_or_blue(sandbox: SandboxHandle, listener: str) -> dict[str, int]:
    action = sandbox.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"][0]
    if "ForwardConfig" in action and len(action["ForwardConfig"]["TargetGroups"]) > 1:
        return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
    return {action["TargetGroupArn"]: 1}
