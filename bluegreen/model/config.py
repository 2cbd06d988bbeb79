"""The whole setup as one pydantic `Config`: the single source of truth.

The wizard edits it, `export` saves it, `apply -f` loads it back. Every resource name
derives from the stack name unless the user sets it, so a first-time user answers only
what matters. Loading and saving YAML lives in `bluegreen.model.configfile`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

from bluegreen.model import rules
from bluegreen.model.rules import RuleError

API_VERSION = "bluegreen/v1"
KIND = "BlueGreenStack"
# Every resource the stack creates carries this tag with the stack name as value: re-runs,
# resume and teardown find their resources by it.
TAG_KEY = "bluegreen:stack"


def tag_value(tags: Any) -> str | None:
    """The bluegreen:stack tag, whatever shape the service gives tags in ({key: value}, or a
    list of Key/Value or key/value pairs); None when it is not there."""
    if isinstance(tags, dict):
        value = tags.get(TAG_KEY)
        return str(value) if value is not None else None
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        if key == TAG_KEY:
            return str(tag.get("Value", tag.get("value")))
    return None


class Model(BaseModel):
    """Shared settings: camelCase keys in files, unknown keys refused, checks on assignment."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_assignment=True,
    )


def _name(rule: rules.NameRule) -> Callable[[Any, str], str]:
    """A field validator for a derivable name: "" means "derive it from the stack name"."""

    def check(cls: Any, value: str) -> str:
        return value if value == "" else rule.check(value)

    return check


def _role_arn(value: str | None) -> str | None:
    if value is None:
        return None
    return rules.check_pattern(value, rules.ROLE_ARN, "role ARN", "arn:aws:iam::123456789012:role/my-role")


class ImageSettings(Model):
    repository: str = ""
    tag: str = "latest"
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: dict[str, str] = Field(default_factory=dict)

    _repo = field_validator("repository")(_name(rules.ECR_REPOSITORY))
    _tag = field_validator("tag")(lambda cls, v: rules.IMAGE_TAG.check(v))


class HealthCheck(Model):
    """A container health check (ECS `healthCheck`)."""

    command: list[str] = Field(min_length=1)
    interval: int = Field(30, ge=5, le=300)
    timeout: int = Field(5, ge=2, le=60)
    retries: int = Field(3, ge=1, le=10)
    start_period: int = Field(0, ge=0, le=300)

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if value[0] not in ("CMD", "CMD-SHELL"):
            raise RuleError(
                "a health check command starts with 'CMD' or 'CMD-SHELL'",
                "write e.g. ['CMD-SHELL', 'wget -q -O- http://localhost/ || exit 1']",
            )
        return value


CpuArchitecture = Literal["X86_64", "ARM64"]
# docker's name of each ECS cpuArchitecture (the platform an image is built for)
DOCKER_PLATFORMS: dict[str, str] = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}


class TaskSettings(Model):
    family: str = ""
    container_name: str = ""
    container_port: int = 80
    cpu: int = 256
    memory: int = 512
    execution_role_arn: str | None = None
    execution_role_name: str = ""
    task_role_arn: str | None = None
    log_group: str = ""
    # awslogs-stream-prefix; empty: the container name
    log_stream_prefix: str = ""
    environment: dict[str, str] = Field(default_factory=dict)
    health_check: HealthCheck | None = None
    # The task definition's runtimePlatform; the image is built for the same platform.
    cpu_architecture: CpuArchitecture = "X86_64"

    _family = field_validator("family", "container_name")(_name(rules.ECS_NAME))
    _role_name = field_validator("execution_role_name")(_name(rules.IAM_ROLE))
    _log = field_validator("log_group")(_name(rules.LOG_GROUP))
    _stream = field_validator("log_stream_prefix")(_name(rules.LOG_STREAM_PREFIX))
    _port = field_validator("container_port")(lambda cls, v: rules.check_port(v))

    @field_validator("execution_role_arn", "task_role_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return rules.check_pattern(
            value, rules.ROLE_ARN, "role ARN", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
        )

    @field_validator("environment")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            rules.ENV_NAME.check(key)
        return value


