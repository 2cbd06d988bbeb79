"""AWS naming rules and limits (docs/aws-facts.md section 4) as plain checks.

Each check raises `RuleError` carrying the rule in words and a fix, so that every
front end (config loader, wizard field, CLI flag) can say the same thing the same way.
Nothing here imports pydantic: the wizard validates single fields with these too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class RuleError(ValueError):
    """A value broke an AWS rule. `rule` says which, `fix` says what to do."""

    def __init__(self, rule: str, fix: str, field: str = "") -> None:
        super().__init__(rule)
        self.rule = rule
        self.fix = fix
        # Set by checks that span several fields, naming the one to change (file key path).
        self.field = field


@dataclass(frozen=True)
class NameRule:
    """A length range plus a regular expression that the whole value must match, and the
    prefixes and suffixes the receiving service reserves (docs/aws-facts.md section 4)."""

    what: str
    min_len: int
    max_len: int
    pattern: str
    described: str
    example: str
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()

    @property
    def article(self) -> str:
        return "an" if self.what[0] in "AEIOUaeiou" else "a"

    def check(self, value: str) -> str:
        if not (self.min_len <= len(value) <= self.max_len):
            change = "shorten" if len(value) > self.max_len else "lengthen"
            raise RuleError(
                f"{self.article} {self.what} must be {self.min_len}-{self.max_len} characters "
                f"(this one has {len(value)})",
                f"{change} it, e.g. {self.example!r}",
            )
        if not re.fullmatch(self.pattern, value):
            raise RuleError(
                f"{self.article} {self.what} may only use {self.described}",
                f"use a name like {self.example!r}",
            )
        for prefix in self.reserved_prefixes:
            if value.lower().startswith(prefix.lower()):
                raise RuleError(
                    f"{self.article} {self.what} must not start with {prefix!r} (AWS reserves it)",
                    f"drop or change the prefix, e.g. {self.example!r}",
                )
        for suffix in self.reserved_suffixes:
            if value.endswith(suffix):
                raise RuleError(
                    f"{self.article} {self.what} must not end with {suffix!r} (AWS reserves it)",
                    f"drop or change the suffix, e.g. {self.example!r}",
                )
        return value


@dataclass(frozen=True)
class BucketRule(NameRule):
    """S3 general purpose bucket names: the NameRule checks plus the two rules a pattern
    says badly (no '..', not shaped like an IP address)."""

    def check(self, value: str) -> str:
        super().check(value)
        if ".." in value:
            raise RuleError(
                f"an {self.what} must not contain two adjacent periods",
                f"use single '.' or '-' between parts, e.g. {self.example!r}",
            )
        if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", value):
            raise RuleError(
                f"an {self.what} must not be formatted as an IP address",
                f"use a name with letters, e.g. {self.example!r}",
            )
        return value


STACK = NameRule(
    "stack name", 2, 24, r"[a-z][a-z0-9]*(-[a-z0-9]+)*",
    "lowercase letters, digits and single hyphens, starting with a letter "
    "(every other name is derived from it)",
    "ecs-demo",
)
# Derived names that start with the stack name and whose service reserves a prefix:
# "<stack>-alb"/"<stack>-task" security groups (EC2: not "sg-"), "<stack>-alb" load balancer
# (ELB: not "internal-").
_STACK_PREFIXES = {"sg-": "security group names (<stack>-alb, <stack>-task), which EC2 refuses to start with 'sg-'",
                   "internal-": "the load balancer name <stack>-alb, which ELB refuses to start with 'internal-'"}


def check_stack(value: str) -> str:
    STACK.check(value)
    for prefix, why in _STACK_PREFIXES.items():
        if value.startswith(prefix):
            raise RuleError(f"a stack name must not start with {prefix!r}: it begins {why}",
                            f"drop the {prefix!r} prefix, e.g. {value.removeprefix(prefix)!r}")
    return value
ECR_REPOSITORY = NameRule(
    "ECR repository name", 2, 256,
    r"[a-z][a-z0-9]*((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*",
    "lowercase letters, digits, '.', '_', '-' and '/' between parts, starting with a letter",
    "nginx",
)
ECS_NAME = NameRule(
    "ECS name", 1, 255, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'", "ecs-demo"
)
ELB_NAME = NameRule(
    "load balancer or target group name", 1, 32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
    "letters, digits and '-', not starting or ending with '-'", "ecs-demo-alb",
)
CODEDEPLOY_NAME = NameRule(
    "CodeDeploy name", 1, 100, r"[A-Za-z0-9+=,.@_-]+", "letters, digits and + = , . @ _ -",
    "ecs-demo",
)
PIPELINE_NAME = NameRule(
    "pipeline name", 1, 100, r"[A-Za-z0-9.@_-]+", "letters, digits and . @ _ -", "ecs-demo"
)
CODECOMMIT_REPOSITORY = NameRule(
    "CodeCommit repository name", 1, 100, r"[\w.-]+", "letters, digits, '_', '.' and '-'",
    "ecs-demo",
)
IAM_ROLE = NameRule(
    "IAM role name", 1, 64, r"[\w+=,.@-]+", "letters, digits and + = , . @ _ -",
    "ecs-demo-execution",
)
S3_BUCKET = BucketRule(
    "S3 bucket name", 3, 63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
    "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
    "ecs-demo-artifacts",
    reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
)
S3_KEY = NameRule(
    "S3 object key", 1, 1024, r"[^\x00-\x1f]+", "printable characters", "source.zip"
)
LOG_GROUP = NameRule(
    "log group name", 1, 512, r"[./#A-Za-z0-9_-]+", "letters, digits and . - _ / #",
    "/ecs/ecs-demo", reserved_prefixes=("aws/",),
)
EVENT_RULE = NameRule(
    "EventBridge rule name", 1, 64, r"[.A-Za-z0-9_-]+", "letters, digits, '.', '_' and '-'",
    "ecs-demo-image-push",
)
# awslogs-stream-prefix: part of every log stream's name, which may not hold ':' or '*'
LOG_STREAM_PREFIX = NameRule(
    "log stream prefix", 1, 256, r"[^:*\x00-\x1f]+", "printable characters except ':' and '*'", "web",
)
GIT_BRANCH = NameRule(
    "branch name", 1, 256, r"[A-Za-z0-9._/-]+", "letters, digits and . _ / -", "main"
)
IMAGE_TAG = NameRule(
    "image tag", 1, 128, r"[A-Za-z0-9_][A-Za-z0-9_.-]*", "letters, digits, '_', '.' and '-'",
    "latest",
)
REGION = NameRule(
    "AWS region", 9, 25, r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", "a region code", "us-east-1"
)
ALARM_NAME = NameRule(
    "CloudWatch alarm name", 1, 255, r"[^\x00-\x1f]+", "printable characters", "ecs-demo-5xx"
)
LAMBDA_FUNCTION = NameRule(
    "Lambda function name", 1, 140, r"[A-Za-z0-9_:-]+", "letters, digits, '-', '_' and ':'",
    "CodeDeployHook_smoke-test",
)
ENV_NAME = NameRule(
    "environment variable name", 1, 255, r"[A-Za-z_][A-Za-z0-9_]*",
    "letters, digits and '_', not starting with a digit", "APP_MODE",
)

# A role ARN: an optional path ("/" or "/a/b/") then a name of at most 64 characters.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/){0,20}[\w+=,.@-]{1,64}")
# AWS issues ids with 8 hex digits (older) or 17 (current), nothing between.
SUBNET_ID = re.compile(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})")
SECURITY_GROUP_ID = re.compile(r"sg-([0-9a-f]{8}|[0-9a-f]{17})")
VPC_ID = re.compile(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})")
AVAILABILITY_ZONE = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]")


# -- partitions ------------------------------------------------------------------------------

SUPPORTED_PARTITION = "aws"
_PARTITIONS = (  # region code prefix -> partition (botocore's endpoints data, partitions[].regionRegex)
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isof-", "aws-iso-f"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)


def partition(region: str) -> str:
    """The AWS partition a region belongs to ("aws", "aws-cn", "aws-us-gov", "aws-iso"...): the
    second field of every ARN in it and the home of its managed policies."""
    for prefix, name in _PARTITIONS:
        if region.startswith(prefix):
            return name
    return SUPPORTED_PARTITION


def check_region(value: str) -> str:
    """An AWS region code of the partition bluegreen renders for (docs/fidelity/names-and-conflicts.md)."""
    where = partition(value)
    if where == SUPPORTED_PARTITION or not re.fullmatch(r"[a-z]+(-[a-z]+)+-\d+", value):
        return REGION.check(value)
    raise RuleError(
        f"{value} is in the {where} partition, which bluegreen does not support yet (its ARNs, "
        "service principals, managed policies and endpoints differ from the aws partition's)",
        "use a region of the aws partition such as us-east-1, or provision this stack by hand",
    )


def arn_partition(arn: str) -> str:
    return arn.split(":", 2)[1] if arn.count(":") >= 2 else ""


def check_pattern(value: str, pattern: re.Pattern[str], what: str, example: str) -> str:
    if not pattern.fullmatch(value):
        raise RuleError(f"a {what} looks like {example!r}", f"write a {what} such as {example!r}")
    return value


def check_port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise RuleError("a port is a whole number from 1 to 65535", "pick a port such as 80 or 8080")
    return value


# Fargate task size: cpu units -> allowed memory in MiB (docs/aws-facts.md section 4.1).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def _span(values: tuple[int, ...]) -> str:
    if len(values) <= 3:
        return ", ".join(str(v) for v in values)
    step = values[1] - values[0]
    return f"{values[0]}-{values[-1]} in steps of {step}"


def check_fargate_size(cpu: int, memory: int) -> None:
    if cpu not in FARGATE_MEMORY:
        raise RuleError(
            f"Fargate cpu must be one of {', '.join(map(str, FARGATE_MEMORY))} (units of 1/1024 vCPU)",
            "use 256 for a small web site",
        )
    allowed = FARGATE_MEMORY[cpu]
    if memory not in allowed:
        raise RuleError(
            f"with cpu {cpu}, Fargate memory must be {_span(allowed)} MiB",
            f"set memory to {allowed[0]}, or change cpu",
        )


def fargate_memory_that_fits(cpu: int, memory: int) -> int:
    """`memory` if `cpu` allows it, else the smallest allowed size at least as big (or the
    largest): where the wizard moves a memory that a new cpu does not allow."""
    allowed = FARGATE_MEMORY[cpu]
    if memory in allowed:
        return memory
    return next((m for m in allowed if m >= memory), allowed[-1])


PREDEFINED_DEPLOYMENT_CONFIGS: dict[str, str] = {
    "CodeDeployDefault.ECSAllAtOnce": "all traffic moves to green at once",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": "10% more every minute (10 minutes)",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": "10% more every 3 minutes (30 minutes)",
    "CodeDeployDefault.ECSCanary10Percent5Minutes": "10% first, the rest after 5 minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes": "10% first, the rest after 15 minutes",
}

AUTO_ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
