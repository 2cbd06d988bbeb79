"""The runtime's pure parts: image references, task specs, log lines, orphan labels. No engine."""

from __future__ import annotations

import base64

import pytest

from bluegreen.sandbox.runtime import ContainerSpec, PortMapping, TaskSpec, sandbox_reference, token_auth
from bluegreen.sandbox.runtime import labels as L
from bluegreen.sandbox.runtime.images import split_reference
from bluegreen.sandbox.runtime.logs import parse_rfc3339_ms, parse_timestamped

REGISTRY = "127.0.0.1:4599"
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2", f"{REGISTRY}/web:v2"),
        ("123456789012.dkr.ecr.eu-west-3.amazonaws.com/team/web", f"{REGISTRY}/team/web"),
        (f"123456789012.dkr.ecr.us-east-1.amazonaws.com/web@{DIGEST}", f"{REGISTRY}/web@{DIGEST}"),
        (f"{REGISTRY}/web:v1", f"{REGISTRY}/web:v1"),  # the sandbox's own repositoryUri
        ("localhost:4599/web:v1", f"{REGISTRY}/web:v1"),
        ("localhost:4600/web:v1", None),  # another port: another registry
        ("nginx:latest", None),  # Docker Hub: never pulled
        ("public.ecr.aws/nginx/nginx:1", None),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/web:v1", None),
    ],
)
def test_ecr_references_map_to_the_sandbox_registry(image: str, expected: str | None) -> None:
    assert sandbox_reference(image, REGISTRY) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (f"{REGISTRY}/web:v1", (f"{REGISTRY}/web", "v1")),
        (f"{REGISTRY}/web", (f"{REGISTRY}/web", "latest")),
        (f"{REGISTRY}/team/web@{DIGEST}", (f"{REGISTRY}/team/web", DIGEST)),
        (f"{REGISTRY}/web:v1@{DIGEST}", (f"{REGISTRY}/web", DIGEST)),
    ],
)
def test_references_split_as_the_pull_api_takes_them(reference: str, expected: tuple[str, str]) -> None:
    assert split_reference(reference) == expected


def test_token_auth_decodes_the_ecr_token() -> None:
    token = base64.b64encode(b"AWS:s3cret:with-colon").decode()
    assert token_auth(token, REGISTRY)() == {
        "username": "AWS",
        "password": "s3cret:with-colon",
        "serveraddress": f"http://{REGISTRY}",
    }


TASK_DEFINITION = {
    "family": "web",
    "revision": 7,
    "containerDefinitions": [
        {
            "name": "app",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2",
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "environment": [{"name": "VERSION", "value": "2"}],
            "command": ["httpd", "-f"],
            "cpu": 256,
            "memory": 512,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"},
            },
        },
        {"name": "sidecar", "image": "127.0.0.1:4599/side", "essential": False},
    ],
}


def test_a_spec_is_read_from_a_task_definition() -> None:
    spec = TaskSpec.from_task_definition(TASK_DEFINITION, task_id="0123abcd", cluster="c", service="s")

    assert spec.task_definition == "web:7"
    app = spec.container("app")
    assert app.port_mappings == (PortMapping(80, 80, "tcp"),)
    assert app.environment == (("VERSION", "2"),)
    assert (app.command, app.entry_point, app.essential) == (("httpd", "-f"), None, True)
    assert (app.cpu, app.memory, app.memory_reservation) == (256, 512, None)
    assert (app.log_group, app.log_stream) == ("/ecs/web", "ecs/app/0123abcd")  # prefix/container/task-id
    sidecar = spec.container("sidecar")
    assert not sidecar.essential and (sidecar.log_group, sidecar.log_stream) == (None, None)


def test_a_spec_needs_an_essential_container_and_unique_names() -> None:
    side = ContainerSpec("side", "img", essential=False)
    with pytest.raises(ValueError, match="essential"):
        TaskSpec("t", "c", "f", 1, (side,))
    with pytest.raises(ValueError, match="repeat"):
        TaskSpec("t", "c", "f", 1, (ContainerSpec("a", "img"), ContainerSpec("a", "img")))
    with pytest.raises(ValueError, match="name and an image"):
        ContainerSpec.from_definition({"name": "a"}, "t")


def test_engine_log_lines_become_millisecond_events() -> None:
    output = b"2026-05-09T07:35:25.123456789Z hello\n2026-05-09T07:35:26Z second\r\ncontinued without a stamp\n"
    base = parse_rfc3339_ms("2026-05-09T07:35:25Z")
    assert base is not None
    assert parse_timestamped(output) == [
        (base + 123, "hello"),
        (base + 1000, "second"),
        (base + 1000, "continued without a stamp"),
    ]
    assert parse_rfc3339_ms("yesterday") is None


def test_an_orphan_is_a_container_of_a_dead_sandbox_process_of_this_host() -> None:
    here = L.this_host()

    def labels(instance: str, pid: int, host: str = here) -> dict[str, str]:
        return {L.SANDBOX: instance, L.PID: str(pid), L.HOST: host}

    def alive(pid: int) -> bool:
        return pid != 41

    assert L.is_orphan(labels("old", 41), "mine", alive)
    assert not L.is_orphan(labels("other", 42), "mine", alive)  # its sandbox still runs
    assert not L.is_orphan(labels("mine", 41), "mine", alive)  # never its own
    assert not L.is_orphan(labels("old", 41, "another-host"), "mine", alive)
    assert not L.is_orphan({"unrelated": "x"}, "mine", alive)
