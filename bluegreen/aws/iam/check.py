"""Every role the stack renders, evaluated against what its service does with it.

`check_roles(config)` evaluates each rendered role (its inline policy and the pinned copies
of its managed policies) against the table of `bluegreen.aws.iam.needs`, and its trust policy
against the service that assumes it. A role given by ARN (task.executionRoleArn) is the
user's: its policies are not known offline, so it is listed as not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from bluegreen.aws.iam.evaluate import Decision, Policy, evaluate
from bluegreen.aws.iam.managed import managed_policy
from bluegreen.aws.iam.needs import Need, needs
from bluegreen.model.config import Config
from renderers.iam import RoleSpec, roles
from renderers.refs import Arns, Refs

# The only actions a rendered policy may grant on "*": IAM offers no resource-level
# permission for them (Service Authorization Reference, ECS and ECR actions tables).
WILDCARD_ACTIONS = frozenset({"ecs:RegisterTaskDefinition", "ecr:GetAuthorizationToken"})


def role_policies(spec: RoleSpec) -> list[Policy]:
    """The identity policies of a rendered role: its inline policy, then its managed ones."""
    policies = [Policy(f"inline {spec.inline_policy_name}", spec.inline_policy)] if spec.inline_policy else []
    return policies + [managed_policy(arn) for arn in spec.managed_policies]


@dataclass(frozen=True)
class RoleCheck:
    key: str
    name: str
    decisions: tuple[tuple[Need, Decision], ...]
    trust: Decision

    @property
    def denied(self) -> list[tuple[Need, Decision]]:
        return [(need, d) for need, d in self.decisions if not d.allowed]

    @property
    def ok(self) -> bool:
        return self.trust.allowed and not self.denied

    def report(self) -> str:
        lines = [f"role {self.name} ({self.key}): " + ("every request allowed" if self.ok else "DENIED")]
        if not self.trust.allowed:
            lines.append(f"  trust: {self.trust}")
        lines += [f"  {need.feature}: {d}  [{need.source}]" for need, d in self.denied]
        return "\n".join(lines)


def check_role(spec: RoleSpec, role_needs: list[Need], role_arn: str) -> RoleCheck:
    policies = role_policies(spec)
    decisions = tuple((n, evaluate(policies, n.action, n.resource, n.context)) for n in role_needs)
    trust = evaluate([Policy("trust", spec.trust_policy)], "sts:AssumeRole", role_arn,
                     principal={"Service": spec.service})
    return RoleCheck(spec.key, spec.name, decisions, trust)


def check_roles(config: Config, refs: Refs | None = None) -> list[RoleCheck]:
    refs = refs or Refs.offline(config)
    arns = Arns(config, refs)
    table = needs(config, refs)
    return [check_role(spec, table.get(spec.key, []), arns.role(spec.name)) for spec in roles(config, refs)]


def unchecked_roles(config: Config) -> list[str]:
    """Roles the stack uses but does not render: their policies are the user's."""
    return [arn for arn in (config.task.execution_role_arn, config.task.task_role_arn) if arn]


def wildcard_grants(spec: RoleSpec) -> list[str]:
    """Actions the role's inline policy allows on every resource."""
    if not spec.inline_policy:
        return []
    out: list[str] = []
    for statement in spec.inline_policy["Statement"]:
        resources = statement.get("Resource", [])
        if statement["Effect"] == "Allow" and "*" in ([resources] if isinstance(resources, str) else resources):
            actions = statement["Action"]
            out += [actions] if isinstance(actions, str) else actions
    return out
