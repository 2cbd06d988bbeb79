"""What each service does with its role, per configured feature: the requests AWS authorizes
against the role's policies when the pipeline runs.

One `Need` per (action, resource ARN, request context), with the feature that brings it and
the AWS page it comes from. docs/fidelity/iam.md holds the same tables for reading, and marks
what could not be verified. The resources are the ARNs AWS authorizes against; actions that
support no resource-level permission are requested on "*".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bluegreen.model.config import Config, CustomTrafficShift
from renderers.refs import Arns, Refs

ECS_TASKS = "ecs-tasks.amazonaws.com"

# The AWS pages the tables come from (titles as AWS publishes them).
CODEDEPLOY_ECS_ACTION = ("AWS CodePipeline User Guide, 'Amazon Elastic Container Service and CodeDeploy "
                         "blue-green deploy action reference' (service role permissions)")
ECR_SOURCE_ACTION = "AWS CodePipeline User Guide, 'Amazon ECR source action reference' (service role permissions)"
CODECOMMIT_SOURCE_ACTION = ("AWS CodePipeline User Guide, 'CodeCommit source action reference' "
                            "(service role permissions)")
S3_SOURCE_ACTION = "AWS CodePipeline User Guide, 'Amazon S3 source action reference' (service role permissions)"
ARTIFACT_STORE = "AWS CodePipeline User Guide, 'Manage the CodePipeline service role' (artifact bucket)"
ECS_TAG_ON_CREATE = "Amazon ECS Developer Guide, 'Grant permission to tag resources on creation'"
CODEDEPLOY_ROLE = ("Amazon ECS Developer Guide, 'Amazon ECS CodeDeploy IAM Role', and the managed policy "
                   "AWSCodeDeployRoleForECSLimited it names")
CODEDEPLOY_PASSROLE = ("Amazon ECS Developer Guide, 'Amazon ECS CodeDeploy IAM Role' (tasks with an "
                       "execution or task role: iam:PassRole to ecs-tasks.amazonaws.com)")
CODEDEPLOY_HOOKS = "AWS CodeDeploy User Guide, 'AppSpec hooks section for an Amazon ECS deployment'"
CODEDEPLOY_ALARMS = "AWS CodeDeploy User Guide, 'Monitoring deployments with CloudWatch alarms in CodeDeploy'"
EXECUTION_ROLE = ("Amazon ECS Developer Guide, 'Amazon ECS task execution IAM role' (ECR image pull, "
                  "awslogs) and the managed policy AmazonECSTaskExecutionRolePolicy")
EVENTS_ROLE = ("AWS CodePipeline User Guide, 'Amazon ECR source actions and EventBridge resources' / "
               "'CodeCommit source actions and EventBridge' / 'Connecting to Amazon S3 source actions "
               "with a source enabled for events' (EventBridge role)")


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    feature: str
    source: str
    context: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = "".join(f" [{k}={v}]" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}{extra} ({self.feature})"


def _partition(arns: Arns) -> str:
    return arns.role("x").split(":")[1]


def _each(actions: list[str], resource: str, feature: str, source: str,
          context: Mapping[str, str] | None = None) -> list[Need]:
    return [Need(a, resource, feature, source, dict(context or {})) for a in actions]


def passed_roles(config: Config, arns: Arns) -> list[str]:
    """The roles a task definition of this stack names: ECS checks iam:PassRole for each."""
    roles = [arns.execution_role]
    if config.task.task_role_arn:
        roles.append(config.task.task_role_arn)
    return roles


def pipeline_needs(config: Config, arns: Arns) -> list[Need]:
    artifacts = Arns.bucket(config.pipeline.artifact_bucket)
    # CodePipeline stores artifacts under "<pipeline name, truncated>/<artifact name>/<id>".
    artifact_object = f"{artifacts}/{config.pipeline.name[:20]}/SourceArti/Ab12Cd3"
    needs = [
        *_each(["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject", "s3:GetObjectVersion"],
               artifact_object, "artifact bucket", ARTIFACT_STORE),
        *_each(["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"],
               artifacts, "artifact bucket", ARTIFACT_STORE),
        Need("ecr:DescribeImages", arns.ecr_repository, "ECR image source", ECR_SOURCE_ACTION),
    ]
    if config.source.type == "codecommit":
        needs += _each(["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
                        "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                        "codecommit:CancelUploadArchive"],
                       arns.codecommit_repository, "source: codecommit", CODECOMMIT_SOURCE_ACTION)
    else:
        bucket = Arns.bucket(config.source.bucket)
        needs += [
            *_each(["s3:GetObject", "s3:GetObjectVersion"], f"{bucket}/{config.source.key}",
                   "source: s3", S3_SOURCE_ACTION),
            *_each(["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"], bucket,
                   "source: s3", S3_SOURCE_ACTION),
        ]
    feature = "deploy: CodeDeployToECS"
    needs += [
        *_each(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], arns.codedeploy_group,
               feature, CODEDEPLOY_ECS_ACTION),
        *_each(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision"], arns.codedeploy_application,
               feature, CODEDEPLOY_ECS_ACTION),
        Need("codedeploy:GetDeploymentConfig", arns.codedeploy_config,
             "deployment config: custom" if isinstance(config.code_deploy.deployment_config, CustomTrafficShift)
             else "deployment config: predefined", CODEDEPLOY_ECS_ACTION),
        # RegisterTaskDefinition supports no resource-level permission: requested on "*".
        Need("ecs:RegisterTaskDefinition", "*", feature, CODEDEPLOY_ECS_ACTION),
        # taskdef.json carries the stack tag: registering it tags the new revision.
        Need("ecs:TagResource", task_definition(config, arns, "7"), "task definition tags",
             ECS_TAG_ON_CREATE, {"ecs:CreateAction": "RegisterTaskDefinition"}),
    ]
    for role in passed_roles(config, arns):
        feature = "task role" if role == config.task.task_role_arn else "execution role"
        needs.append(Need("iam:PassRole", role, feature, CODEDEPLOY_ECS_ACTION,
                          {"iam:PassedToService": ECS_TASKS}))
    return needs


def task_definition(config: Config, arns: Arns, revision: str = "*") -> str:
    """A revision of the stack's task family ("*": every revision)."""
    return f"arn:{_partition(arns)}:ecs:{arns.region}:{arns.account}:task-definition/{config.task.family}:{revision}"


