"""One ECS container definition as one Docker container: how it is created, where its ports
are, and how it is stopped with its exit code and output kept. No task state lives here."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from .logs import MAX_ARCHIVED_LINES, parse_timestamped
from .spec import ContainerSpec, TaskSpec
from .status import NetworkBinding

LOOPBACK = "127.0.0.1"
LIVE_STATES = {"created", "running", "restarting", "paused"}


def create_arguments(task: TaskSpec, spec: ContainerSpec, image: str, labels: dict[str, str]) -> dict[str, Any]:
    """docker-py ``containers.create`` arguments. Every containerPort is published on loopback
    with a port the engine picks: tasks of one service share container ports."""
    kwargs: dict[str, Any] = {
        "image": image,
        "name": container_name(task, spec),
        "labels": labels,
        "environment": dict(spec.environment),
        "ports": {f"{p.container_port}/{p.protocol}": (LOOPBACK, None) for p in spec.port_mappings},
        "detach": True,
    }
    if spec.command is not None:
        kwargs["command"] = list(spec.command)
    if spec.entry_point is not None:
        kwargs["entrypoint"] = list(spec.entry_point)
    if spec.memory:
        kwargs["mem_limit"] = f"{spec.memory}m"
    if spec.memory_reservation:
        kwargs["mem_reservation"] = f"{spec.memory_reservation}m"
    if spec.cpu and spec.cpu >= 2:  # CPU units are relative shares; the engine's minimum is 2
        kwargs["cpu_shares"] = spec.cpu
    return kwargs


def container_name(task: TaskSpec, container: ContainerSpec) -> str:
    """Like the ECS agent's ``ecs-<family>-<revision>-<container>-<id>``, in the engine's alphabet."""
    raw = f"ecs-{task.family}-{task.revision}-{container.name}-{task.task_id}"
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", raw)[:200]


def read_bindings(container: Any, spec: ContainerSpec, wait_s: float = 2.0) -> tuple[NetworkBinding, ...]:
    """The engine fills in the chosen host ports as the container starts; a container that
    already exited has none."""
    if not spec.port_mappings:
        return ()
    deadline = time.monotonic() + wait_s
    while True:
        container.reload()
        ports = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
        out = []
        for p in spec.port_mappings:
            for entry in ports.get(f"{p.container_port}/{p.protocol}") or []:
                if entry.get("HostIp") in (LOOPBACK, "") and entry.get("HostPort"):
                    out.append(NetworkBinding(LOOPBACK, p.container_port, int(entry["HostPort"]), p.protocol))
                    break
        if len(out) == len(spec.port_mappings) or container.status not in LIVE_STATES:
            return tuple(out)
        if time.monotonic() > deadline:
            return tuple(out)
        time.sleep(0.05)


def stop_and_collect(client: Any, runtime_id: str, stop_timeout: int) -> tuple[int | None, list[tuple[int, str]]]:
    """``docker stop`` (SIGTERM, SIGKILL after ``stop_timeout`` s), then the exit code and the
    output (the last lines, bounded). (None, []) when the container is already gone."""
    import docker

    try:
        container = client.containers.get(runtime_id)
        if container.status in LIVE_STATES:
            container.stop(timeout=stop_timeout)
            container.reload()
        exit_code = container.attrs.get("State", {}).get("ExitCode")
        output = container.logs(stdout=True, stderr=True, timestamps=True)
    except docker.errors.NotFound:
        return None, []
    return exit_code, parse_timestamped(output)[-MAX_ARCHIVED_LINES:]


def remove(client: Any, runtime_id: str) -> None:
    import docker

    with contextlib.suppress(docker.errors.NotFound):  # gone already: what was wanted
        client.api.remove_container(runtime_id, force=True)
