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
    """A length range plus a regular expression that the whole value must match."""

    what: str
    min_len: int
    max_len: int
    pattern: str
    described: str
    example: str

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
        return value


STACK = NameRule(
    "stack name", 2, 24, r"[a-z][a-z0-9]*(-[a-z0-9]+)*",
    "lowercase letters, digits and single hyphens, starting with a letter "
    "(every other name is derived from it)",
    "ecs-demo",
)
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
S3_BUCKET = NameRule(
    "S3 bucket name", 3, 63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
    "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
    "ecs-demo-artifacts",
)
S3_KEY = NameRule(
    "S3 object key", 1, 1024, r"[^\x00-\x1f]+", "printable characters", "source.zip"
)
LOG_GROUP = NameRule(
    "log group name", 1, 512, r"[./#A-Za-z0-9_-]+", "letters, digits and . - _ / #",
    "/ecs/ecs-demo",
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

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,64}")
# AWS issues ids with 8 hex digits (older) or 17 (current), nothing between.
SUBNET_ID = re.compile(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})")
SECURITY_GROUP_ID = re.compile(r"sg-([0-9a-f]{8}|[0-9a-f]{17})")
VPC_ID = re.compile(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})")
AVAILABILITY_ZONE = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]")


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