def codedeploy_needs(config: Config, arns: Arns) -> list[Need]:
    ecs = f"arn:{_partition(arns)}:ecs:{arns.region}:{arns.account}"
    service = f"{ecs}:service/{config.ecs.cluster}/{config.ecs.service}"
    task_set = f"{ecs}:task-set/{config.ecs.cluster}/{config.ecs.service}/ecs-svc/1234567890123456789"
    feature = "deploy: ECS blue/green"
    needs = [
        *_each(["ecs:DescribeServices", "ecs:CreateTaskSet", "ecs:UpdateServicePrimaryTaskSet"], service,
               feature, CODEDEPLOY_ROLE),
        Need("ecs:DeleteTaskSet", task_set, feature, CODEDEPLOY_ROLE),
        *_each(["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules"], "*", feature, CODEDEPLOY_ROLE),
        Need("elasticloadbalancing:ModifyListener", arns.refs.production_listener_arn, feature, CODEDEPLOY_ROLE),
        Need("elasticloadbalancing:ModifyListener", arns.refs.test_listener_arn, "test listener",
             CODEDEPLOY_ROLE),
    ]
    for role in passed_roles(config, arns):
        kind = "task role" if role == config.task.task_role_arn else "execution role"
        needs.append(Need("iam:PassRole", role, kind, CODEDEPLOY_PASSROLE, {"iam:PassedToService": ECS_TASKS}))
    for event, function in sorted(config.code_deploy.hooks.items()):
        needs.append(Need("lambda:InvokeFunction", hook_function(arns, function), f"hook {event}",
                          CODEDEPLOY_HOOKS))
    for alarm in config.code_deploy.alarms:
        needs.append(Need("cloudwatch:DescribeAlarms",
                          f"arn:{_partition(arns)}:cloudwatch:{arns.region}:{arns.account}:alarm:{alarm}",
                          f"alarm {alarm}", CODEDEPLOY_ALARMS))
    return needs


def hook_function(arns: Arns, function: str) -> str:
    """The ARN CodeDeploy invokes for an appspec hook named by function name."""
    return f"arn:{_partition(arns)}:lambda:{arns.region}:{arns.account}:function:{function}"


def execution_needs(config: Config, arns: Arns) -> list[Need]:
    # awslogs names streams "<prefix>/<container name>/<task id>" (ECS Developer Guide,
    # "Using the awslogs log driver").
    stream = (f"{arns.log_group}:log-stream:{config.task.container_name}/{config.task.container_name}/"
              "0123456789abcdef0123456789abcdef")
    return [
        Need("ecr:GetAuthorizationToken", "*", "image pull", EXECUTION_ROLE),
        *_each(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
               arns.ecr_repository, "image pull", EXECUTION_ROLE),
        *_each(["logs:CreateLogStream", "logs:PutLogEvents"], stream, "log group", EXECUTION_ROLE),
    ]


def events_needs(config: Config, arns: Arns) -> list[Need]:
    source = "source: codecommit" if config.source.type == "codecommit" else "source: s3"
    return [
        Need("codepipeline:StartPipelineExecution", arns.pipeline, "ECR push rule", EVENTS_ROLE),
        Need("codepipeline:StartPipelineExecution", arns.pipeline, f"{source} rule", EVENTS_ROLE),
    ]


def needs(config: Config, refs: Refs) -> dict[str, list[Need]]:
    """role key (as in renderers.iam.roles) -> what its service does with it. The task role
    is the application's own: no AWS service acts through it for the stack, so it has no
    entry (ECS only needs to be allowed to have it passed, which the pipeline and CodeDeploy
    tables cover)."""
    arns = Arns(config, refs)
    return {
        "pipeline": pipeline_needs(config, arns),
        "codedeploy": codedeploy_needs(config, arns),
        "execution": execution_needs(config, arns),
        "events": events_needs(config, arns),
    }
