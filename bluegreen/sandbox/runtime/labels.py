"""Docker labels on every container the runtime starts: who started it and for which task.

``bluegreen.sandbox`` names the runtime instance, so ``stop_all`` and the monitor list only their
own containers. The pid and host labels let the next sandbox tell a leftover from a live one: a
container whose sandbox process is gone is an orphan. The host (this machine's hostname, i.e. the
pid namespace the pid belongs to) keeps a sandbox from judging pids of another machine or
container that shares the Docker engine.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Mapping

from .spec import ContainerSpec, TaskSpec

SANDBOX = "bluegreen.sandbox"
PID = "bluegreen.sandbox.pid"
HOST = "bluegreen.sandbox.host"
TASK_ID = "bluegreen.sandbox.task-id"
TASK_ARN = "bluegreen.sandbox.task-arn"
TASK_DEFINITION = "bluegreen.sandbox.task-definition"
CLUSTER = "bluegreen.sandbox.cluster"
SERVICE = "bluegreen.sandbox.service"
TASK_SET = "bluegreen.sandbox.task-set"
STACK = "bluegreen.sandbox.stack"
CONTAINER = "bluegreen.sandbox.container"
IMAGE = "bluegreen.sandbox.image"  # the reference the runtime pulled, for the sweep to untag


def new_instance_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def this_host() -> str:
    return socket.gethostname()


def container_labels(instance_id: str, spec: TaskSpec, container: ContainerSpec, pulled: str | None) -> dict[str, str]:
    labels = {
        SANDBOX: instance_id,
        PID: str(os.getpid()),
        HOST: this_host(),
        TASK_ID: spec.task_id,
        TASK_DEFINITION: spec.task_definition,
        CLUSTER: spec.cluster,
        CONTAINER: container.name,
    }
    optional = {TASK_ARN: spec.task_arn, SERVICE: spec.service, TASK_SET: spec.task_set_id, STACK: spec.stack}
    labels.update({k: v for k, v in optional.items() if v})
    if pulled:
        labels[IMAGE] = pulled
    return labels


def is_orphan(labels: Mapping[str, str], own_instance: str, alive: Callable[[int], bool]) -> bool:
    """A container some other, now dead, sandbox process of this host started."""
    if SANDBOX not in labels or labels.get(SANDBOX) == own_instance:
        return False
    if labels.get(HOST) != this_host():
        return False  # its pid means nothing here
    pid = labels.get(PID, "")
    return pid.isdigit() and not alive(int(pid))
