"""Helpers for the task runtime tests: specs, bounded waits, loopback HTTP, labelled containers."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from bluegreen.sandbox.runtime import TaskSpec, TaskStatus, token_auth

RUN_ID = uuid.uuid4().hex[:10]
TEST_LABELS = {"bluegreen-test": "runtime", "bluegreen-test-run": RUN_ID}
PORT = 8080  # busybox httpd's port inside the test image

# never through a proxy: every request of these tests goes to 127.0.0.1 only
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def spec_for(task_id: str, containers: list[dict[str, Any]], *, family: str = "runtime-test") -> TaskSpec:
    return TaskSpec.from_task_definition(
        {"family": family, "revision": 2, "containerDefinitions": containers},
        task_id=task_id,
        cluster="runtime-cluster",
        task_arn=f"arn:aws:ecs:us-east-1:123456789012:task/runtime-cluster/{task_id}",
        service="web-service",
        task_set_id="ecs-svc/1234567890",
        stack="runtime-stack",
    )


def new_task_id() -> str:
    return uuid.uuid4().hex


def wait_for_status(
    runtime: Any, task_id: str, predicate: Callable[[TaskStatus], bool], limit_s: float = 20.0
) -> TaskStatus:
    """Poll until the predicate holds: a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + limit_s
    while True:
        status: TaskStatus = runtime.status(task_id)
        if predicate(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} never reached the expected state: {status}")
        time.sleep(0.05)


def http_get(host: str, port: int, path: str = "/", limit_s: float = 10.0) -> str:
    """GET on loopback, retried while the server inside the container is still binding."""
    assert host == "127.0.0.1", host
    deadline = time.monotonic() + limit_s
    while True:
        try:
            with _OPENER.open(f"http://{host}:{port}{path}", timeout=2) as answer:
                return str(answer.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def labelled(docker_client: Any, **labels: str) -> list[Any]:
    """Containers (running or not) carrying every given label; keys use '_' for '.' and '-'."""
    wanted = [f"{_key(k)}={v}" for k, v in labels.items()]
    return list(docker_client.containers.list(all=True, filters={"label": wanted}))


def _key(name: str) -> str:
    return {"sandbox": "bluegreen.sandbox", "task_id": "bluegreen.sandbox.task-id"}.get(name, name)


def registry_auth(sandbox: Any) -> Callable[[], dict[str, str]]:
    """Credentials for the sandbox registry, from its ECR GetAuthorizationToken."""
    token = sandbox.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return token_auth(token, sandbox.registry_host)
