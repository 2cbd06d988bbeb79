"""What to run: a task as ECS describes it, reduced to what a container engine needs.

Built from a task definition as RegisterTaskDefinition / DescribeTaskDefinition shape it, so the
ECS emulation passes its own records through unchanged. Frozen: a spec is shared between the
request thread that starts a task and the worker that runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    host_port: int | None = None  # as registered; the runtime publishes on a random loopback port
    protocol: str = "tcp"


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    port_mappings: tuple[PortMapping, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    command: tuple[str, ...] | None = None
    entry_point: tuple[str, ...] | None = None
    essential: bool = True
    cpu: int | None = None  # CPU units
    memory: int | None = None  # hard limit, MiB
    memory_reservation: int | None = None  # soft limit, MiB
    log_group: str | None = None  # awslogs-group, when the log driver is awslogs
    log_stream: str | None = None  # prefix/container-name/task-id, when a stream prefix is set

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any], task_id: str) -> ContainerSpec:
        """One entry of ``containerDefinitions``. ``essential`` defaults to true, as on ECS."""
        name, image = definition.get("name"), definition.get("image")
        if not isinstance(name, str) or not name or not isinstance(image, str) or not image:
            raise ValueError(f"a container definition needs a name and an image: {dict(definition)!r}")
        group, stream = _awslogs(definition.get("logConfiguration"), name, task_id)
        return cls(
            name=name,
            image=image,
            port_mappings=tuple(
                PortMapping(
                    int(p["containerPort"]),
                    int(p["hostPort"]) if p.get("hostPort") is not None else None,
                    str(p.get("protocol") or "tcp").lower(),
                )
                for p in definition.get("portMappings") or []
                if p.get("containerPort") is not None
            ),
            environment=tuple(
                (str(e["name"]), str(e.get("value", ""))) for e in definition.get("environment") or [] if e.get("name")
            ),
            command=_strings(definition.get("command")),
            entry_point=_strings(definition.get("entryPoint")),
            essential=bool(definition.get("essential", True)),
            cpu=_int(definition.get("cpu")),
            memory=_int(definition.get("memory")),
            memory_reservation=_int(definition.get("memoryReservation")),
            log_group=group,
            log_stream=stream,
        )


@dataclass(frozen=True)
class TaskSpec:
    task_id: str
    cluster: str
    family: str
    revision: int
    containers: tuple[ContainerSpec, ...]
    task_arn: str | None = None
    service: str | None = None
    task_set_id: str | None = None
    stack: str | None = None  # the stack tag's value, when the emulation knows it

    def __post_init__(self) -> None:
        names = [c.name for c in self.containers]
        if not names:
            raise ValueError("a task needs at least one container")
        if len(set(names)) != len(names):
            raise ValueError(f"container names repeat in task {self.task_id}: {names}")
        if not any(c.essential for c in self.containers):
            # RegisterTaskDefinition refuses such a definition; a spec never carries one
            raise ValueError("a task needs at least one essential container")

    @property
    def task_definition(self) -> str:
        return f"{self.family}:{self.revision}"

    def container(self, name: str) -> ContainerSpec:
        for c in self.containers:
            if c.name == name:
                return c
        raise KeyError(f"task {self.task_id} has no container named {name!r}")

    @classmethod
    def from_task_definition(
        cls,
        task_definition: Mapping[str, Any],
        *,
        task_id: str,
        cluster: str,
        task_arn: str | None = None,
        service: str | None = None,
        task_set_id: str | None = None,
        stack: str | None = None,
    ) -> TaskSpec:
        """From a task definition as DescribeTaskDefinition returns it (``family``, ``revision``,
        ``containerDefinitions``)."""
        return cls(
            task_id=task_id,
            cluster=cluster,
            family=str(task_definition["family"]),
            revision=int(task_definition.get("revision", 1)),
            containers=tuple(
                ContainerSpec.from_definition(d, task_id) for d in task_definition.get("containerDefinitions") or []
            ),
            task_arn=task_arn,
            service=service,
            task_set_id=task_set_id,
            stack=stack,
        )


def _awslogs(config: Any, container: str, task_id: str) -> tuple[str | None, str | None]:
    """Log group and stream of an awslogs log configuration. With a stream prefix ECS names the
    stream ``prefix/container-name/task-id``; without one it is the Docker container id, which
    only exists once the container runs, so the spec leaves it unknown (None)."""
    if not isinstance(config, Mapping) or config.get("logDriver") != "awslogs":
        return None, None
    options = config.get("options") or {}
    prefix = options.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container}/{task_id}" if prefix else None
    return options.get("awslogs-group"), stream


def _strings(value: Iterable[Any] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
