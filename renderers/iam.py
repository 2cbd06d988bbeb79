"""IAM trust and permission documents for the four roles the console makes silently.

Least privilege: every statement names the stack's own resources, except the few
actions AWS does not scope by resource (ecr:GetAuthorizationToken,
ecs:RegisterTaskDefinition), which get "*" because nothing else works.

Each role is evaluated against what its service does with it (`bluegreen.aws.iam.check`,
tables and sources in docs/fidelity/iam.md): change a statement here and the tests
`tests/test_iam_roles.py` say which request it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bluegreen.model.config import Config
from renderers.refs import Arns, Refs

Document = dict[str, Any]

CODEDEPLOY_ECS_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"


def trust(service: str) -> Document:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _policy(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(sid: str, actions: list[str], resources: list[str], **extra: Any) -> Document:
    statement: Document = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    statement.update(extra)
    return statement


@dataclass(frozen=True)
class RoleSpec:
    """One role: who may assume it, which managed policies and which inline policy it gets."""

    key: str  # short stable id used for file names and CloudFormation logical ids
    name: str
    description: str
    service: str
    managed_policies: tuple[str, ...]
    inline_policy_name: str
    inline_policy: Document | None

    @property
    def trust_policy(self) -> Document:
        return trust(self.service)


def execution_policy(config: Config, arns: Arns) -> Document:
    """What the ECS agent needs to pull the image and write logs (the managed
    AmazonECSTaskExecutionRolePolicy, narrowed to this stack's repository and log group)."""
    return _policy(
        _allow("PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                             "ecr:BatchGetImage"], [arns.ecr_repository]),
        _allow("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        _allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
               [f"{arns.log_group}:*"]),
    )


def _partition(arns: Arns) -> str:
    """The partition of the stack's ARNs, as renderers.refs writes it."""
    return arns.role("x").split(":")[1]


def passed_roles(config: Config, arns: Arns) -> list[str]:
    """The roles the stack's task definition names: whoever registers it (the pipeline) or
    starts tasks from it (CodeDeploy, creating a task set) must be allowed to pass them."""
    roles = [arns.execution_role]
    if config.task.task_role_arn:
        roles.append(config.task.task_role_arn)
    return roles


def _pass_task_roles(config: Config, arns: Arns) -> Document:
    # Only to ECS tasks (docs/fidelity/iam.md, iam:PassRole rows): StringEquals, not
    # ...IfExists, so a request without the key is not allowed either.
    return _allow("PassTaskRoles", ["iam:PassRole"], passed_roles(config, arns),
                  Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})


def pipeline_policy(config: Config, arns: Arns) -> Document:
    source_statements: list[Document]
    if config.source.type == "codecommit":
        source_statements = [
            _allow("ReadSourceRepository",
                   ["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
                    "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                    "codecommit:CancelUploadArchive"],
                   [arns.codecommit_repository]),
        ]
    else:
        # The source bucket is read, never written: the pipeline writes to its artifact bucket.
        bucket = Arns.bucket(config.source.bucket)
        source_statements = [
            _allow("ReadSourceBucket",
                   ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:GetBucketAcl",
                    "s3:GetBucketLocation"],
                   [bucket, f"{bucket}/*"]),
        ]
    artifacts = Arns.bucket(config.pipeline.artifact_bucket)
    return _policy(
        _allow("ArtifactBucket",
               ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:GetBucketAcl",
                "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl"],
               [artifacts, f"{artifacts}/*"]),
        *source_statements,
        _allow("ReadImage", ["ecr:DescribeImages"], [arns.ecr_repository]),
        _allow("Deploy", ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
               [arns.codedeploy_group]),
        _allow("DeployRevision",
               ["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision"],
               [arns.codedeploy_application]),
        _allow("DeployConfig", ["codedeploy:GetDeploymentConfig"], [arns.codedeploy_config]),
        # RegisterTaskDefinition has no resource-level permissions in IAM.
        _allow("RegisterTaskDefinition", ["ecs:RegisterTaskDefinition"], ["*"]),
        # taskdef.json carries the stack tag: ECS authorizes tagging the new revision, and
        # only as part of registering it.
        _allow("TagTaskDefinition", ["ecs:TagResource"],
               [f"arn:{_partition(arns)}:ecs:{arns.region}:{arns.account}:task-definition/{config.task.family}:*"],
               Condition={"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}),
        _pass_task_roles(config, arns),
    )


def codedeploy_policy(config: Config, arns: Arns) -> Document:
    """What CodeDeploy needs beyond AWSCodeDeployRoleForECSLimited: that policy passes only
    roles named ecsTaskExecutionRole / ECSTaskExecution* and invokes only functions named
    CodeDeployHook_*, while the stack's roles and hooks have their own names."""
    statements = [_pass_task_roles(config, arns)]
    hooks = sorted(set(config.code_deploy.hooks.values()))
    if hooks:
        statements.append(_allow(
            "InvokeHooks", ["lambda:InvokeFunction"],
            [f"arn:{_partition(arns)}:lambda:{arns.region}:{arns.account}:function:{name}" for name in hooks]))
    return _policy(*statements)


def events_policy(config: Config, arns: Arns) -> Document:
    return _policy(_allow("StartPipeline", ["codepipeline:StartPipelineExecution"], [arns.pipeline]))


def roles(config: Config, refs: Refs) -> list[RoleSpec]:
    """Every role the stack creates. A role given as an ARN (task.executionRoleArn,
    codeDeploy.serviceRoleArn, pipeline.roleArn, pipeline.eventsRoleArn) is not created: it is
    used as it is, and its policies are the user's."""
    arns = Arns(config, refs)
    specs: list[RoleSpec] = []
    if config.creates_execution_role:
        specs.append(RoleSpec(
            "execution", config.task.execution_role_name,
            f"bluegreen {config.name}: ECS pulls the image and writes logs",
            "ecs-tasks.amazonaws.com", (), "pull-image-and-log", execution_policy(config, arns),
        ))
    specs += [spec for spec, brought in (
        (RoleSpec(
            "codedeploy", config.code_deploy.service_role_name,
            f"bluegreen {config.name}: CodeDeploy shifts traffic between task sets",
            "codedeploy.amazonaws.com", (CODEDEPLOY_ECS_POLICY,), "pass-task-roles-and-hooks",
            codedeploy_policy(config, arns),
        ), config.code_deploy.service_role_arn),
        (RoleSpec(
            "pipeline", config.pipeline.role_name,
            f"bluegreen {config.name}: CodePipeline reads sources and starts deployments",
            "codepipeline.amazonaws.com", (), "pipeline-stages", pipeline_policy(config, arns),
        ), config.pipeline.role_arn),
        (RoleSpec(
            "events", config.pipeline.events_role_name,
            f"bluegreen {config.name}: EventBridge starts the pipeline on a push",
            "events.amazonaws.com", (), "start-pipeline", events_policy(config, arns),
        ), config.pipeline.events_role_arn),
    ) if brought is None]
    return specs
