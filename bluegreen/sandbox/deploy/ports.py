"""What the deployment engine works with, as interfaces: ECS task sets, and the public AWS APIs
CodeDeploy calls (ELBv2 listeners, Lambda for hooks, S3 for revisions).

ECS's task sets come from the sandbox's ECS engine (``handle.services["ecs"]``), which owns
them: the public CreateTaskSet is refused for a CODE_DEPLOY service, as on AWS, so CodeDeploy
reaches them through :class:`TaskSetControl`, and learns from it whether they are healthy (as
CodeDeploy learns it from ECS: its service role may not call DescribeTargetHealth). Listeners go
through the sandbox's public endpoint (:mod:`.frontdoor`), so the data plane sees the same
ModifyListener a user's call would make. Tests put in-memory stand-ins behind both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class TaskSetView(Protocol):
    """A task set as ECS reports it (the ECS engine's frozen dataclass)."""

    @property
    def arn(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def service_arn(self) -> str: ...
    @property
    def cluster_arn(self) -> str: ...
    @property
    def status(self) -> str: ...  # PRIMARY | ACTIVE | DRAINING
    @property
    def task_definition(self) -> str: ...
    @property
    def target_group_arn(self) -> str | None: ...
    @property
    def scale_percent(self) -> float: ...
    @property
    def computed_desired(self) -> int: ...
    @property
    def pending(self) -> int: ...
    @property
    def running(self) -> int: ...
    @property
    def healthy_targets(self) -> int: ...
    @property
    def stability(self) -> str: ...  # STEADY_STATE | STABILIZING
    @property
    def external_id(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class TaskSetControl(Protocol):
    def create_task_set(
        self,
        *,
        region: str,
        cluster: str,
        service: str,
        task_definition: str,
        target_group_arn: str,
        container_name: str,
        container_port: int,
        external_id: str | None = None,
        scale_percent: float = 100.0,
    ) -> TaskSetView: ...

    def update_scale(self, task_set_arn: str, percent: float) -> TaskSetView: ...

    def set_primary(self, task_set_arn: str) -> TaskSetView: ...

    def delete_task_set(self, task_set_arn: str) -> None: ...

    def get(self, task_set_arn: str) -> TaskSetView | None: ...

    def service_task_sets(self, *, region: str, cluster: str, service: str) -> Sequence[TaskSetView]: ...


class PublicApi(Protocol):
    """The public calls CodeDeploy makes; each raises :class:`bluegreen.sandbox.wire.AwsError`
    with the service's error when refused."""

    def target_group_arn(self, region: str, name: str) -> str:
        """DescribeTargetGroups by name."""
        ...

    def forward(self, region: str, listener_arn: str, weights: dict[str, int]) -> None:
        """ModifyListener: the default action forwards to these target groups with these weights."""
        ...

    def weights(self, region: str, listener_arn: str) -> dict[str, int]:
        """DescribeListeners: target group ARN -> weight of the listener's default forward."""
        ...

    def function_exists(self, region: str, name: str) -> bool:
        """Lambda GetFunction: is there such a function (a name or an ARN)?"""
        ...

    def read_object(self, region: str, bucket: str, key: str, version: str | None) -> bytes:
        """S3 GetObject (an S3 revision's AppSpec)."""
        ...
