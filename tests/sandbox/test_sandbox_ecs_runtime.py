"""A CODE_DEPLOY service in a real sandbox runs its tasks as containers on a real Docker engine,
and its load balancer really serves them: everything observed through boto3 and plain HTTP on
loopback.

One sandbox (time scale 30), one sample image and one stack for the module; the tests run in
order, each leaving the service as the next one expects it (one task, then two, then deleted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from ecs_elb_support import (
    CONTAINER,
    PORT,
    Image,
    Stack,
    docker_sandbox,
    get,
    healthy_ids,
    listening,
    provision,
    running_tasks,
    sample_image,
    sandbox_containers,
    service,
    wait_for,
)

from bluegreen.sandbox.server import SandboxHandle

pytestmark = pytest.mark.docker

REGION = "us-east-1"


@pytest.fixture(scope="module")
def ecs_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    with docker_sandbox(docker_client, check_threads=True, region=REGION, time_scale=30) as handle:
        yield handle


@pytest.fixture(scope="module")
def image(docker_client: Any, ecs_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    with sample_image(docker_client, ecs_sandbox, tmp_path_factory.mktemp("sample"), "web", "1") as built:
        yield built


@pytest.fixture(scope="module")
def stack(ecs_sandbox: SandboxHandle, image: Image) -> Stack:
    return provision(ecs_sandbox, image.uri, "runtime")


def _one_running_and_healthy(sandbox: SandboxHandle, stack: Stack, count: int) -> bool:
    found = service(sandbox, stack)
    return (found["runningCount"] == count and len(running_tasks(sandbox, stack)) == count
            and len(healthy_ids(sandbox, stack.blue)) == count)


def test_the_service_runs_its_task_and_the_load_balancer_serves_it(ecs_sandbox: SandboxHandle, stack: Stack,
                                                                   docker_client: Any) -> None:
    wait_for(lambda: _one_running_and_healthy(ecs_sandbox, stack, 1), "one running task, healthy in blue")

    status, page = get(f"http://{stack.dns}:{stack.production_port}/")
    assert status == 200 and "sample-website" in page and '<strong id="version">1</strong>' in page
    assert ipaddress.ip_address(stack.dns) in ipaddress.ip_network("127.64.0.0/10")

    task = running_tasks(ecs_sandbox, stack)[0]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    subnet = ecs_sandbox.client("ec2").describe_subnets(SubnetIds=[details["subnetId"]])["Subnets"][0]
    assert ipaddress.ip_address(details["privateIPv4Address"]) in ipaddress.ip_network(subnet["CidrBlock"])
    assert healthy_ids(ecs_sandbox, stack.blue) == [(details["privateIPv4Address"], PORT)]
    assert task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] == details["privateIPv4Address"]
    assert task["group"] == f"service:{stack.service}" and task["desiredStatus"] == "RUNNING"

    found = wait_for(lambda: (lambda s: s if s["taskSets"][0]["stabilityStatus"] == "STEADY_STATE" else None)(
        service(ecs_sandbox, stack)), "the task set reaches a steady state")
    task_set = found["taskSets"][0]
    assert (task_set["status"], task_set["computedDesiredCount"], task_set["runningCount"]) == ("PRIMARY", 1, 1)
    assert task_set["scale"] == {"value": 100.0, "unit": "PERCENT"} and task["startedBy"] == task_set["id"]
    messages = [e["message"] for e in service(ecs_sandbox, stack)["events"]]
    task_id = task["taskArn"].split("/")[-1]
    assert f"(service {stack.service}, taskSet {task_set['id']}) has started 1 tasks: (task {task_id})." in messages
    assert f"(service {stack.service}) registered 1 targets in (target-group {stack.blue})" in messages
    assert messages[0] == f"(service {stack.service}) has reached a steady state."

    container = sandbox_containers(docker_client, ecs_sandbox)[0]
    assert container.labels["bluegreen.sandbox.service"] == stack.service
    assert container.labels["bluegreen.sandbox.task-set"] == task_set["id"]
    assert container.labels["bluegreen.sandbox.cluster"] == stack.cluster
    cluster = ecs_sandbox.client("ecs").describe_clusters(clusters=[stack.cluster])["clusters"][0]
    assert (cluster["activeServicesCount"], cluster["runningTasksCount"]) == (1, 1)


def test_the_task_output_is_its_log_stream(ecs_sandbox: SandboxHandle, stack: Stack) -> None:
    task_id = running_tasks(ecs_sandbox, stack)[0]["taskArn"].split("/")[-1]
    logs = ecs_sandbox.client("logs")
    stream = f"web/{CONTAINER}/{task_id}"

    def served_lines() -> list[str]:
        get(f"http://{stack.dns}:{stack.production_port}/?log-probe")
        try:
            events = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream)["events"]
        except logs.exceptions.ResourceNotFoundException:  # the stream appears with its first lines
            return []
        return [e["message"] for e in events if "log-probe" in e["message"] or "response:200" in e["message"]]

    assert wait_for(served_lines, "busybox httpd's request log in the task's stream")
    filtered = logs.filter_log_events(logGroupName=stack.log_group, logStreamNames=[stream])["events"]
    assert filtered and all(e["logStreamName"] == stream for e in filtered)


def test_scaling_to_two_adds_a_container_and_a_target(ecs_sandbox: SandboxHandle, stack: Stack,
                                                      docker_client: Any) -> None:
    ecs_sandbox.client("ecs").update_service(cluster=stack.cluster, service=stack.service, desiredCount=2)

    wait_for(lambda: _one_running_and_healthy(ecs_sandbox, stack, 2), "two running tasks, healthy in blue")
    assert len({c.id for c in sandbox_containers(docker_client, ecs_sandbox)}) == 2
    addresses = {ip for ip, _ in healthy_ids(ecs_sandbox, stack.blue)}
    assert len(addresses) == 2
    cluster = ecs_sandbox.client("ecs").describe_clusters(clusters=[stack.cluster])["clusters"][0]
    assert cluster["runningTasksCount"] == 2


def test_a_stopped_task_is_drained_stopped_and_replaced(ecs_sandbox: SandboxHandle, stack: Stack,
                                                        docker_client: Any) -> None:
    ecs = ecs_sandbox.client("ecs")
    victim = running_tasks(ecs_sandbox, stack)[0]
    victim_ip = victim["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    runtime_id = victim["containers"][0]["runtimeId"]

    stopping = ecs.stop_task(cluster=stack.cluster, task=victim["taskArn"], reason="test says stop")["task"]
    assert stopping["desiredStatus"] == "STOPPED" and stopping["stoppedReason"] == "test says stop"

    stopped = wait_for(lambda: (lambda t: t if t["lastStatus"] == "STOPPED" else None)(
        ecs.describe_tasks(cluster=stack.cluster, tasks=[victim["taskArn"]])["tasks"][0]), "the task stops")
    assert stopped["stopCode"] == "UserInitiated" and stopped["attachments"][0]["status"] == "DELETED"
    assert victim["taskArn"] in ecs.list_tasks(cluster=stack.cluster, desiredStatus="STOPPED")["taskArns"]
    assert runtime_id not in {c.id for c in sandbox_containers(docker_client, ecs_sandbox)}
    wait_for(lambda: _one_running_and_healthy(ecs_sandbox, stack, 2), "a replacement runs")
    assert victim_ip not in {ip for ip, _ in healthy_ids(ecs_sandbox, stack.blue)}


def test_an_essential_container_that_exits_stops_its_task_which_is_replaced(
        ecs_sandbox: SandboxHandle, stack: Stack, docker_client: Any) -> None:
    ecs = ecs_sandbox.client("ecs")
    victim = running_tasks(ecs_sandbox, stack)[0]
    docker_client.containers.get(victim["containers"][0]["runtimeId"]).kill()

    stopped = wait_for(lambda: (lambda t: t if t["lastStatus"] == "STOPPED" else None)(
        ecs.describe_tasks(cluster=stack.cluster, tasks=[victim["taskArn"]])["tasks"][0]), "the task stops")
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["containers"][0]["exitCode"] == 137
    wait_for(lambda: _one_running_and_healthy(ecs_sandbox, stack, 2), "a replacement runs")


def test_the_task_set_api_and_a_new_task_definition_are_refused_as_on_aws(ecs_sandbox: SandboxHandle,
                                                                          stack: Stack) -> None:
    ecs = ecs_sandbox.client("ecs")
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="only supports task set management"):
        ecs.create_task_set(cluster=stack.cluster, service=stack.service, taskDefinition=stack.task_definition)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="Unable to update task definition"):
        ecs.update_service(cluster=stack.cluster, service=stack.service, taskDefinition=f"{stack.name}:2")
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="Cannot force a new deployment"):
        ecs.update_service(cluster=stack.cluster, service=stack.service, forceNewDeployment=True)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="not idempotent"):
        ecs.create_service(cluster=stack.cluster, serviceName=stack.service, taskDefinition=stack.task_definition,
                           desiredCount=1, deploymentController={"type": "CODE_DEPLOY"})


def test_deleting_the_service_leaves_no_container_and_then_the_cluster_goes(
        ecs_sandbox: SandboxHandle, stack: Stack, docker_client: Any) -> None:
    ecs = ecs_sandbox.client("ecs")
    with pytest.raises(ecs.exceptions.ClusterContainsServicesException):
        ecs.delete_cluster(cluster=stack.cluster)

    deleted = ecs.delete_service(cluster=stack.cluster, service=stack.service, force=True)["service"]
    assert deleted["status"] == "DRAINING"
    assert ecs.list_services(cluster=stack.cluster)["serviceArns"] == []

    wait_for(lambda: service(ecs_sandbox, stack)["status"] == "INACTIVE", "the service turns INACTIVE")
    assert sandbox_containers(docker_client, ecs_sandbox) == []
    assert healthy_ids(ecs_sandbox, stack.blue) == []
    assert ecs.list_tasks(cluster=stack.cluster)["taskArns"] == []

    ecs.delete_cluster(cluster=stack.cluster)
    assert ecs.describe_clusters(clusters=[stack.cluster])["clusters"][0]["status"] == "INACTIVE"
    assert all(not arn.endswith(f"/{stack.cluster}") for arn in ecs.list_clusters()["clusterArns"])


def test_stopping_the_sandbox_leaves_no_container_and_no_listening_port(
        ecs_sandbox: SandboxHandle, image: Image, docker_client: Any) -> None:
    last = provision(ecs_sandbox, image.uri, "last")
    wait_for(lambda: _one_running_and_healthy(ecs_sandbox, last, 1), "the last stack's task runs")
    assert listening(last.dns, last.production_port) and sandbox_containers(docker_client, ecs_sandbox)

    ecs_sandbox.stop()

    assert sandbox_containers(docker_client, ecs_sandbox) == []
    assert not listening(last.dns, last.production_port)
    assert not listening(last.dns, last.test_port)
