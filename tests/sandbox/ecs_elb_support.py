"""Helpers for the ECS-runtime and load-balancer tests: the sample site image in a sandbox's ECR,
a blue/green stack made with plain boto3, bounded waits, loopback HTTP, and cleanup checks.

Everything a test makes on the Docker engine carries the run's label or the sandbox runtime's
instance label, so teardown finds it even when a test fails.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bluegreen.sandbox.runtime import token_auth

T = TypeVar("T")

RUN_ID = uuid.uuid4().hex[:10]
TEST_LABELS = {"bluegreen-test": "ecs-elb", "bluegreen-test-run": RUN_ID}
CONTAINER = "sample-website"
PORT = 80  # the sample site's port inside its container

# never through a proxy: every request of these tests goes to 127.0.0.0/8 only
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- waiting -------------------------------------------------------------------------------------


def wait_for(check: Callable[[], T | None], what: str, limit_s: float = 30.0, every_s: float = 0.1) -> T:
    """Poll until ``check`` returns something truthy: a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + limit_s
    last: Any = None
    while True:
        try:
            last = check()
        except AssertionError as exc:  # a check may explain itself
            last = exc
        if last and not isinstance(last, AssertionError):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {limit_s:g} s (last: {last!r})")
        time.sleep(every_s)


# --- HTTP on loopback ----------------------------------------------------------------------------


