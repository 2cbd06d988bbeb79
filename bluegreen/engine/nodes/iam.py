"""The stack's IAM roles: trust, managed policies and the inline least-privilege policy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from bluegreen.aws.errors import is_not_found
from bluegreen.engine.nodes.base import Node, State, conflict, create, in_sync, missing_as_none
from bluegreen.engine.nodes.resource import ManagedResource
from renderers import requests
from renderers.iam import RoleSpec

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


def _document(value: Any) -> Any:
    """IAM returns policy documents URL-encoded (or, through some SDK paths, decoded)."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


class RoleNode(ManagedResource[dict[str, Any]]):
    """key: "execution", "codedeploy", "pipeline" or "events" (see renderers.iam.roles)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.id = f"iam.role.{key}"
        self.deps = ("account",)

    def title(self, config: Config) -> str:
        names = {"execution": config.task.execution_role_name, "codedeploy": config.code_deploy.service_role_name,
                 "pipeline": config.pipeline.role_name, "events": config.pipeline.events_role_name}
        return f"IAM role {names[self.key]}"

    def spec(self, ctx: Context) -> RoleSpec:
        from renderers.iam import roles

        return next(r for r in roles(ctx.config, ctx.refs()) if r.key == self.key)

    def find(self, ctx: Context) -> dict[str, Any] | None:
        iam = ctx.client("iam")
        name = self.spec(ctx).name
        return missing_as_none(lambda: iam.get_role(RoleName=name)["Role"])

    def find_for_delete(self, ctx: Context) -> dict[str, Any] | None:
        return {"RoleName": self.spec(ctx).name}  # reading its tags tells whether it exists

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return ctx.client("iam").list_role_tags(RoleName=self.spec(ctx).name)["Tags"]

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["Arn"])

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        changes = []
        if _document(found["AssumeRolePolicyDocument"]) != spec.trust_policy:
            changes.append("trust policy")
        attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=spec.name)["AttachedPolicies"]}
        if attached != set(spec.managed_policies):
            changes.append("managed policies")
        if spec.inline_policy is not None:
            try:
                current = iam.get_role_policy(RoleName=spec.name, PolicyName=spec.inline_policy_name)
                if _document(current["PolicyDocument"]) != spec.inline_policy:
                    changes.append("inline policy")
            except Exception as exc:
                if not is_not_found(exc):
                    raise
                changes.append("inline policy")
        return [f"{', '.join(changes)} differ from the config"] if changes else []

    def create_resource(self, ctx: Context) -> str:
        role = ctx.client("iam").create_role(**requests.create_role(ctx.config, self.spec(ctx)))["Role"]
        return str(role["Arn"])

    def configure(self, ctx: Context, detail: str) -> None:
        self._apply_policies(ctx, self.spec(ctx), attached=set())

    def update_resource(self, ctx: Context, detail: str) -> str:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        iam.update_assume_role_policy(RoleName=spec.name, PolicyDocument=json.dumps(spec.trust_policy))
        attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=spec.name)["AttachedPolicies"]}
        self._apply_policies(ctx, spec, attached)
        return detail

    def _apply_policies(self, ctx: Context, spec: RoleSpec, attached: set[str]) -> None:
        iam = ctx.client("iam")
        for attach in requests.attach_role_policies(spec):
            if attach["PolicyArn"] not in attached:
                iam.attach_role_policy(**attach)
        for arn in attached - set(spec.managed_policies):
            iam.detach_role_policy(RoleName=spec.name, PolicyArn=arn)
        policy = requests.put_role_policy(spec)
        if policy:
            iam.put_role_policy(**policy)

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        iam = ctx.client("iam")
        name = self.spec(ctx).name
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for inline in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=inline)
        iam.delete_role(RoleName=name)


# key -> (the config's ARN field, the service that assumes the role, what it is called)
_BROUGHT = {
    "execution": ("task.executionRoleArn", "ecs-tasks.amazonaws.com", "IAM execution role"),
    "codedeploy": ("codeDeploy.serviceRoleArn", "codedeploy.amazonaws.com", "IAM CodeDeploy role"),
    "pipeline": ("pipeline.roleArn", "codepipeline.amazonaws.com", "IAM pipeline role"),
    "events": ("pipeline.eventsRoleArn", "events.amazonaws.com", "IAM events role"),
}


def brought_role_arn(config: Config, key: str) -> str | None:
    """The ARN of the role the config brings for `key`, None when the stack creates it."""
    return {"execution": config.task.execution_role_arn, "codedeploy": config.code_deploy.service_role_arn,
            "pipeline": config.pipeline.role_arn, "events": config.pipeline.events_role_arn}[key]


class ExistingRoleNode(Node):
    """The config names a role by ARN: check that it exists and its service can assume it.
    A plain node: the role is the user's, nothing is created, tagged, compared or deleted (its
    policies are judged by `bluegreen doctor`, not made to match a config)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.id = f"iam.role.{key}"
        self.deps = ("account",)

    def title(self, config: Config) -> str:
        return _BROUGHT[self.key][2]

    def inspect(self, ctx: Context) -> State:
        field, service, _ = _BROUGHT[self.key]
        arn = str(brought_role_arn(ctx.config, self.key))
        name = arn.rsplit("/", 1)[-1]
        try:
            role = ctx.client("iam").get_role(RoleName=name)["Role"]
        except Exception as exc:
            if is_not_found(exc):
                return conflict(f"{field}: role {name} does not exist",
                                f"create it, or remove {field.split('.')[1]} to let bluegreen create one")
            raise
        trust = json.dumps(_document(role["AssumeRolePolicyDocument"]))
        if service not in trust:
            return conflict(f"{field}: {service} cannot assume role {name}",
                            f"add {service} to its trust policy, or pick another role")
        return in_sync(role["Arn"])

    def delete(self, ctx: Context) -> bool:
        return False  # not ours


class ExistingExecutionRoleNode(ExistingRoleNode):
    def __init__(self) -> None:
        super().__init__("execution")


class EcsServiceLinkedRoleNode(Node):
    """ECS needs its service-linked role to attach a service to a load balancer. AWS makes
    it with the first cluster in most accounts; where it is missing, it is created once.
    It belongs to the account, not to the stack: a plain node, with no owner tag to check
    and nothing for destroy to delete."""

    id = "iam.ecs_service_linked_role"
    deps = ("account",)
    PATH = "/aws-service-role/ecs.amazonaws.com/"

    def title(self, config: Config) -> str:
        return "ECS service-linked role"

    def inspect(self, ctx: Context) -> State:
        roles = ctx.client("iam").list_roles(PathPrefix=self.PATH)["Roles"]
        if roles:
            return in_sync(roles[0]["Arn"])
        return create("ECS has no service-linked role in this account yet")

    def create(self, ctx: Context) -> str:
        try:
            role = ctx.client("iam").create_service_linked_role(**requests.create_service_linked_role())["Role"]
        except Exception as exc:
            if "has been taken" in str(exc) or "already exists" in str(exc):  # made meanwhile
                return "exists"
            raise
        return str(role["Arn"])

    def delete(self, ctx: Context) -> bool:
        return False
