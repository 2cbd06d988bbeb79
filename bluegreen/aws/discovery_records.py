"""Typed, immutable records of what discovery finds in an account (and on this machine).

Every record is a frozen dataclass holding plain values (str, int, bool, tuples, datetimes), so
records can be compared, hashed, cached and handed across threads. `Found[T]` wraps one kind's
result: its items, or the text of the error that stopped it (or both, when a fan-out half
worked). `Discovery` holds one `Found` per kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Generic, TypeVar

from bluegreen.images.dockerfiles import Dockerfile, ExposedPort

T = TypeVar("T")

ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"


@dataclass(frozen=True)
class Account:
    account_id: str
    arn: str  # the caller's ARN
    region: str


@dataclass(frozen=True)
class Vpc:
    id: str
    cidr: str
    is_default: bool
    name: str  # the Name tag, "" when none


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    az: str
    cidr: str
    free_ips: int
    public: bool  # by the route-table rule (docs/aws-facts.md §2.1), not MapPublicIpOnLaunch
    route_table_id: str  # the table that decides (explicit association, else the VPC's main table)
    default_for_az: bool
    name: str


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    vpc_id: str
    description: str


@dataclass(frozen=True)
class EcrRepository:
    name: str
    uri: str
    arn: str


@dataclass(frozen=True)
class EcrImage:
    repository: str
    tags: tuple[str, ...]
    digest: str
    size_bytes: int
    pushed_at: datetime | None


@dataclass(frozen=True)
class LocalImage:
    """An image in the local Docker engine."""

    id: str
    tags: tuple[str, ...]
    exposed_ports: tuple[ExposedPort, ...]
    created: datetime | None


@dataclass(frozen=True)
class Cluster:
    name: str
    arn: str
    status: str
    active_services: int


@dataclass(frozen=True)
class EcsService:
    cluster: str  # the cluster's name
    name: str
    arn: str
    launch_type: str  # FARGATE | EC2 | EXTERNAL, or the first capacity provider, or ""
    deployment_controller: str  # ECS | CODE_DEPLOY | EXTERNAL
    desired: int
    running: int
    task_definition: str
    status: str = ""  # ACTIVE | DRAINING | INACTIVE


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    arn: str
    dns_name: str
    scheme: str  # internet-facing | internal
    vpc_id: str
    state: str  # provisioning | active | active_impaired | failed
    az_subnets: tuple[tuple[str, str], ...]  # (availability zone, subnet id), sorted by zone
    security_groups: tuple[str, ...]
    lb_type: str = "application"  # application | network | gateway (names are unique across types)


@dataclass(frozen=True)
class WeightedTargetGroup:
    arn: str
    weight: int


@dataclass(frozen=True)
class Listener:
    """A load balancer listener and where its default action forwards (with weights)."""

    arn: str
    lb_arn: str
    port: int
    protocol: str
    target_groups: tuple[WeightedTargetGroup, ...]

    @property
    def target_group_arns(self) -> tuple[str, ...]:
        return tuple(tg.arn for tg in self.target_groups)


@dataclass(frozen=True)
class TargetGroup:
    name: str
    arn: str
    port: int
    protocol: str
    target_type: str  # instance | ip | lambda | alb
    vpc_id: str
    lb_arns: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    trusted_services: tuple[str, ...]  # service principals allowed sts:AssumeRole, sorted

    @property
    def usable_as_execution_role(self) -> bool:
        return ECS_TASKS_PRINCIPAL in self.trusted_services


@dataclass(frozen=True)
class CodeCommitRepository:
    name: str
    arn: str
    default_branch: str  # "" for an empty repository


@dataclass(frozen=True)
class CodeDeployApplication:
    name: str
    compute_platform: str  # Server | Lambda | ECS
    deployment_groups: tuple[str, ...]


@dataclass(frozen=True)
class Pipeline:
    name: str
    version: int
    pipeline_type: str  # V1 | V2


@dataclass(frozen=True)
class Found(Generic[T]):
    """One kind's result. `error` is "" when the discovery worked; with a fan-out (images of
    every repository, services of every cluster) `items` keeps what did arrive."""

    items: tuple[T, ...] = ()
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Discovery:
    """Everything `discover_all` found, one `Found` per kind (field name = kind name).

    With `discover_all(..., local=False)` the machine-local kinds (`local_images`, `dockerfiles`)
    are left empty and emit no event."""

    account: Found[Account] = field(default_factory=Found)
    vpcs: Found[Vpc] = field(default_factory=Found)
    subnets: Found[Subnet] = field(default_factory=Found)
    security_groups: Found[SecurityGroup] = field(default_factory=Found)
    ecr_repositories: Found[EcrRepository] = field(default_factory=Found)
    ecr_images: Found[EcrImage] = field(default_factory=Found)
    local_images: Found[LocalImage] = field(default_factory=Found)
    dockerfiles: Found[Dockerfile] = field(default_factory=Found)
    clusters: Found[Cluster] = field(default_factory=Found)
    services: Found[EcsService] = field(default_factory=Found)
    load_balancers: Found[LoadBalancer] = field(default_factory=Found)
    listeners: Found[Listener] = field(default_factory=Found)
    target_groups: Found[TargetGroup] = field(default_factory=Found)
    roles: Found[Role] = field(default_factory=Found)
    codecommit_repositories: Found[CodeCommitRepository] = field(default_factory=Found)
    codedeploy_applications: Found[CodeDeployApplication] = field(default_factory=Found)
    pipelines: Found[Pipeline] = field(default_factory=Found)
    vpc_id: str | None = None  # the VPC subnets and security groups were limited to, if any
    seconds: float = 0.0  # wall time of the whole discovery

    @staticmethod
    def kinds() -> tuple[str, ...]:
        return tuple(f.name for f in fields(Discovery) if f.name not in ("vpc_id", "seconds"))

    def get(self, kind: str) -> Found[object]:
        if kind not in self.kinds():
            raise KeyError(kind)
        found: Found[object] = getattr(self, kind)
        return found

    def errors(self) -> dict[str, str]:
        """kind -> error text, for the kinds that failed (fully or partly)."""
        return {k: self.get(k).error for k in self.kinds() if self.get(k).error}

    @property
    def default_vpc(self) -> Vpc | None:
        return next((v for v in self.vpcs.items if v.is_default), None)

    @property
    def execution_roles(self) -> tuple[Role, ...]:
        return tuple(r for r in self.roles.items if r.usable_as_execution_role)

    def subnets_of(self, vpc_id: str) -> tuple[Subnet, ...]:
        return tuple(s for s in self.subnets.items if s.vpc_id == vpc_id)
