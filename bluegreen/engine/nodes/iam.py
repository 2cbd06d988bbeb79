"""The stack's IAM roles: trust, managed policies and the inline least-privilege policy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from bluegreen.engine.nodes.base import (
    Node,
    State,
    create,
    in_sync,
    is_not_found,
    missing_as_none,
    ownership,
    update,
)
from renderers import requests
from renderers.iam import RoleSpec

if TYPE_CHECKING:
    from bluegreen.engine.context import Context


def _document(value: Any) -> Any:
    """IAM returns policy documents URL-encoded (or, through some SDK paths, decoded)."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


class RoleNode(Node):
    def __init__(self, key: str) -> None:
        self.key = key
        self.id = f"iam.role.{key}"
        self.title = f"IAM role ({key})"
        self.deps = ("account",)

    def spec(self, ctx: Context) -> RoleSpec:
        from renderers.iam import roles

        return next(r for r in roles(ctx.config, ctx.refs()) if r.key == self.key)

    def inspect(self, ctx: Context) -> State:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        self.title = f"IAM role {spec.name}"
        role = missing_as_none(lambda: iam.get_role(RoleName=spec.name)["Role"])
        if role is None:
            return create()
        tags = iam.list_role_tags(RoleName=spec.name)["Tags"]
        owned = ownership(self, ctx, tags, role["Arn"])
        if owned:
            return owned
        ctx.put(**{f"role.{self.key}": role["Arn"]})
        changes = []
        if _document(role["AssumeRolePolicyDocument"]) != spec.trust_policy:
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
        if changes:
            return update(f"{', '.join(changes)} differ from the config", role["Arn"])
        return in_sync(role["Arn"])

    def create(self, ctx: Context) -> str:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        arn = str(iam.create_role(**requests.create_role(ctx.config, spec))["Role"]["Arn"])
        ctx.put(**{f"role.{self.key}": arn})
        self._apply_policies(ctx, spec, attached=set())
        return arn

    def update(self, ctx: Context, state: State) -> str:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        iam.update_assume_role_policy(RoleName=spec.name, PolicyDocument=json.dumps(spec.trust_policy))
        attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=spec.name)["AttachedPolicies"]}
        self._apply_policies(ctx, spec, attached)
        return state.detail

    def _apply_policies(self, ctx: Context, spec: RoleSpec, attached: set[str]) -> None:
        iam = ctx.client("iam")
        for arn in set(spec.managed_policies) - attached:
            iam.attach_role_policy(RoleName=spec.name, PolicyArn=arn)
        for arn in attached - set(spec.managed_policies):
            iam.detach_role_policy(RoleName=spec.name, PolicyArn=arn)
        policy = requests.put_role_policy(spec)
        if policy:
            iam.put_role_policy(**policy)

    def delete(self, ctx: Context) -> bool:
        iam = ctx.client("iam")
        spec = self.spec(ctx)
        tags = missing_as_none(lambda: iam.list_role_tags(RoleName=spec.name)["Tags"])
        if tags is None:
            return False
        if ownership(self, ctx, tags, ""):
            return False
        for policy in iam.list_attached_role_policies(RoleName=spec.name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=spec.name, PolicyArn=policy["PolicyArn"])
        for name in iam.list_role_policies(RoleName=spec.name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=spec.name, PolicyName=name)
        iam.delete_role(RoleName=spec.name)
        return True


class ExistingExecutionRoleNode(Node):
    """The config names an execution role ARN: check that it exists and ECS can assume it."""

    id = "iam.role.execution"
    title = "IAM execution role"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        from bluegreen.engine.nodes.base import conflict

        arn = str(ctx.config.task.execution_role_arn)
        name = arn.rsplit("/", 1)[-1]
        try:
            role = ctx.client("iam").get_role(RoleName=name)["Role"]
        except Exception as exc:
            if is_not_found(exc):
                return conflict(f"task.executionRoleArn: role {name} does not exist",
                                "create it, or remove executionRoleArn to let bluegreen create one")
            raise
        trust = json.dumps(_document(role["AssumeRolePolicyDocument"]))
        if "ecs-tasks.amazonaws.com" not in trust:
            return conflict(f"task.executionRoleArn: ECS tasks cannot assume role {name}",
                            "add ecs-tasks.amazonaws.com to its trust policy, or pick another role")
        ctx.put(**{"role.execution": role["Arn"]})
        return in_sync(role["Arn"])

    def delete(self, ctx: Context) -> bool:
        return False  # not ours


class EcsServiceLinkedRoleNode(Node):
    """ECS needs its service-linked role to attach a service to a load balancer. AWS makes
    it with the first cluster in most accounts; where it is missing, it is created once.
    It belongs to the account, not to the stack: destroy leaves it."""

    id = "iam.ecs_service_linked_role"
    title = "ECS service-linked role"
    deps = ("account",)
    PATH = "/aws-service-role/ecs.amazonaws.com/"

    def inspect(self, ctx: Context) -> State:
        roles = ctx.client("iam").list_roles(PathPrefix=self.PATH)["Roles"]
        if roles:
            return in_sync(roles[0]["Arn"])
        return create("ECS has no service-linked role in this account yet")

    def create(self, ctx: Context) -> str:
        try:
            role = ctx.client("iam").create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
        except Exception as exc:
            if "has been taken" in str(exc) or "already exists" in str(exc):  # made meanwhile
                return "exists"
            raise
        return str(role["Arn"])

    def delete(self, ctx: Context) -> bool:
        return False
