"""A role's policy documents as the account holds them, and what they allow, decided offline.

The doctor does not call `iam:SimulatePrincipalPolicy` (the sandbox does not serve it, and a
read-only user may lack it): it reads the role's documents with the IAM read calls (GetRole,
ListRolePolicies + GetRolePolicy, ListAttachedRolePolicies + GetPolicy + GetPolicyVersion, the
permissions boundary the same way) through `Facts.call`, so every rule asking about the same role
shares the reads, and evaluates them with `bluegreen.policy.evaluate`, the evaluator the tool's
own checks and the sandbox use.

What it does not model (a "not checked", never a guess): service control policies, session
policies, resource policies; a policy the evaluator cannot read (`UnsupportedPolicy`) and a
denial that hangs on a condition key the caller did not supply (e.g. `aws:SourceArn`) raise
`Unavailable`, so the rule is reported not checked rather than wrong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from bluegreen.doctor.facts import Facts, Unavailable
from bluegreen.policy.evaluate import Decision, Policy, UnsupportedPolicy, evaluate, undecided_keys
from bluegreen.policy.managed import managed_policy

_AWS_MANAGED = ":iam::aws:policy/"


@dataclass(frozen=True)
class RolePolicies:
    arn: str
    name: str
    trust_document: dict[str, Any]
    identity_documents: tuple[Policy, ...]  # inline policies first ("inline <name>"), then attached (by ARN)
    boundary: Policy | None = None


def role_name(role_arn: str) -> str:
    """The name in `arn:aws:iam::<account>:role/<path/>name` (the path is not part of it)."""
    return role_arn.rsplit("/", 1)[-1]


async def role_policies(f: Facts, role_arn: str) -> RolePolicies | None:
    """The role's trust policy, identity policies and boundary; None when the account has no
    role with exactly this ARN (path included). Memoized per role in `f`."""
    return await f.once(f"role policies {role_arn}", lambda: _read(f, role_arn))


async def _read(f: Facts, role_arn: str) -> RolePolicies | None:
    if ":role/" not in role_arn:
        return None
    name = role_name(role_arn)
    # The policy lists need only the name: asked beside GetRole, not after it (one round trip
    # less on the doctor's longest chain); a role that does not exist fails them, and GetRole's
    # answer decides.
    answer, listed = await asyncio.gather(
        f.call("iam", "get_role", missing=("NoSuchEntity", "ValidationError"), RoleName=name),
        asyncio.gather(_pages(f, "list_role_policies", "PolicyNames", RoleName=name),
                       _pages(f, "list_attached_role_policies", "AttachedPolicies", RoleName=name)),
        return_exceptions=True)
    if isinstance(answer, BaseException):
        raise answer
    if answer is None or answer["Role"].get("Arn") != role_arn:
        return None
    if isinstance(listed, BaseException):
        raise listed
    role = answer["Role"]
    inline_names, attached = listed

    async def inline(policy: str) -> Policy:
        got = await f.call("iam", "get_role_policy", RoleName=name, PolicyName=policy)
        return Policy(f"inline {policy}", _document(got["PolicyDocument"]))

    boundary_arn = str((role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or "")
    *policies, boundary = await asyncio.gather(*(inline(str(p)) for p in inline_names),
                                               *(managed(f, str(a["PolicyArn"])) for a in attached),
                                               managed(f, boundary_arn) if boundary_arn else _none())
    return RolePolicies(arn=role_arn, name=name, trust_document=_document(role.get("AssumeRolePolicyDocument") or {}),
                        identity_documents=tuple(p for p in policies if p is not None), boundary=boundary)


async def _none() -> None:
    return None


async def managed(f: Facts, arn: str) -> Policy:
    """The default version of a managed policy as the account holds it; an AWS managed policy
    the account cannot show (an account that never loaded it, e.g. a sandbox) from the pinned copy."""
    policy = await f.call("iam", "get_policy", missing=("NoSuchEntity",), PolicyArn=arn)
    if policy is None:
        if _AWS_MANAGED in arn:
            try:
                return managed_policy(arn)
            except KeyError:
                pass
        raise Unavailable(f"managed policy {arn} does not exist")
    version = await f.call("iam", "get_policy_version", PolicyArn=arn,
                           VersionId=policy["Policy"]["DefaultVersionId"])
    return Policy(arn, _document(version["PolicyVersion"]["Document"]))


def trusts(role: RolePolicies, service: str, context: Mapping[str, Any] | None = None) -> Decision:
    """May `service` (e.g. "events.amazonaws.com") assume the role? `context`: the keys the
    service's AssumeRole carries that the caller knows (e.g. aws:SourceAccount)."""
    trust = [Policy("trust policy", role.trust_document)]
    who = {"Service": service}
    decision = _decide(trust, "sts:AssumeRole", role.arn, context or {}, who)
    _decidable(role, trust, decision, context or {}, who)
    return decision


