"""IAM trust and permission documents for the four roles the console makes silently.

Least privilege: every statement names the stack's own resources, except the few
actions AWS does not scope by resource (ecr:GetAuthorizationToken,
ecs:RegisterTaskDefinition), which get "*" because nothing else works.
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


def pipeline_policy(config: Config, arns: Arns) -> Document:
    buckets = [config.pipeline.artifact_bucket]
    source_statements: list[Document]
    if config.source.type == "codecommit":
        source_statements = [
            _allow("ReadSourceRepository",
                   ["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive",
                    "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive"],
                   [arns.codecommit_repository]),
        ]
    else:
        buckets.append(config.source.bucket)
        source_statements = []
    passed_roles = [arns.execution_role]
    if config.task.task_role_arn:
        passed_roles.append(config.task.task_role_arn)
    return _policy(
        _allow("ArtifactBucket",
               ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning", "s3:GetBucketAcl",
                "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl"],
               [r for b in buckets for r in (Arns.bucket(b), f"{Arns.bucket(b)}/*")]),
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
        _allow("RegisterTaskDefinition", ["ecs:RegisterTaskDefinition", "ecs:TagResource"], ["*"]),
        _allow("PassTaskRoles", ["iam:PassRole"], passed_roles,
               Condition={"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
    )


def events_policy(config: Config, arns: Arns) -> Document:
    return _policy(_allow("StartPipeline", ["codepipeline:StartPipelineExecution"], [arns.pipeline]))


def roles(config: Config, refs: Refs) -> list[RoleSpec]:
    """Every role the stack creates. An execution role given as an ARN is not created."""
    arns = Arns(config, refs)
    specs: list[RoleSpec] = []
    if config.creates_execution_role:
        specs.append(RoleSpec(
            "execution", config.task.execution_role_name,
            f"bluegreen {config.name}: ECS pulls the image and writes logs",
            "ecs-tasks.amazonaws.com", (), "pull-image-and-log", execution_policy(config, arns),
        ))
    specs += [
        RoleSpec(
            "codedeploy", config.code_deploy.service_role_name,
            f"bluegreen {config.name}: CodeDeploy shifts traffic between task sets",
            "codedeploy.amazonaws.com", (CODEDEPLOY_ECS_POLICY,), "", None,
        ),
        RoleSpec(
            "pipeline", config.pipeline.role_name,
            f"bluegreen {config.name}: CodePipeline reads sources and starts deployments",
            "codepipeline.amazonaws.com", (), "pipeline-stages", pipeline_policy(config, arns),
        ),
        RoleSpec(
            "events", config.pipeline.events_role_name,
            f"bluegreen {config.name}: EventBridge starts the pipeline on a push",
            "events.amazonaws.com", (), "start-pipeline", events_policy(config, arns),
        ),
    ]
    return specs
