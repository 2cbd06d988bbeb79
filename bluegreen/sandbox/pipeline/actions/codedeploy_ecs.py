"""The Amazon ECS and CodeDeploy blue/green deploy action (Deploy / AWS / CodeDeployToECS / 1).

What CodePipeline does for it (CodePipeline User Guide, "Amazon Elastic Container Service and
CodeDeploy blue-green deploy action reference", "imageDetail.json file"):

1. reads the task definition template (``TaskDefinitionTemplatePath``, default ``taskdef.json``)
   from the ``TaskDefinitionTemplateArtifact`` input and the AppSpec (``AppSpecTemplatePath``,
   default ``appspec.yaml``) from the ``AppSpecTemplateArtifact`` input;
2. for each ``Image<N>ArtifactName`` (N = 1..4), reads ``ImageURI`` from that artifact's
   ``imageDetail.json`` and puts it where the template has ``<Image<N>ContainerName>``;
3. registers the task definition with ECS (the template's JSON as it is, placeholders replaced)
   and puts its ARN where the AppSpec has ``<TASK_DEFINITION>``;
4. creates a CodeDeploy deployment of the group with that AppSpec as ``AppSpecContent``;
5. follows the deployment (GetDeployment at the poll interval) until it is Succeeded, Failed or
   Stopped; the deployment id is the action's external execution id.

Every call goes through the sandbox's front door, so ECS's and CodeDeploy's own behaviour in the
sandbox answers. Where AWS's wording of an error is not documented, docs/sandbox-pipelines.md says
so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..artifacts import zip_member
from ..frontdoor import CallFailed
from .base import (
    CONFIGURATION_ERROR,
    JOB_FAILED,
    ActionContext,
    ActionFailed,
    ActionOutcome,
    client_error,
)

TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"
MAX_ARTIFACT_BYTES = 3 * 1024 * 1024  # the action's artifact zip limit (User Guide, troubleshooting)
IMAGE_SLOTS = range(1, 5)  # Image1..Image4
REGISTER_TARGET = "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition"
CODEDEPLOY_ACTIONS = [
    "codedeploy:CreateDeployment",
    "codedeploy:GetApplication",
    "codedeploy:GetApplicationRevision",
    "codedeploy:GetDeployment",
    "codedeploy:GetDeploymentConfig",
    "codedeploy:RegisterApplicationRevision",
]
DONE = ("Succeeded", "Failed", "Stopped")


def run(ctx: ActionContext) -> ActionOutcome:
    config = ctx.configuration
    taskdef_artifact = config.get("TaskDefinitionTemplateArtifact", "")
    appspec_artifact = config.get("AppSpecTemplateArtifact", "")
    taskdef = _read_text(ctx, taskdef_artifact, config.get("TaskDefinitionTemplatePath") or "taskdef.json")
    if taskdef is None:
        raise ActionFailed(
            CONFIGURATION_ERROR,
            f"Exception while trying to read the task definition artifact file from: {taskdef_artifact}",
        )
    appspec = _read_text(ctx, appspec_artifact, config.get("AppSpecTemplatePath") or "appspec.yaml")
    if appspec is None:
        raise ActionFailed(
            CONFIGURATION_ERROR, f"Exception while trying to read the AppSpec file from: {appspec_artifact}"
        )
    for n in IMAGE_SLOTS:
        artifact, name = config.get(f"Image{n}ArtifactName"), config.get(f"Image{n}ContainerName")
        if not artifact or not name:
            continue
        uri = _image_uri(ctx, artifact)
        placeholder = f"<{name}>"
        if placeholder not in taskdef:
            raise ActionFailed(
                CONFIGURATION_ERROR,
                f"The task definition template file from: {taskdef_artifact} does not contain the "
                f"placeholder {placeholder} named by Image{n}ContainerName",
            )
        taskdef = taskdef.replace(placeholder, uri)
    if TASK_DEFINITION_PLACEHOLDER not in appspec:
        raise ActionFailed(
            CONFIGURATION_ERROR,
            f"The AppSpec file from: {appspec_artifact} does not contain the placeholder "
            f"{TASK_DEFINITION_PLACEHOLDER}",
        )
    arn = _register(ctx, taskdef)
    appspec = appspec.replace(TASK_DEFINITION_PLACEHOLDER, arn)
    deployment_id = _create_deployment(ctx, appspec)
    url = deployment_url(ctx.region, deployment_id)
    ctx.report(external_id=deployment_id, external_url=url)
    codedeploy = ctx.clients.client("codedeploy", ctx.region)
    return follow(
        lambda: codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"],
        deployment_id,
        url,
        ctx.wait,
        ctx.poll_interval,
    )


def deployment_url(region: str, deployment_id: str) -> str:
    """The console link AWS gives as externalExecutionUrl (the form of the User Guide's examples)."""
    return f"https://{region}.console.aws.amazon.com/codedeploy/home?#/deployments/{deployment_id}"


def follow(
    get_deployment: Callable[[], dict[str, Any]],
    deployment_id: str,
    url: str,
    wait: Callable[[float], None],
    interval: Callable[[], float],
) -> ActionOutcome:
    """Poll the deployment until it ends: Succeeded -> the action succeeds ("Deployment
    Succeeded", AWS's summary); Failed or Stopped -> it fails with CodeDeploy's error message.
    ``wait`` raises when the action is abandoned."""
    while True:
        wait(interval())
        try:
            info = get_deployment()
        except ClientError as exc:
            code, message = client_error(exc)
            if code in ("ThrottlingException", "InternalFailure", "ServiceUnavailable"):
                continue  # CodePipeline keeps following through transient errors
            raise ActionFailed(JOB_FAILED, message or code, deployment_id, url) from exc
        status = str(info.get("status") or "")
        if status == "Succeeded":
            return ActionOutcome(summary="Deployment Succeeded", external_id=deployment_id, external_url=url)
        if status in ("Failed", "Stopped"):
            error = info.get("errorInformation") or {}
            message = str(error.get("message") or f"Deployment {deployment_id} {status.lower()}.")
            raise ActionFailed(JOB_FAILED, message, deployment_id, url, f"Deployment {status}")


def _read_text(ctx: ActionContext, artifact: str, path: str) -> str | None:
    data = ctx.read_artifact(artifact) if artifact else None
    if data is None or len(data) > MAX_ARTIFACT_BYTES:
        return None
    member = zip_member(data, path)
    if member is None:
        return None
    try:
        return member.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _image_uri(ctx: ActionContext, artifact: str) -> str:
    unreadable = ActionFailed(
        CONFIGURATION_ERROR, f"Exception while trying to read the image artifact file from the artifact: {artifact}."
    )
    text = _read_text(ctx, artifact, "imageDetail.json")
    if text is None:
        raise unreadable
    try:
        uri = json.loads(text).get("ImageURI")
    except (ValueError, AttributeError):
        raise unreadable from None
    if not isinstance(uri, str) or not uri:
        raise unreadable
    return uri


def _register(ctx: ActionContext, taskdef: str) -> str:
    """RegisterTaskDefinition with the template as ECS receives it; returns the new revision's
    ARN. ECS's refusal fails the action with ECS's message."""
    try:
        document = json.loads(taskdef)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ActionFailed(
            CONFIGURATION_ERROR,
            f"Exception while trying to read the task definition artifact file from: "
            f"{ctx.configuration.get('TaskDefinitionTemplateArtifact', '')}",
        )
    family = str(document.get("family") or "")
    ctx.require(
        ["ecs:RegisterTaskDefinition"], f"arn:aws:ecs:{ctx.region}:{ctx.account_id}:task-definition/{family}:*"
    )
    for key in ("executionRoleArn", "taskRoleArn"):
        role = document.get(key)
        if isinstance(role, str) and role:
            ctx.require(["iam:PassRole"], role)
    try:
        answer = ctx.clients.call_json("ecs", REGISTER_TARGET, ctx.region, taskdef.encode())
    except CallFailed as exc:
        raise ActionFailed(JOB_FAILED, exc.message or exc.code) from exc
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def _create_deployment(ctx: ActionContext, appspec: str) -> str:
    app = ctx.configuration.get("ApplicationName", "")
    group = ctx.configuration.get("DeploymentGroupName", "")
    ctx.require(CODEDEPLOY_ACTIONS, f"arn:aws:codedeploy:{ctx.region}:{ctx.account_id}:deploymentgroup:{app}/{group}")
    codedeploy = ctx.clients.client("codedeploy", ctx.region)
    revision = {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": appspec, "sha256": hashlib.sha256(appspec.encode()).hexdigest()},
    }
    try:
        answer = codedeploy.create_deployment(applicationName=app, deploymentGroupName=group, revision=revision)
    except ClientError as exc:
        code, message = client_error(exc)
        raise ActionFailed(JOB_FAILED, message or code) from exc
    return str(answer["deploymentId"])