def allows(role: RolePolicies, action: str, resource: str, context: Mapping[str, Any] | None = None) -> Decision:
    """May the role do `action` on `resource`? Its identity policies, then its boundary (AWS
    allows only what both allow). The Decision is truthy when allowed and says why when not
    (str(decision)); its `policy` is "permissions boundary <arn>" when the boundary denied."""
    ctx = dict(context or {})
    decision = _decide(list(role.identity_documents), action, resource, ctx)
    _decidable(role, list(role.identity_documents), decision, ctx)
    if not decision.allowed or role.boundary is None:
        return decision
    bounded = _decide([role.boundary], action, resource, ctx)
    _decidable(role, [role.boundary], bounded, ctx)
    if bounded.allowed:
        return decision
    return Decision(False, bounded.reason, bounded.statement, f"permissions boundary {role.boundary.name}",
                    action, resource, ctx)


def _decide(policies: Sequence[Policy], action: str, resource: str, context: Mapping[str, Any],
            principal: Mapping[str, str] | None = None) -> Decision:
    try:
        return evaluate(policies, action, resource, context, principal=principal)
    except UnsupportedPolicy as exc:
        names = ", ".join(p.name for p in policies)
        raise Unavailable(f"{action} on {resource}: a policy the doctor cannot evaluate offline ({names}): {exc}"
                          ) from None


def _decidable(role: RolePolicies, policies: Sequence[Policy], decision: Decision, context: Mapping[str, Any],
               principal: Mapping[str, str] | None = None) -> None:
    """Raise Unavailable when a denial could be wrong for want of a condition key
    (`bluegreen.policy.evaluate.undecided_keys`)."""
    try:
        keys = undecided_keys(policies, decision, context, principal)
    except UnsupportedPolicy as exc:
        names = ", ".join(p.name for p in policies)
        raise Unavailable(f"{decision.action} on {decision.resource}: a policy the doctor cannot evaluate offline "
                          f"({names}): {exc}") from None
    if keys:
        raise Unavailable(f"whether role {role.name} allows {decision.action} on {decision.resource} depends on "
                          f"condition keys the doctor cannot know ({', '.join(keys)})")


def _document(value: Any) -> dict[str, Any]:
    # botocore decodes IAM's URL-encoded JSON; a string is decoded here in case it did not
    if isinstance(value, str):
        try:
            value = json.loads(unquote(value))
        except ValueError:
            raise Unavailable("a policy document that is not JSON") from None
    if not isinstance(value, dict):
        raise Unavailable(f"a policy document that is not a JSON object: {value!r:.80}")
    return value


async def _pages(f: Facts, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    marker: str | None = None
    while True:
        answer = await f.call("iam", operation, **params, **({"Marker": marker} if marker else {}))
        items += answer.get(key) or []
        marker = answer.get("Marker") if answer.get("IsTruncated") else None
        if not marker:
            return items
