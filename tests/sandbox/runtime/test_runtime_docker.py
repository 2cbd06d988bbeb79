"""The task runtime on a real Docker engine, pulling from a real sandbox's ECR registry.

One image for the module (see conftest); each test has its own runtime, closed at its end.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from runtime_support import PORT, TEST_LABELS, http_get, labelled, new_task_id, registry_auth, spec_for, wait_for_status

from bluegreen.sandbox.runtime import (
    ESSENTIAL_CONTAINER_EXITED,
    ESSENTIAL_EXITED_REASON,
    PENDING,
    RUNNING,
    SERVICE_SCHEDULER_INITIATED,
    STOPPED,
    STOPPED_BY_USER_REASON,
    TASK_FAILED_TO_START,
    USER_INITIATED,
    DockerRuntime,
    runtime_for,
    scaling_reason,
)
from bluegreen.sandbox.runtime import labels as L

pytestmark = pytest.mark.docker


def web_container(image: str, **extra: Any) -> dict[str, Any]:
    return {"name": "web", "image": image, "portMappings": [{"containerPort": PORT, "protocol": "tcp"}], **extra}


def test_task_from_an_ecr_uri_runs_serves_logs_and_stops(
    runtime: DockerRuntime, web_image: Any, docker_client: Any
) -> None:
    task_id = new_task_id()
    command = [
        "/bin/busybox",
        "sh",
        "-c",
        f"echo hello-from-{task_id}; exec /bin/busybox httpd -f -v -p {PORT} -h /www",
    ]
    log_config = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web"}}
    spec = spec_for(task_id, [web_container(web_image.ecr_uri, command=command, logConfiguration=log_config)])
    assert spec.container("web").log_stream == f"web/web/{task_id}"

    started = runtime.start(spec)

    assert started.status.last_status == RUNNING, started.status
    host, port = started.ports[("web", PORT)]
    assert host == "127.0.0.1"
    assert web_image.nonce in http_get(host, port)
    web = started.status.container("web")
    assert web.image_digest == web_image.digest  # pulled from the sandbox's ECR, not a local copy
    (container,) = labelled(docker_client, task_id=task_id)
    assert container.labels[L.SANDBOX] == runtime.instance_id
    assert container.labels[L.PID] == str(os.getpid())
    assert container.labels[L.TASK_ARN] == spec.task_arn
    assert (container.labels[L.CLUSTER], container.labels[L.SERVICE]) == ("runtime-cluster", "web-service")
    assert (container.labels[L.TASK_SET], container.labels[L.STACK]) == ("ecs-svc/1234567890", "runtime-stack")
    assert container.attrs["HostConfig"]["PortBindings"][f"{PORT}/tcp"][0]["HostIp"] == "127.0.0.1"

    lines = runtime.logs(task_id, "web")
    hello = [event for event in lines if event[1] == f"hello-from-{task_id}"]
    assert len(hello) == 1, lines
    stamp = hello[0][0]
    assert started.status.created_at is not None
    assert int(started.status.created_at * 1000) - 1000 <= stamp <= int(time.time() * 1000)
    assert all(ms >= stamp + 1 for ms, _ in runtime.logs(task_id, "web", since=stamp + 1))
    assert f"hello-from-{task_id}" not in [m for _, m in runtime.logs(task_id, "web", since=stamp + 1)]

    stopped = runtime.stop(task_id, STOPPED_BY_USER_REASON)

    assert (stopped.last_status, stopped.desired_status) == (STOPPED, STOPPED)
    assert (stopped.stopped_reason, stopped.stop_code) == (STOPPED_BY_USER_REASON, USER_INITIATED)
    assert stopped.container("web").exit_code is not None
    assert labelled(docker_client, task_id=task_id) == []
    assert runtime.status(task_id) == stopped
    assert (stamp, f"hello-from-{task_id}") in runtime.logs(task_id, "web")  # the stream outlives the task


def test_start_answers_at_once_and_a_stop_during_the_pull_wins(
    sandbox: Any, web_image: Any, docker_client: Any
) -> None:
    import docker

    pulling, release = threading.Event(), threading.Event()

    def gated_client() -> Any:
        client = docker.from_env()
        real_pull = client.api.pull

        def pull(*args: Any, **kwargs: Any) -> Any:
            pulling.set()
            release.wait(30)
            return real_pull(*args, **kwargs)

        client.api.pull = pull
        return client

    runtime = DockerRuntime(gated_client, sandbox.registry_host, registry_auth(sandbox), poll_interval_s=0.1)
    task_id = new_task_id()
    try:
        launched = runtime.start_async(spec_for(task_id, [web_container(web_image.sandbox_uri)]))
        assert pulling.wait(10)
        during = runtime.status(task_id)
        assert during.last_status == PENDING and not launched.done()  # the pull is held: nothing blocks on it

        stopping = runtime.stop_async(task_id, scaling_reason("ecs-svc/42"), SERVICE_SCHEDULER_INITIATED)
        assert runtime.status(task_id).desired_status == STOPPED
        release.set()
        final = stopping.result(timeout=30)

        assert final.last_status == STOPPED
        assert final.stopped_reason == "Scaling activity initiated by (deployment ecs-svc/42)"
        assert final.stop_code == SERVICE_SCHEDULER_INITIATED
        assert launched.result(timeout=30).status.last_status != RUNNING
        assert labelled(docker_client, task_id=task_id) == []  # no container was ever created
    finally:
        release.set()
        runtime.close()


def test_an_essential_container_that_exits_stops_the_task(
    runtime: DockerRuntime, web_image: Any, docker_client: Any
) -> None:
    task_id = new_task_id()
    exiting = ["/bin/busybox", "sh", "-c", "echo going-away; exit 3"]
    spec = spec_for(
        task_id,
        [
            {"name": "main", "image": web_image.sandbox_uri, "command": exiting},
            web_container(web_image.sandbox_uri, name="sidecar", essential=False),
        ],
    )
    runtime.start_async(spec)

    final = wait_for_status(runtime, task_id, lambda s: s.last_status == STOPPED)

    assert final.stopped_reason == ESSENTIAL_EXITED_REASON == "Essential container in task exited"
    assert final.stop_code == ESSENTIAL_CONTAINER_EXITED
    assert final.container("main").exit_code == 3
    assert all(c.last_status == STOPPED for c in final.containers)
    assert labelled(docker_client, task_id=task_id) == []  # the sidecar went with it
    assert "going-away" in [line for _, line in runtime.logs(task_id, "main")]


def test_a_non_essential_container_that_exits_leaves_the_task_running(runtime: DockerRuntime, web_image: Any) -> None:
    task_id = new_task_id()
    helper = {"name": "helper", "image": web_image.sandbox_uri, "essential": False, "command": ["/bin/busybox", "true"]}
    started = runtime.start(spec_for(task_id, [web_container(web_image.sandbox_uri), helper]))
    assert started.status.last_status == RUNNING, started.status

    status = wait_for_status(runtime, task_id, lambda s: s.container("helper").last_status == STOPPED)

    assert status.container("helper").exit_code == 0
    assert status.last_status == RUNNING and status.stopped_reason is None
    assert web_image.nonce in http_get(*started.ports[("web", PORT)])


@pytest.mark.parametrize(
    ("reference", "engine_says"),
    [
        # the repository exists, the tag does not: the registry's MANIFEST_UNKNOWN, relayed
        ("{registry}/runtime-web:no-such-tag", "Error response from daemon: manifest for "),
        # an ECR URI of a repository the sandbox does not have: NAME_UNKNOWN, relayed
        ("{ecr}/no-such-repository:v1", "Error response from daemon: repository "),
        # another registry: never contacted, so the words are the sandbox's
        ("docker.io/library/bluegreen-absent:never", "the sandbox pulls only from its own registry"),
    ],
)
def test_an_image_that_cannot_be_pulled_stops_the_task_with_ecs_reason(
    runtime: DockerRuntime, web_image: Any, sandbox: Any, docker_client: Any, reference: str, engine_says: str
) -> None:
    ecr_host = web_image.ecr_uri.split("/", 1)[0]
    image = reference.format(registry=sandbox.registry_host, ecr=ecr_host)
    task_id = new_task_id()

    result = runtime.start(spec_for(task_id, [web_container(image)]))

    status = result.status
    assert (status.last_status, status.stop_code) == (STOPPED, TASK_FAILED_TO_START)
    assert status.stopped_reason is not None
    assert status.stopped_reason.startswith("CannotPullContainerError: "), status
    assert engine_says in status.stopped_reason
    assert status.container("web").reason == status.stopped_reason
    assert result.ports == {}
    assert labelled(docker_client, task_id=task_id) == []
    assert runtime.logs(task_id, "web") == []


@pytest.fixture
def foreign_containers(docker_client: Any, web_image: Any) -> Iterator[dict[str, Any]]:
    """Containers other sandboxes left: one whose process is dead, one whose process lives, one
    from another host (whose pid means nothing here). Created, never started."""
    with subprocess.Popen(["true"]) as finished:
        finished.wait()
    dead_pid = finished.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(dead_pid, 0)
        pytest.skip(f"pid {dead_pid} was reused at once")
    made: dict[str, Any] = {}
    cases = {
        "dead": (dead_pid, L.this_host()),
        "alive": (os.getpid(), L.this_host()),
        "elsewhere": (dead_pid, "another-host"),
    }
    try:
        for case, (pid, host) in cases.items():
            labels = {**TEST_LABELS, L.SANDBOX: f"{pid}-{case}", L.PID: str(pid), L.HOST: host}
            made[case] = docker_client.containers.create(web_image.local_tag, labels=labels)
        yield made
    finally:
        for container in made.values():
            with contextlib.suppress(Exception):
                container.remove(force=True)


def test_sweep_removes_only_containers_of_dead_sandboxes_of_this_host(
    runtime: DockerRuntime, foreign_containers: dict[str, Any], docker_client: Any
) -> None:
    removed = runtime.sweep_orphans()

    remaining = {c.id for c in docker_client.containers.list(all=True, filters={"label": L.SANDBOX})}
    assert foreign_containers["dead"].id not in remaining
    # Every sandbox that starts sweeps too: in a parallel run another one may have removed the
    # dead sandbox's container first. Never may a sweep take a living one's, or another host's.
    assert foreign_containers["alive"].name not in removed and foreign_containers["elsewhere"].name not in removed
    assert foreign_containers["alive"].id in remaining
    assert foreign_containers["elsewhere"].id in remaining


def test_stop_all_and_close_leave_no_container_and_no_pulled_image(
    sandbox: Any, web_image: Any, docker_client: Any
) -> None:
    import docker

    runtime = runtime_for(sandbox.registry_host, registry_auth(sandbox), time_scale=4)
    assert isinstance(runtime, DockerRuntime) and not runtime.simulated
    try:
        ids = [new_task_id(), new_task_id()]
        futures = [runtime.start_async(spec_for(i, [web_container(web_image.sandbox_uri)])) for i in ids]
        assert [f.result(timeout=30).status.last_status for f in futures] == [RUNNING, RUNNING]
        assert len(labelled(docker_client, sandbox=runtime.instance_id)) == 2

        runtime.stop_all()

        assert [runtime.status(i).last_status for i in ids] == [STOPPED, STOPPED]
        assert labelled(docker_client, sandbox=runtime.instance_id) == []
    finally:
        runtime.close()
    with pytest.raises(docker.errors.ImageNotFound):  # the runtime pulled this reference; it is gone
        docker_client.images.get(web_image.sandbox_uri)
    with pytest.raises(RuntimeError):
        runtime.start_async(spec_for(new_task_id(), [web_container(web_image.sandbox_uri)]))
