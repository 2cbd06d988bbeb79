"""What the deployment engine remembers: deployments, their one ECS target, its lifecycle events
and the two task sets it moves traffic between.

Plain data: :mod:`.lifecycle` changes it (under the engine's lock), :mod:`.api` renders it in
CodeDeploy's JSON shapes. Times are epoch seconds (the JSON protocol's timestamps).
"""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass, field
from typing import Any

# Deployment statuses (DeploymentStatus) an ECS deployment goes through. AWS's enum also has
# Queued and Baking: an ECS group refuses a second deployment instead of queueing it, and
# Baking belongs to other platforms, so neither is ever shown here.
CREATED = "Created"
IN_PROGRESS = "InProgress"
READY = "Ready"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"
ACTIVE = (CREATED, IN_PROGRESS, READY)  # one of these per group at a time
DONE = (SUCCEEDED, FAILED, STOPPED)

# Target and lifecycle event statuses (TargetStatus, LifecycleEventStatus).
PENDING = "Pending"
SKIPPED = "Skipped"

# The lifecycle events of an ECS deployment in the order they run ("What happens during an
# Amazon ECS deployment"); the hook events are the ones an AppSpec may name a Lambda for.
BEFORE_INSTALL = "BeforeInstall"
INSTALL = "Install"
AFTER_INSTALL = "AfterInstall"
ALLOW_TEST_TRAFFIC = "AllowTestTraffic"
AFTER_ALLOW_TEST_TRAFFIC = "AfterAllowTestTraffic"
BEFORE_ALLOW_TRAFFIC = "BeforeAllowTraffic"
ALLOW_TRAFFIC = "AllowTraffic"
AFTER_ALLOW_TRAFFIC = "AfterAllowTraffic"
ECS_EVENTS = (
    BEFORE_INSTALL,
    INSTALL,
    AFTER_INSTALL,
    ALLOW_TEST_TRAFFIC,
    AFTER_ALLOW_TEST_TRAFFIC,
    BEFORE_ALLOW_TRAFFIC,
    ALLOW_TRAFFIC,
    AFTER_ALLOW_TRAFFIC,
)
HOOK_EVENTS = (BEFORE_INSTALL, AFTER_INSTALL, AFTER_ALLOW_TEST_TRAFFIC, BEFORE_ALLOW_TRAFFIC, AFTER_ALLOW_TRAFFIC)
# A rollback deployment only moves production traffic back (docs/sandbox-deployments.md).
ROLLBACK_EVENTS = (BEFORE_ALLOW_TRAFFIC, ALLOW_TRAFFIC, AFTER_ALLOW_TRAFFIC)

# Task set labels (TargetLabel).
BLUE = "Blue"
GREEN = "Green"

# Creators (DeploymentCreator).
CREATOR_USER = "user"
CREATOR_ROLLBACK = "codeDeployRollback"

# Auto-rollback events (AutoRollbackEvent).
ON_FAILURE = "DEPLOYMENT_FAILURE"
ON_STOP = "DEPLOYMENT_STOP_ON_REQUEST"

_ID_CHARS = string.ascii_uppercase + string.digits


def new_deployment_id() -> str:
    """``d-`` and nine capital letters or digits, the form of AWS's deployment ids."""
    return "d-" + "".join(random.choices(_ID_CHARS, k=9))


@dataclass
class Diagnostics:
    """What a lifecycle event says about itself (LifecycleEvent.diagnostics)."""

    error_code: str  # Success | ScriptMissing | ScriptNotExecutable | ScriptTimedOut | ScriptFailed | UnknownError
    message: str
    script_name: str = ""


@dataclass
class LifecycleEvent:
    name: str
    status: str = PENDING
    start: float | None = None
    end: float | None = None
    diagnostics: Diagnostics | None = None


@dataclass
class TaskSetInfo:
    """A task set as the deployment last saw it (kept after ECS deletes it, as AWS keeps showing
    the task sets of a finished deployment)."""

    label: str  # BLUE or GREEN
    arn: str
    identifier: str
    target_group_name: str
    target_group_arn: str
    status: str = "ACTIVE"
    desired: int = 0
    pending: int = 0
    running: int = 0
    weight: float = 0.0  # percent of production traffic, as the production listener says
    deleted: bool = False


@dataclass
class Target:
    """The ECS service a deployment updates (its only target)."""

    target_id: str  # <cluster>:<service>
    target_arn: str  # the service's ARN
    cluster: str
    service: str
    events: list[LifecycleEvent]
    status: str = PENDING
    last_updated: float = 0.0
    task_sets: dict[str, TaskSetInfo] = field(default_factory=dict)  # label -> task set

    def event(self, name: str) -> LifecycleEvent:
        return next(e for e in self.events if e.name == name)


@dataclass(frozen=True)
class GroupSnapshot:
    """The deployment group as the deployment found it at creation (later edits to the group do
    not reach a running deployment). Field values are the group's API shapes."""

    application: str
    name: str
    group_id: str
    service_role_arn: str
    config_name: str
    routing: dict[str, Any]  # the configuration's trafficRoutingConfig
    deployment_style: dict[str, Any]
    blue_green: dict[str, Any]
    load_balancer_info: dict[str, Any]
    ecs_services: list[dict[str, Any]]
    auto_rollback: dict[str, Any]
    alarms: dict[str, Any]

    def pair(self) -> dict[str, Any]:
        pairs = self.load_balancer_info.get("targetGroupPairInfoList") or [{}]
        return dict(pairs[0])

    def target_group_names(self) -> list[str]:
        return [str(tg.get("name")) for tg in self.pair().get("targetGroups") or [] if tg.get("name")]

    def listeners(self, route: str) -> list[str]:
        return [str(a) for a in (self.pair().get(route) or {}).get("listenerArns") or []]


@dataclass
class Deployment:
    deployment_id: str
    region: str
    group: GroupSnapshot
    revision: dict[str, Any] | None  # RevisionLocation as given (a rollback may have none)
    appspec: Any  # appspec.AppSpec
    create_time: float
    target: Target
    auto_rollback: dict[str, Any]  # the group's, or the request's override
    creator: str = CREATOR_USER
    description: str | None = None
    status: str = CREATED
    start_time: float | None = None
    complete_time: float | None = None
    error: tuple[str, str] | None = None  # errorInformation (code, message)
    rollback_info: dict[str, str] = field(default_factory=dict)
    status_messages: list[str] = field(default_factory=list)
    previous_revision: dict[str, Any] | None = None
    pass_roles: tuple[str, ...] = ()  # the task definition's roles CodeDeploy passes to ECS
    termination_wait_started: bool = False
    # what ContinueDeployment and StopDeployment ask of the worker
    continue_ready: bool = False
    continue_termination: bool = False
    stop_requested: bool = False
    stop_rollback: bool = False
    wake: threading.Event = field(default_factory=threading.Event, repr=False)
    # for a rollback deployment: the deployment whose traffic it moves back
    rolls_back: Deployment | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def rollback_enabled(self, event: str) -> bool:
        config = self.auto_rollback or {}
        return bool(config.get("enabled")) and event in (config.get("events") or [])