def get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    host = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    assert host.startswith("127."), f"the tests send traffic to loopback only, not {url}"
    try:
        with _OPENER.open(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


# --- the sample image ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    uri: str  # <registry host>/<repository>:<tag>, as a task definition may name it
    version: str
    image_id: str


# Built once per test process and version, removed when the process ends (with every tag it
# got): the classic builder takes seconds per image, and each module pushes it to its own sandbox.
_BUILT: dict[str, str] = {}


def _remove_built() -> None:
    import docker

    docker_client = docker.from_env()  # the session's client is closed by now
    for image_id in _BUILT.values():
        for container in docker_client.containers.list(all=True, filters={"ancestor": image_id}):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        with contextlib.suppress(Exception):
            docker_client.images.remove(image_id, force=True)
    _BUILT.clear()
    docker_client.close()


def _build(docker_client: Any, context_dir: Path, version: str) -> str:
    import pytest

    from bluegreen.images.sample import prepare_sample_context

    if version in _BUILT:
        return _BUILT[version]
    try:
        context = prepare_sample_context(context_dir)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    if not _BUILT:
        atexit.register(_remove_built)
    image, _ = docker_client.images.build(
        path=str(context), tag=f"bluegreen-test/ecs-elb:{RUN_ID}-{version}", buildargs={"VERSION": version},
        labels=TEST_LABELS, network_mode="none", rm=True, forcerm=True)
    _BUILT[version] = image.id
    return str(image.id)


@contextlib.contextmanager
def sample_image(docker_client: Any, sandbox: Any, context_dir: Path, repository: str,
                 version: str = "1") -> Iterator[Image]:
    """The project's sample site (FROM scratch + busybox) built with ``version`` and pushed to
    the sandbox's ECR; the push's tag is removed afterwards."""
    ecr = sandbox.client("ecr")
    uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    image_id = _build(docker_client, context_dir, version)
    try:
        docker_client.api.tag(image_id, uri, version)
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        auth = token_auth(token, sandbox.registry_host)()
        for line in docker_client.api.push(uri, tag=version, stream=True, decode=True, auth_config=auth):
            assert "error" not in line, line
        yield Image(f"{uri}:{version}", version, image_id)
    finally:
        for container in docker_client.containers.list(all=True, filters={"ancestor": image_id}):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        with contextlib.suppress(Exception):
            docker_client.images.remove(f"{uri}:{version}")  # the tag only: the image stays for the next module


def sandbox_containers(docker_client: Any, sandbox: Any) -> list[Any]:
    """Every container the sandbox's task runtime started (running or not)."""
    instance = sandbox.services["runtime"].instance_id
    return list(docker_client.containers.list(all=True, filters={"label": f"bluegreen.sandbox={instance}"}))


def remove_sandbox_containers(docker_client: Any, instance_id: str) -> None:
    for container in docker_client.containers.list(all=True, filters={"label": f"bluegreen.sandbox={instance_id}"}):
        with contextlib.suppress(Exception):
            container.remove(force=True)


@contextlib.contextmanager
def docker_sandbox(docker_client: Any, *, check_threads: bool = False, **options: Any) -> Iterator[Any]:
    """A sandbox of a module's own (``start_sandbox(port=0, **options)``), stopped with every
    container its runtime started, even those a failed test left; with ``check_threads``, no
    sandbox thread may outlive it."""
    from bluegreen.sandbox.server import start_sandbox

    before = set(threading.enumerate())
    handle = start_sandbox(port=0, **options)
    instance = handle.services["runtime"].instance_id
    try:
        yield handle
    finally:
        handle.stop()
        remove_sandbox_containers(docker_client, instance)
    if check_threads:
        leftover = [t for t in threading.enumerate() if t not in before and t.name.startswith("bluegreen-sandbox")]
        assert not leftover, f"sandbox threads still running after stop: {leftover}"


# --- a blue/green stack with plain boto3 ---------------------------------------------------------


@dataclass
class Stack:
    name: str
    cluster: str
    service: str
    lb_arn: str
    dns: str
    blue: str  # target group ARNs
    green: str
    production: str  # listener ARNs
    test: str
    production_port: int
    test_port: int
    task_definition: str
    log_group: str
    subnets: list[str]
    security_group: str


def provision(sandbox: Any, image_uri: str, name: str, *, production_port: int = 80, test_port: int = 8080,
              desired: int = 1, deregistration_delay_s: int = 15, command: list[str] | None = None) -> Stack:
    """A load balancer with two listeners (both on blue, as before a deployment), two ``ip``
    target groups, a cluster, a task definition with awslogs (and ``command``, when given) and a
    CODE_DEPLOY service."""
    seed = sandbox.seed
    subnets = list(seed.public_subnet_ids[:2])
    ec2, elb, ecs, logs = (sandbox.client(n) for n in ("ec2", "elbv2", "ecs", "logs"))
    group = ec2.create_security_group(GroupName=f"{name}-sg", Description="tasks", VpcId=seed.vpc_id)["GroupId"]
    lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=subnets, SecurityGroups=[group],
                                  Type="application")["LoadBalancers"][0]
    groups = {}
    for colour in ("blue", "green"):
        arn = elb.create_target_group(
            Name=f"{name}-{colour}", Protocol="HTTP", Port=PORT, VpcId=seed.vpc_id, TargetType="ip",
            HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
        )["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay_s)}])
        groups[colour] = arn
    listeners = {}
    for role, port in (("production", production_port), ("test", test_port)):
        listeners[role] = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["blue"]}])["Listeners"][0]["ListenerArn"]
    ecs.create_cluster(clusterName=name)
    log_group = f"/ecs/{name}"
    logs.create_log_group(logGroupName=log_group)
    definition = ecs.register_task_definition(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": CONTAINER, "image": image_uri, "essential": True,
            "portMappings": [{"containerPort": PORT, "protocol": "tcp"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": sandbox.region, "awslogs-stream-prefix": "web"}},
            **({"command": command} if command is not None else {}),
        }])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=name, serviceName=name, taskDefinition=definition, desiredCount=desired, launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": groups["blue"], "containerName": CONTAINER, "containerPort": PORT}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group],
                                                      "assignPublicIp": "ENABLED"}})
    return Stack(name, name, name, lb["LoadBalancerArn"], lb["DNSName"], groups["blue"], groups["green"],
                 listeners["production"], listeners["test"], production_port, test_port, definition, log_group,
                 subnets, group)


def service(sandbox: Any, stack: Stack) -> dict[str, Any]:
    return dict(sandbox.client("ecs").describe_services(cluster=stack.cluster, services=[stack.service])["services"][0])


def healthy_ids(sandbox: Any, group_arn: str) -> list[tuple[str, int]]:
    rows = sandbox.client("elbv2").describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]
    return [(r["Target"]["Id"], r["Target"]["Port"]) for r in rows if r["TargetHealth"]["State"] == "healthy"]


def running_tasks(sandbox: Any, stack: Stack) -> list[dict[str, Any]]:
    ecs = sandbox.client("ecs")
    arns = ecs.list_tasks(cluster=stack.cluster, serviceName=stack.service)["taskArns"]
    if not arns:
        return []
    return [t for t in ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"]
