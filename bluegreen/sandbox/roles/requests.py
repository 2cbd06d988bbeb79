"""What AWS authorizes when a service acts: each action against the resource ARN its own resource
type names, with the request context the service sends.

The sandbox's callers name one resource per group of actions (the pipeline engine asks for the
CodeDeploy actions "on the deployment group"); AWS authorizes each action against its own resource
type (Service Authorization Reference, the actions table of each service):

- S3 bucket-level actions (``s3:GetBucketVersioning``, ``GetBucketAcl``, ``GetBucketLocation``,
  ``ListBucket``) against the bucket, not an object in it;
- CodeDeploy application-level actions (``GetApplication``, ``GetApplicationRevision``,
  ``RegisterApplicationRevision``) against ``application:<app>``, ``GetDeploymentConfig`` against
  the group's ``deploymentconfig:<name>``;
- ``ecs:RegisterTaskDefinition`` and ``ecr:GetAuthorizationToken`` support no resource-level
  permission: requested on ``*``, so only a statement on ``*`` allows them.

Context: ``iam:PassRole`` by CodePipeline (registering a task definition) or CodeDeploy (creating
a task set) passes the task definition's roles to ECS tasks: ``iam:PassedToService`` is
``ecs-tasks.amazonaws.com``. Every request carries the global keys the sandbox knows for certain
(``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:RequestedRegion`` of a regional resource);
a condition on any other key cannot be decided here (:mod:`.checker` then allows, with a log line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

CODEPIPELINE = "codepipeline.amazonaws.com"
CODEDEPLOY = "codedeploy.amazonaws.com"
EVENTS = "events.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"

S3_BUCKET_ACTIONS = frozenset(
    {"s3:getbucketversioning", "s3:getbucketacl", "s3:getbucketlocation", "s3:listbucket", "s3:listbucketversions"}
)
CODEDEPLOY_APPLICATION_ACTIONS = frozenset(
    {"codedeploy:getapplication", "codedeploy:getapplicationrevision", "codedeploy:registerapplicationrevision"}
)
NO_RESOURCE_LEVEL = frozenset({"ecs:registertaskdefinition", "ecr:getauthorizationtoken"})
# who passes a role to whom: the callers pass the roles of a task definition
PASSED_TO = {CODEPIPELINE: ECS_TASKS, CODEDEPLOY: ECS_TASKS}

# (region, application, deployment group) -> the group's deployment config name, None if unknown
ConfigLookup = Callable[[str, str, str], "str | None"]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


def requests(
    role_arn: str, principal: str, actions: Sequence[str], resource: str, configs: ConfigLookup | None = None
) -> list[Request]:
    """One request per action, each against the resource AWS checks it on. An action whose
    resource the sandbox cannot tell (a group's deployment config it cannot read) is left out."""
    out = []
    for action in actions:
        target = resource_of(action, resource, configs)
        if target is None:
            continue
        out.append(Request(action, target, context_of(role_arn, principal, action, target)))
    return out


def resource_of(action: str, resource: str, configs: ConfigLookup | None = None) -> str | None:
    name = action.lower()
    if name in NO_RESOURCE_LEVEL:
        return "*"
    if name in S3_BUCKET_ACTIONS and resource.startswith("arn:aws:s3:::"):
        return resource.split("/", 1)[0]
    if name in CODEDEPLOY_APPLICATION_ACTIONS or name == "codedeploy:getdeploymentconfig":
        group = _deployment_group(resource)
        if group is None:
            return resource
        prefix, app, group_name = group
        if name != "codedeploy:getdeploymentconfig":
            return f"{prefix}:application:{app}"
        region = prefix.split(":")[3]
        config = configs(region, app, group_name) if configs else None
        return f"{prefix}:deploymentconfig:{config}" if config else None
    return resource


def _deployment_group(resource: str) -> tuple[str, str, str] | None:
    """``arn:<p>:codedeploy:<region>:<account>:deploymentgroup:<app>/<group>`` -> (prefix up to the
    account, app, group)."""
    parts = resource.split(":", 6)
    if len(parts) != 7 or parts[2] != "codedeploy" or parts[5] != "deploymentgroup" or "/" not in parts[6]:
        return None
    app, group = parts[6].split("/", 1)
    return ":".join(parts[:5]), app, group


def context_of(role_arn: str, principal: str, action: str, resource: str) -> dict[str, Any]:
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    context: dict[str, Any] = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": account}
    parts = resource.split(":")
    if len(parts) > 4 and parts[3]:
        context["aws:RequestedRegion"] = parts[3]
    if action.lower() == "iam:passrole" and principal in PASSED_TO:
        context["iam:PassedToService"] = PASSED_TO[principal]
    return context


def trust_context(role_arn: str) -> dict[str, Any]:
    """What a service's AssumeRole carries that the sandbox knows: the account it acts for (the
    role's own: every caller of the sandbox acts in the account of its resources)."""
    return {"aws:SourceAccount": role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""}
