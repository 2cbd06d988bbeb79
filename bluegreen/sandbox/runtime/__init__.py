"""The task runtime: ECS tasks as containers on the local Docker engine, or simulated without one.

Self-contained: the ECS emulation builds a :class:`TaskSpec` from a task definition and asks a
:class:`TaskRuntime` (from :func:`runtime_for`) to start, watch, read and stop it. How tasks map to
containers, labels, ports, logs and the ECS reasons used: docs/sandbox-runtime.md.
"""

from .choose import TASK_MODES, runtime_for
from .docker_runtime import DockerRuntime
from .images import RegistryAuth, sandbox_reference, token_auth
from .protocol import TaskRuntime
from .simulated import SimulatedRuntime
from .spec import ContainerSpec, PortMapping, TaskSpec
from .status import (
    DEPROVISIONING,
    ESSENTIAL_CONTAINER_EXITED,
    ESSENTIAL_EXITED_REASON,
    PENDING,
    PROVISIONING,
    RUNNING,
    SERVICE_SCHEDULER_INITIATED,
    STOPPED,
    STOPPED_BY_USER_REASON,
    TASK_FAILED_TO_START,
    USER_INITIATED,
    ContainerStatus,
    NetworkBinding,
    RunningTask,
    TaskStatus,
    scaling_reason,
    simulated_reason,
)

__all__ = [
    "DEPROVISIONING",
    "ESSENTIAL_CONTAINER_EXITED",
    "ESSENTIAL_EXITED_REASON",
    "PENDING",
    "PROVISIONING",
    "RUNNING",
    "SERVICE_SCHEDULER_INITIATED",
    "STOPPED",
    "STOPPED_BY_USER_REASON",
    "TASK_FAILED_TO_START",
    "TASK_MODES",
    "USER_INITIATED",
    "ContainerSpec",
    "ContainerStatus",
    "DockerRuntime",
    "NetworkBinding",
    "PortMapping",
    "RegistryAuth",
    "RunningTask",
    "SimulatedRuntime",
    "TaskRuntime",
    "TaskSpec",
    "TaskStatus",
    "runtime_for",
    "sandbox_reference",
    "scaling_reason",
    "simulated_reason",
    "token_auth",
]