class SubnetRef(Model):
    """A subnet, with its availability zone when known (the wizard always knows it)."""

    id: str
    az: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        # "subnet-0556b778" is shorthand for {id: subnet-0556b778}
        return {"id": data} if isinstance(data, str) else data

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return rules.check_pattern(value, rules.SUBNET_ID, "subnet id", "subnet-0556b778")

    @field_validator("az")
    @classmethod
    def _az(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return rules.check_pattern(value, rules.AVAILABILITY_ZONE, "availability zone", "us-east-2a")

    @model_serializer(mode="plain")
    def _to_plain(self) -> Any:
        return self.id if self.az is None else {"id": self.id, "az": self.az}


class NetworkSettings(Model):
    vpc: str = "default"
    # Empty: the VPC's public subnets, one per availability zone, chosen at plan time.
    subnets: list[SubnetRef] = Field(default_factory=list)
    assign_public_ip: bool = True
    # Empty: bluegreen creates "<stack>-alb" / "<stack>-task" security groups.
    alb_security_groups: list[str] = Field(default_factory=list)
    task_security_groups: list[str] = Field(default_factory=list)

    @field_validator("vpc")
    @classmethod
    def _vpc(cls, value: str) -> str:
        if value == "default":
            return value
        return rules.check_pattern(value, rules.VPC_ID, "VPC id (or 'default')", "vpc-0a1b2c3d")

    @field_validator("alb_security_groups", "task_security_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        for group in value:
            rules.check_pattern(group, rules.SECURITY_GROUP_ID, "security group id", "sg-c07de9b2")
        if len(value) > 5:
            raise RuleError("at most 5 security groups", "keep the ones the service needs")
        return value

    @field_validator("subnets")
    @classmethod
    def _subnets(cls, value: list[SubnetRef]) -> list[SubnetRef]:
        if not value:
            return value
        ids = [s.id for s in value]
        if len(set(ids)) != len(ids):
            raise RuleError("each subnet may be listed once", "remove the repeated subnet id")
        if len(value) < 2:
            raise RuleError(
                "a load balancer needs subnets in at least 2 availability zones",
                "add a subnet from another availability zone, or leave subnets empty to "
                "use the VPC's public subnets",
            )
        zones = [s.az for s in value if s.az is not None]
        if len(zones) == len(value):
            if len(set(zones)) < 2:
                raise RuleError(
                    f"a load balancer needs subnets in at least 2 availability zones "
                    f"(all of these are in {zones[0]})",
                    "replace one subnet with a subnet from another availability zone",
                )
            if len(set(zones)) != len(zones):
                raise RuleError(
                    "a load balancer takes one subnet per availability zone",
                    "keep one subnet for each availability zone",
                )
        return value


class LoadBalancerSettings(Model):
    name: str = ""
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    production_port: int = 80
    test_port: int = 8080
    blue_target_group: str = ""
    green_target_group: str = ""
    health_check_path: str = "/"
    health_check_matcher: str = "200"

    _names = field_validator("name", "blue_target_group", "green_target_group")(
        _name(rules.ELB_NAME)
    )
    _ports = field_validator("production_port", "test_port")(lambda cls, v: rules.check_port(v))

    @field_validator("name")
    @classmethod
    def _not_internal(cls, value: str) -> str:
        if value.startswith("internal-"):
            raise RuleError(
                "a load balancer name must not start with 'internal-'",
                "drop the 'internal-' prefix (use scheme: internal instead)",
            )
        return value

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024 or any(c.isspace() for c in value):
            raise RuleError("a health check path starts with '/' and has no spaces", "use '/'")
        return value

    @field_validator("health_check_matcher")
    @classmethod
    def _matcher(cls, value: str) -> str:
        import re

        code = r"[1-5]\d\d"
        if not re.fullmatch(rf"{code}(-{code}|(,{code})*)", value):
            raise RuleError(
                "a health check matcher is an HTTP code, a list ('200,302') or a range ('200-299')",
                "use '200'",
            )
        return value


class EcsSettings(Model):
    cluster: str = ""
    service: str = ""
    desired_count: int = Field(1, ge=0, le=5000)
    platform_version: str = "LATEST"
    health_check_grace_period_seconds: int = Field(60, ge=0, le=2147483647)

    _names = field_validator("cluster", "service")(_name(rules.ECS_NAME))

    @field_validator("platform_version")
    @classmethod
    def _platform(cls, value: str) -> str:
        import re

        if value != "LATEST" and not re.fullmatch(r"1\.\d+\.\d+", value):
            raise RuleError("a Fargate platform version is 'LATEST' or like '1.4.0'", "use LATEST")
        return value


class CustomTrafficShift(Model):
    """A custom ECS deployment config: linear or canary traffic shifting."""

    type: Literal["linear", "canary"]
    percent: int = Field(ge=1, le=99)
    interval_minutes: int = Field(ge=1, le=2880)
    name: str = ""

    _name_rule = field_validator("name")(_name(rules.CODEDEPLOY_NAME))

    @field_validator("name")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value.startswith("CodeDeployDefault."):
            raise RuleError(
                "custom deployment config names can't start with 'CodeDeployDefault.'",
                "leave name empty to derive one from the stack name",
            )
        return value


ReadyAction = Literal["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"]
LifecycleHook = Literal[
    "BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"
]
RollbackEvent = Literal["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]


def _default_rollback_events() -> list[RollbackEvent]:
    return ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]


class CodeDeploySettings(Model):
    application: str = ""
    deployment_group: str = ""
    service_role_name: str = ""
    # An existing role CodeDeploy assumes, used as it is (not created, its policies not compared).
    service_role_arn: str | None = None
    deployment_config: str | CustomTrafficShift = "CodeDeployDefault.ECSAllAtOnce"
    # CONTINUE_DEPLOYMENT reroutes at once; STOP_DEPLOYMENT waits for a manual continue.
    ready_action: ReadyAction = "CONTINUE_DEPLOYMENT"
    ready_wait_minutes: int = Field(0, ge=0, le=7200)
    termination_wait_minutes: int = Field(5, ge=0, le=2880)
    auto_rollback_events: list[RollbackEvent] = Field(default_factory=_default_rollback_events)
    alarms: list[str] = Field(default_factory=list, max_length=10)
    # appspec.yaml hooks: lifecycle event -> Lambda function name
    hooks: dict[LifecycleHook, str] = Field(default_factory=dict)

    _names = field_validator("application", "deployment_group")(_name(rules.CODEDEPLOY_NAME))
    _role = field_validator("service_role_name")(_name(rules.IAM_ROLE))
    _role_arn = field_validator("service_role_arn")(lambda cls, v: _role_arn(v))

    @field_validator("deployment_config")
    @classmethod
    def _config(cls, value: str | CustomTrafficShift) -> str | CustomTrafficShift:
        if isinstance(value, str) and value not in rules.PREDEFINED_DEPLOYMENT_CONFIGS:
            raise RuleError(
                "deploymentConfig is one of the predefined ECS configs "
                f"({', '.join(rules.PREDEFINED_DEPLOYMENT_CONFIGS)}) or a custom "
                "{type: linear|canary, percent, intervalMinutes}",
                "use CodeDeployDefault.ECSAllAtOnce",
            )
        return value

    @field_validator("alarms")
    @classmethod
    def _alarms(cls, value: list[str]) -> list[str]:
        for alarm in value:
            rules.ALARM_NAME.check(alarm)
        return value

    @field_validator("hooks")
    @classmethod
    def _hooks(cls, value: dict[str, str]) -> dict[str, str]:
        for function in value.values():
            rules.LAMBDA_FUNCTION.check(function)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CodeDeploySettings:
        if self.ready_action == "STOP_DEPLOYMENT" and self.ready_wait_minutes < 1:
            raise RuleError(
                "readyWaitMinutes must be at least 1 when readyAction is STOP_DEPLOYMENT "
                "(it is how long CodeDeploy waits for your continue)",
                "set readyWaitMinutes, e.g. 30",
                "readyWaitMinutes",
            )
        if self.ready_action == "CONTINUE_DEPLOYMENT" and self.ready_wait_minutes != 0:
            raise RuleError(
                "readyWaitMinutes applies only when readyAction is STOP_DEPLOYMENT",
                "set readyWaitMinutes to 0, or readyAction to STOP_DEPLOYMENT",
                "readyWaitMinutes",
            )
        if "DEPLOYMENT_STOP_ON_ALARM" in self.auto_rollback_events and not self.alarms:
            raise RuleError(
                "rolling back on alarm needs at least one alarm",
                "add alarms, or drop DEPLOYMENT_STOP_ON_ALARM from autoRollbackEvents",
                "alarms",
            )
        return self


class SourceSettings(Model):
    type: Literal["codecommit", "s3"] = "codecommit"
    repository: str = ""
    branch: str = "main"
    bucket: str = ""
    key: str = "source.zip"

    _repo = field_validator("repository")(_name(rules.CODECOMMIT_REPOSITORY))
    _bucket = field_validator("bucket")(_name(rules.S3_BUCKET))
    _branch = field_validator("branch")(lambda cls, v: rules.GIT_BRANCH.check(v))
    _key = field_validator("key")(lambda cls, v: rules.S3_KEY.check(v))

    @field_validator("repository")
    @classmethod
    def _no_git_suffix(cls, value: str) -> str:
        if value.endswith(".git"):
            raise RuleError("a CodeCommit repository name can't end in '.git'", "drop '.git'")
        return value


class PipelineSettings(Model):
    name: str = ""
    type: Literal["V1", "V2"] = "V2"
    execution_mode: Literal["QUEUED", "SUPERSEDED", "PARALLEL"] = "QUEUED"
    artifact_bucket: str = ""
    role_name: str = ""
    events_role_name: str = ""
    # Existing roles, used as they are (not created, their policies not compared).
    role_arn: str | None = None
    events_role_arn: str | None = None
    # The EventBridge rules that start the pipeline (on an image push, on a source change).
    image_rule_name: str = ""
    source_rule_name: str = ""

    _name_rule = field_validator("name")(_name(rules.PIPELINE_NAME))
    _bucket = field_validator("artifact_bucket")(_name(rules.S3_BUCKET))
    _roles = field_validator("role_name", "events_role_name")(_name(rules.IAM_ROLE))
    _role_arns = field_validator("role_arn", "events_role_arn")(lambda cls, v: _role_arn(v))
    _rules = field_validator("image_rule_name", "source_rule_name")(_name(rules.EVENT_RULE))

    @model_validator(mode="after")
    def _v1_modes(self) -> PipelineSettings:
        if self.type == "V1" and self.execution_mode != "SUPERSEDED":
            raise RuleError(
                "a V1 pipeline only runs in SUPERSEDED mode",
                "set type: V2, or executionMode: SUPERSEDED",
                "executionMode",
            )
        return self


class Config(Model):
    api_version: str = Field(API_VERSION, alias="apiVersion")
    kind: str = KIND
    name: str
    region: str = "us-east-1"
    image: ImageSettings = Field(default_factory=ImageSettings)
    task: TaskSettings = Field(default_factory=TaskSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    load_balancer: LoadBalancerSettings = Field(default_factory=LoadBalancerSettings)
    ecs: EcsSettings = Field(default_factory=EcsSettings)
    code_deploy: CodeDeploySettings = Field(default_factory=CodeDeploySettings)
    source: SourceSettings = Field(default_factory=SourceSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)

    @field_validator("api_version")
    @classmethod
    def _api(cls, value: str) -> str:
        if value != API_VERSION:
            raise RuleError(f"apiVersion must be {API_VERSION!r}", f"write apiVersion: {API_VERSION}")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value != KIND:
            raise RuleError(f"kind must be {KIND!r}", f"write kind: {KIND}")
        return value

    _stack = field_validator("name")(lambda cls, v: rules.check_stack(v))
    _region = field_validator("region")(lambda cls, v: rules.check_region(v))

    @model_validator(mode="after")
    def _derive_and_check(self) -> Config:
        # Fill every unset name from the stack name, then check what only the whole sees.
        for section, field, value in derived_names(self.name, self.region):
            model = getattr(self, section)
            if getattr(model, field) == "":
                # object.__setattr__ skips validate_assignment, which would recurse here
                object.__setattr__(model, field, value)
        shift = self.code_deploy.deployment_config
        if isinstance(shift, CustomTrafficShift) and shift.name == "":
            every = shift.interval_minutes
            object.__setattr__(
                shift, "name", f"{self.name}-{shift.type}-{shift.percent}pct-every-{every}min"
            )
        lb = self.load_balancer
        if lb.test_port == lb.production_port:
            raise RuleError(
                f"testPort must differ from productionPort (both are {lb.test_port})",
                "use e.g. productionPort: 80 and testPort: 8080",
                "loadBalancer.testPort",
            )
        if lb.blue_target_group == lb.green_target_group:
            raise RuleError(
                "blueTargetGroup and greenTargetGroup must be two different target groups",
                "leave both empty to derive '<stack>-blue' and '<stack>-green'",
                "loadBalancer.greenTargetGroup",
            )
        try:
            rules.check_fargate_size(self.task.cpu, self.task.memory)
        except RuleError as exc:
            exc.field = "task.memory" if self.task.cpu in rules.FARGATE_MEMORY else "task.cpu"
            raise
        self._check_names()
        self._check_arns()
        if self.task.cpu_architecture == "ARM64" and self.ecs.platform_version not in ("LATEST",) \
                and tuple(int(n) for n in self.ecs.platform_version.split(".")) < (1, 4, 0):
            raise RuleError(
                "Fargate runs ARM64 tasks on platform version 1.4.0 or later only",
                "set ecs.platformVersion to LATEST or 1.4.0, or task.cpuArchitecture to X86_64",
                "ecs.platformVersion",
            )
        return self

    def _check_names(self) -> None:
        """Names derived from the stack name and region follow every rule of the service that
        receives them (a region code longer than any AWS has could still overflow a bucket
        name), and the names that must differ do."""
        checks = _DERIVED_RULES
        for section, field, value in derived_names(self.name, self.region):
            if getattr(getattr(self, section), field) != value:
                continue  # set by the user: its own field validator checked it
            try:
                checks[(section, field)].check(value)
            except RuleError as exc:
                raise RuleError(
                    f"the derived {_file_key(section, field)} {value!r} breaks a rule: {exc.rule}",
                    f"set {_file_key(section, field)} yourself, or use a shorter stack name",
                    _file_key(section, field),
                ) from None
        if self.source.type == "s3" and self.source.bucket == self.pipeline.artifact_bucket:
            raise RuleError(
                "source.bucket and pipeline.artifactBucket must be two different buckets "
                "(bluegreen creates, tags and deletes each on its own)",
                "leave both empty to derive '<...>-source' and '<...>-artifacts'",
                "source.bucket",
            )
        # only the roles the stack creates (a role given by ARN is the user's)
        roles = [(key, name) for key, name, arn in (
            ("task.executionRoleName", self.task.execution_role_name, self.task.execution_role_arn),
            ("codeDeploy.serviceRoleName", self.code_deploy.service_role_name, self.code_deploy.service_role_arn),
            ("pipeline.roleName", self.pipeline.role_name, self.pipeline.role_arn),
            ("pipeline.eventsRoleName", self.pipeline.events_role_name, self.pipeline.events_role_arn),
        ) if arn is None]
        seen: dict[str, str] = {}
        for key, name in roles:
            if name.lower() in seen:  # IAM role names are unique regardless of case
                raise RuleError(
                    f"{key} and {seen[name.lower()]} name the same IAM role {name!r}; each role "
                    "trusts another service, so each needs its own name (IAM ignores case)",
                    f"leave {key} empty to derive it from the stack name",
                    key,
                )
            seen[name.lower()] = key

    def _check_arns(self) -> None:
        """Role ARNs the user brings belong to the region's partition."""
        want = rules.partition(self.region)
        for key, arn in (("task.executionRoleArn", self.task.execution_role_arn),
                         ("task.taskRoleArn", self.task.task_role_arn),
                         ("codeDeploy.serviceRoleArn", self.code_deploy.service_role_arn),
                         ("pipeline.roleArn", self.pipeline.role_arn),
                         ("pipeline.eventsRoleArn", self.pipeline.events_role_arn)):
            if arn is not None and rules.arn_partition(arn) != want:
                raise RuleError(
                    f"the role is in partition {rules.arn_partition(arn)!r} but region {self.region} "
                    f"is in {want!r}; AWS can only use a role of its own partition",
                    f"write it as arn:{want}:iam::<account>:role/<name>",
                    key,
                )

    # -- derived views -------------------------------------------------------------

    @property
    def deployment_config_name(self) -> str:
        shift = self.code_deploy.deployment_config
        return shift if isinstance(shift, str) else shift.name

    @property
    def creates_execution_role(self) -> bool:
        return self.task.execution_role_arn is None

    def with_stack_name(self, new_name: str) -> Config:
        """A copy under another stack name: names that were derived follow the new name."""
        return self.with_identity(name=new_name)

    def with_identity(self, name: str | None = None, region: str | None = None) -> Config:
        """A copy under another stack name and/or region: names that were derived (from the
        name, and the bucket names from the region too) follow; names the user set stay."""
        data = self.model_dump(by_alias=False)
        for section, field, value in derived_names(self.name, self.region):
            if data[section][field] == value:
                data[section][field] = ""
        shift = data["code_deploy"]["deployment_config"]
        if name is not None and isinstance(shift, dict) and shift["name"].startswith(f"{self.name}-"):
            shift["name"] = ""
        if name is not None:
            data["name"] = name
        if region is not None:
            data["region"] = region
        return Config.model_validate(data)


def derived_names(stack: str, region: str) -> list[tuple[str, str, str]]:
    """(section, field, default) for every name that follows the stack name.

    Lengths: a stack name has at most 24 characters, so "<stack>-green" (30) fits the
    32-character target group limit and the bucket names fit 63.
    """
    return [
        ("image", "repository", stack),
        ("task", "family", stack),
        ("task", "container_name", stack),
        ("task", "execution_role_name", f"{stack}-execution"),
        ("task", "log_group", f"/ecs/{stack}"),
        ("load_balancer", "name", f"{stack}-alb"),
        ("load_balancer", "blue_target_group", f"{stack}-blue"),
        ("load_balancer", "green_target_group", f"{stack}-green"),
        ("ecs", "cluster", stack),
        ("ecs", "service", stack),
        ("code_deploy", "application", stack),
        ("code_deploy", "deployment_group", stack),
        ("code_deploy", "service_role_name", f"{stack}-codedeploy"),
        ("source", "repository", stack),
        ("source", "bucket", f"bluegreen-{stack}-{region}-source"),
        ("pipeline", "name", stack),
        ("pipeline", "artifact_bucket", f"bluegreen-{stack}-{region}-artifacts"),
        ("pipeline", "role_name", f"{stack}-pipeline"),
        ("pipeline", "events_role_name", f"{stack}-events"),
        ("pipeline", "image_rule_name", f"{stack}-image-push"),
        ("pipeline", "source_rule_name", f"{stack}-source-change"),
    ]


_DERIVED_RULES: dict[tuple[str, str], rules.NameRule] = {
    ("image", "repository"): rules.ECR_REPOSITORY,
    ("task", "family"): rules.ECS_NAME,
    ("task", "container_name"): rules.ECS_NAME,
    ("task", "execution_role_name"): rules.IAM_ROLE,
    ("task", "log_group"): rules.LOG_GROUP,
    ("load_balancer", "name"): rules.ELB_NAME,
    ("load_balancer", "blue_target_group"): rules.ELB_NAME,
    ("load_balancer", "green_target_group"): rules.ELB_NAME,
    ("ecs", "cluster"): rules.ECS_NAME,
    ("ecs", "service"): rules.ECS_NAME,
    ("code_deploy", "application"): rules.CODEDEPLOY_NAME,
    ("code_deploy", "deployment_group"): rules.CODEDEPLOY_NAME,
    ("code_deploy", "service_role_name"): rules.IAM_ROLE,
    ("source", "repository"): rules.CODECOMMIT_REPOSITORY,
    ("source", "bucket"): rules.S3_BUCKET,
    ("pipeline", "name"): rules.PIPELINE_NAME,
    ("pipeline", "artifact_bucket"): rules.S3_BUCKET,
    ("pipeline", "role_name"): rules.IAM_ROLE,
    ("pipeline", "events_role_name"): rules.IAM_ROLE,
    ("pipeline", "image_rule_name"): rules.EVENT_RULE,
    ("pipeline", "source_rule_name"): rules.EVENT_RULE,
}

_SECTION_KEYS = {"load_balancer": "loadBalancer", "code_deploy": "codeDeploy"}


def _file_key(section: str, field: str) -> str:
    """("load_balancer", "blue_target_group") -> "loadBalancer.blueTargetGroup"."""
    from pydantic.alias_generators import to_camel as camel

    return f"{_SECTION_KEYS.get(section, section)}.{camel(field)}"
