"""Rules of the area 'iam' (docs/doctor-rules.md §1.4).

The roles' documents are read through `role_documents` and decided offline (the doctor does not
call iam:SimulatePrincipalPolicy); what each role needs comes from `iam_needs`, and a role's
denied needs make one finding with the policy that grants them (`iam_shortfall`). A role that does
not exist is role-trust's finding; the other rules then have nothing to evaluate.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bluegreen.aws.iam.needs import Need
from bluegreen.doctor.facts import Facts, Planned, Unavailable
from bluegreen.doctor.finding import Finding
from bluegreen.doctor.role_documents import role_name, role_policies, trusts
from bluegreen.doctor.rule import rule
from bluegreen.doctor.rules.iam_needs import (
    ECS_TASKS,
    TaskDefinition,
    appspec_hooks,
    awslogs_groups,
    codedeploy_role_needs,
    containers,
    ecr_repository_arn,
    execution_needs,
    execution_role,
    pipeline_role_needs,
    task_definitions,
    task_role,
)
from bluegreen.doctor.rules.iam_shortfall import shortfall
from bluegreen.policy.evaluate import statements

EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_LINKED_ROLE = "AWSServiceRoleForECS"

# What each service answers when it may not assume its role (docs/sandbox-roles.md: users' reports).
_ASSUME_MESSAGES = {
    "codepipeline.amazonaws.com": "CodePipeline is not authorized to perform AssumeRole on role {arn}",
    "codedeploy.amazonaws.com": "AWS CodeDeploy does not have the permissions required to assume the role {arn}.",
    ECS_TASKS: "ECS was unable to assume the role '{arn}' that was provided for this task.",
}


@dataclass(frozen=True)
class RoleUse:
    arn: str
    use: str  # "pipeline role", "CodeDeploy service role", "task execution role", "task role"
    principal: str


async def _roles_in_use(f: Facts) -> tuple[list[RoleUse], list[str]]:
    """Every role a service of the setup assumes, and why some could not be found."""
    uses: list[RoleUse] = []
    missing: list[str] = []

    async def pipeline() -> None:
        arn = str((await f.pipeline())["pipeline"].get("roleArn") or "")
        if arn:
            uses.append(RoleUse(arn, "pipeline role", "codepipeline.amazonaws.com"))

    async def codedeploy() -> None:
        arn = str((await f.deployment_group()).get("serviceRoleArn") or "")
        if arn:
            uses.append(RoleUse(arn, "CodeDeploy service role", "codedeploy.amazonaws.com"))

    async def tasks() -> None:
        for taskdef in await task_definitions(f):
            for arn, use in ((execution_role(taskdef), "task execution role"), (task_role(taskdef), "task role")):
                if arn:
                    uses.append(RoleUse(arn, use, ECS_TASKS))

    async def guarded(part: Any) -> None:
        try:
            await part()
        except Planned:
            pass  # apply creates it (validate --online): nothing to judge yet
        except Unavailable as exc:
            missing.append(exc.reason)

    await asyncio.gather(guarded(pipeline), guarded(codedeploy), guarded(tasks))
    unique = {(u.arn, u.principal): u for u in uses}
    return list(unique.values()), missing


# -- role-trust ----------------------------------------------------------------------------------


@rule("role-trust", "error", "iam")
async def role_trust(f: Facts) -> list[Finding]:
    uses, missing = await _roles_in_use(f)
    account = await f.account()
    findings: list[Finding] = []
    undecided: list[str] = []

    async def one(use: RoleUse) -> None:
        try:
            role = await role_policies(f, use.arn)
        except Planned:
            return  # apply creates this role (validate --online): its trust is apply's
        name = role_name(use.arn)
        if role is None:
            findings.append(role_trust.finding(
                f"Role {use.arn} ({use.use}) does not exist",
                f"{use.principal} must assume it: " + _ASSUME_MESSAGES[use.principal].format(arn=use.arn),
                f"aws iam create-role --role-name {name} --assume-role-policy-document "
                f"{shlex.quote(json.dumps(_trust_policy([], use.principal), separators=(',', ':')))} "
                f"(then give it the permissions its service needs), or name an existing role"))
            return
        try:
            decision = trusts(role, use.principal, {"aws:SourceAccount": account})
        except Unavailable as exc:
            undecided.append(exc.reason)
            return
        if decision.allowed:
            return
        findings.append(role_trust.finding(
            f"Role {name} ({use.use}) does not trust {use.principal}",
            f"{use.principal} cannot assume it: " + _ASSUME_MESSAGES[use.principal].format(arn=use.arn)
            + (f" (its trust policy denies it: statement of {decision.policy})"
               if decision.reason == "explicit deny" else ""),
            f"aws iam update-assume-role-policy --role-name {name} --policy-document "
            + shlex.quote(json.dumps(_trust_policy(statements(role.trust_document), use.principal),
                                     separators=(",", ":")))))

    await asyncio.gather(*(one(u) for u in uses))
    if not findings and (missing or undecided):
        raise Unavailable((missing + undecided)[0])
    return sorted(findings, key=lambda x: x.finding)


def _trust_policy(kept: Sequence[Mapping[str, Any]], principal: str) -> dict[str, Any]:
    """The role's trust statements plus one letting `principal` assume it (an update replaces
    the whole trust policy: the others are kept)."""
    return {"Version": "2012-10-17", "Statement": [*kept, {
        "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]}


# -- pipeline-role-denied, codedeploy-role-denied -------------------------------------------------


@rule("pipeline-role-denied", "error", "iam")
async def pipeline_role_denied(f: Facts) -> list[Finding]:
    arn = str((await f.pipeline())["pipeline"].get("roleArn") or "")
    found = await shortfall(f, arn, await pipeline_role_needs(f)) if arn else None
    if found is None or not found.denied:
        return []
    return [pipeline_role_denied.finding(
        f"Pipeline role {found.role.name} may not {found.text()}",
        "CodePipeline acts with this role: the action that needs it fails (CodeDeploy, ECS and PassRole: "
        "'The provided role does not have sufficient permissions to access CodeDeploy'; S3: 'The provided role "
        "does not have permissions to perform this action. Underlying error: Access Denied'; CodeCommit: "
        "'The service role or action role doesn't have the permissions required to access the AWS CodeCommit "
        "repository')" + _undecided(found.undecided),
        found.fix())]


@rule("codedeploy-role-denied", "error", "iam")
async def codedeploy_role_denied(f: Facts) -> list[Finding]:
    arn = str((await f.deployment_group()).get("serviceRoleArn") or "")
    found = await shortfall(f, arn, await codedeploy_role_needs(f)) if arn else None
    if found is None or not found.denied:
        return []
    return [codedeploy_role_denied.finding(
        f"CodeDeploy role {found.role.name} may not {found.text()}",
        "CodeDeploy acts with this role during the deployment: it fails with IAM_ROLE_PERMISSIONS "
        f"('The IAM role {found.role.arn} does not give you permission to perform operations in the following "
        "AWS service: ...')" + _undecided(found.undecided),
        found.fix())]


def _undecided(reasons: tuple[str, ...]) -> str:
    return f". Not decided: {'; '.join(reasons)}" if reasons else ""


# -- execution-role-denied, execution-role-missing ------------------------------------------------


@rule("execution-role-denied", "error", "iam")
async def execution_role_denied(f: Facts) -> list[Finding]:
    by_role: dict[str, tuple[list[Need], list[str]]] = {}
    for taskdef in await task_definitions(f):
        arn = execution_role(taskdef)
        if arn:
            needs, wheres = by_role.setdefault(arn, ([], []))
            needs += await execution_needs(f, taskdef)
            wheres.append(taskdef.where)
    findings: list[Finding] = []
    for arn, (needs, wheres) in by_role.items():
        found = await shortfall(f, arn, needs)
        if found is None or not found.denied:
            continue
        scoped = found.fix()
        managed_covers = all(n.action.split(":")[0] in ("ecr", "logs") for n in found.denied)
        fix = (f"aws iam attach-role-policy --role-name {found.role.name} --policy-arn {EXECUTION_POLICY}, or scoped: "
               f"{scoped}" if managed_covers else scoped)
        findings.append(execution_role_denied.finding(
            f"Task execution role {found.role.name} may not {found.text()}: tasks of {' and '.join(wheres)} "
            "will stop before starting",
            "The ECS agent pulls the image, creates the log stream and reads the secrets with this role before the "
            "container starts; the task stops with 'ResourceInitializationError: unable to pull secrets or registry "
            "auth', 'CannotPullContainerError' or 'failed to validate logger args'" + _undecided(found.undecided),
            fix))
    return findings


@rule("execution-role-missing", "error", "iam")
async def execution_role_missing(f: Facts) -> list[Finding]:
    findings: list[Finding] = []
    for taskdef in await task_definitions(f):
        if execution_role(taskdef):
            continue
        uses = await _execution_uses(f, taskdef)
        if uses:
            findings.append(execution_role_missing.finding(
                f"{taskdef.where} names no executionRoleArn but {' and '.join(uses)}",
                "On Fargate the ECS agent needs the task execution role to pull a private ECR image and to send "
                "awslogs logs (ECS Developer Guide, 'Amazon ECS task execution IAM role'): the task stops before "
                "its container starts",
                f'set "executionRoleArn" in {taskdef.where.split(" in ")[0]} to a role trusted by {ECS_TASKS} with '
                f"{EXECUTION_POLICY} attached (the console names it ecsTaskExecutionRole)"))
    return findings


async def _execution_uses(f: Facts, taskdef: TaskDefinition) -> list[str]:
    uses: list[str] = []
    images = [str(c.get("image", "")) for c in containers(taskdef)]
    repos = [r for r in await asyncio.gather(*(ecr_repository_arn(f, i) for i in images)) if r]
    if repos:
        uses.append("pulls from ECR (" + ", ".join(r.rsplit("/", 1)[-1] for r in dict.fromkeys(repos)) + ")")
    groups = [group for _, group, _ in awslogs_groups(taskdef)]
    if groups:
        uses.append("logs with awslogs (" + ", ".join(dict.fromkeys(groups)) + ")")
    if any(c.get("secrets") for c in containers(taskdef)):
        uses.append("reads secrets")
    return uses


# -- hook-function-missing ---------------------------------------------------------------------


@rule("hook-function-missing", "error", "iam")
async def hook_function_missing(f: Facts) -> list[Finding]:
    templates = await f.templates()
    hooks = appspec_hooks(templates.appspec_text)

    async def one(event: str, function: str) -> Finding | None:
        answer = await f.call("lambda", "get_function", missing=("ResourceNotFoundException",),
                              FunctionName=function)
        if answer is not None:
            return None
        return hook_function_missing.finding(
            f"AppSpec hook {event} ({templates.appspec_path} in {templates.where}) names Lambda function "
            f"{function}, which does not exist in {f.region}",
            f"CodeDeploy invokes the function at {event}; the lifecycle event fails and the deployment with it",
            f"create the function {function} in {f.region}, or fix the name under Hooks in {templates.appspec_path}")

    found = await asyncio.gather(*(one(e, fn) for e, fn in hooks))
    return [x for x in found if x is not None]


# -- ecs-service-linked-role-missing ------------------------------------------------------------


@rule("ecs-service-linked-role-missing", "error", "iam")
async def ecs_service_linked_role_missing(f: Facts) -> list[Finding]:
    role = await f.call("iam", "get_role", missing=("NoSuchEntity",), RoleName=ECS_LINKED_ROLE)
    if role is not None:
        return []
    return [ecs_service_linked_role_missing.finding(
        f"The account has no ECS service-linked role ({ECS_LINKED_ROLE}): ECS will refuse to create the service",
        "ECS manages the tasks' network interfaces and registers them with the target groups through this role; "
        "without it CreateService (and a deployment's new task set) fails with 'Unable to assume the service "
        "linked role. Please verify that the ECS service linked role exists.' ECS creates it itself when a cluster "
        "or service is created by a caller allowed to create it",
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com")]


