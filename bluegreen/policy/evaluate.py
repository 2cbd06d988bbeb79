"""A small IAM policy evaluator: does this set of identity policies allow this request?

What it models (docs/fidelity/iam.md has the whole list, and what it leaves out):
an explicit Deny wins, then an Allow, else the implicit deny; Action/NotAction (case-insensitive),
Resource/NotResource (case-sensitive, ARNs matched component by component), `*` and `?`
wildcards; Principal/NotPrincipal when a principal is given (trust policies); the condition
operators the AWS managed policies the stack attaches use, and their relatives: String*,
Arn*, Bool, Null, Numeric*, the `...IfExists` suffix and the `ForAnyValue:`/`ForAllValues:`
prefixes. A policy using anything else (an unknown operator, a policy variable) raises
`UnsupportedPolicy` instead of being guessed at: a wrong "allowed" is worse than none.

Pure functions over plain JSON documents, no AWS calls: the checks of the rendered policies
(`bluegreen.aws.iam.check`), the sandbox acting as a service (`bluegreen.sandbox.roles`) and the
doctor share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

Document = Mapping[str, Any]
Context = Mapping[str, Any]


class UnsupportedPolicy(ValueError):
    """The policy uses an element this evaluator does not model."""


@dataclass(frozen=True)
class Policy:
    """A policy document with the name it is known by (a managed policy ARN, an inline name)."""

    name: str
    document: Document


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # "allow", "explicit deny" or "implicit deny"
    reason: str
    # the deciding statement (None for an implicit deny) and the policy holding it
    statement: Document | None = None
    policy: str = ""
    action: str = ""
    resource: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.allowed

    def __str__(self) -> str:
        what = f"{self.action} on {self.resource}"
        if self.context:
            what += " with " + ", ".join(f"{k}={v}" for k, v in sorted(self.context.items()))
        if self.allowed:
            return f"allowed: {what} (statement {_sid(self.statement)} of {self.policy})"
        if self.reason == "explicit deny":
            return f"denied: {what} (explicit Deny, statement {_sid(self.statement)} of {self.policy})"
        return f"denied: {what} (no statement allows it)"


def _sid(statement: Document | None) -> str:
    if statement is None:
        return "-"
    return str(statement.get("Sid") or "without Sid")


def evaluate(
    policies: Iterable[Policy | Document],
    action: str,
    resource: str,
    context: Context | None = None,
    principal: Mapping[str, str] | None = None,
) -> Decision:
    """The decision AWS reaches for `action` on `resource` under these identity (or trust)
    policies, with the request context `context` (condition keys, e.g.
    `{"iam:PassedToService": "ecs-tasks.amazonaws.com"}`).

    `principal` (for trust and resource policies): the caller as `{"Service": "..."}` or
    `{"AWS": "arn:..."}`; a statement naming a Principal applies only to a principal it names.
    Without `principal`, statements are taken as identity-policy statements.
    """
    ctx = dict(context or {})
    allow: tuple[Document, str] | None = None
    for policy in policies:
        named = policy if isinstance(policy, Policy) else Policy("policy", policy)
        for statement in statements(named.document):
            if not _applies(statement, action, resource, ctx, principal):
                continue
            effect = statement.get("Effect")
            if effect == "Deny":
                return Decision(False, "explicit deny", statement, named.name, action, resource, ctx)
            if effect != "Allow":
                raise UnsupportedPolicy(f"statement {_sid(statement)}: Effect must be Allow or Deny")
            allow = allow or (statement, named.name)
    if allow:
        return Decision(True, "allow", allow[0], allow[1], action, resource, ctx)
    return Decision(False, "implicit deny", None, "", action, resource, ctx)


def statements(document: Document) -> list[Document]:
    """A document's statements: `Statement` may be one statement or a list of them."""
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def undecided_keys(policies: Sequence[Policy], decision: Decision, context: Context,
                   principal: Mapping[str, str] | None = None) -> list[str]:
    """The condition keys, absent from `context`, that a denial may hang on (sorted; [] when
    the denial stands whatever they are): the deciding Deny names one, or an Allow names one and
    would match without its conditions. The caller chooses what an undecided denial means (the
    sandbox lets the request through with a warning, the doctor says "not checked")."""
    if decision.allowed:
        return []
    suspects: list[Document] = []
    if decision.reason == "explicit deny":
        if decision.statement is not None:
            suspects.append(decision.statement)
    else:
        for policy in policies:
            for statement in statements(policy.document):
                if statement.get("Effect") != "Allow" or not _unknown_keys(statement, context):
                    continue
                bare = {k: v for k, v in statement.items() if k != "Condition"}
                if evaluate([Policy(policy.name, {"Statement": [bare]})], decision.action, decision.resource,
                            principal=principal).allowed:
                    suspects.append(statement)
    return sorted({key for statement in suspects for key in _unknown_keys(statement, context)})


def _unknown_keys(statement: Document, context: Context) -> list[str]:
    known = {k.lower() for k in context}
    block = statement.get("Condition") or {}
    return [key for keys in block.values() if isinstance(keys, Mapping) for key in keys if key.lower() not in known]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _applies(statement: Document, action: str, resource: str, ctx: dict[str, Any],
             principal: Mapping[str, str] | None) -> bool:
    if not _element(statement, "Action", "NotAction", lambda p: _match_action(p, action)):
        return False
    if ("Resource" in statement or "NotResource" in statement) and not _element(
            statement, "Resource", "NotResource", lambda p: _match_resource(p, resource)):
        return False
    if principal is not None and not _principal_applies(statement, principal):
        return False
    return _conditions(statement.get("Condition", {}), ctx)


def _element(statement: Document, positive: str, negative: str, match: Any) -> bool:
    if positive in statement:
        return any(match(p) for p in _list(statement[positive]))
    if negative in statement:
        return not any(match(p) for p in _list(statement[negative]))
    raise UnsupportedPolicy(f"statement {_sid(statement)} has neither {positive} nor {negative}")


# -- matching --------------------------------------------------------------------------------


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise UnsupportedPolicy(f"policy variables are not modelled: {pattern!r}")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _match_action(pattern: str, action: str) -> bool:
    # Action names are case-insensitive (IAM User Guide, "IAM JSON policy elements: Action").
    return _like(pattern, action, ignore_case=True)


def _match_resource(pattern: str, resource: str) -> bool:
    return _arn_like(pattern, resource)


def _arn_like(pattern: str, arn: str) -> bool:
    """ARNs match component by component: a wildcard does not span the colons between
    partition, service, region and account (IAM User Guide, condition operators, ArnLike)."""
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return _like(pattern, arn)
    return all(_like(p, a) for p, a in zip(p_parts, a_parts, strict=True))


def _principal_applies(statement: Document, principal: Mapping[str, str]) -> bool:
    def names(value: Any) -> bool:
        if value == "*":
            return True
        if not isinstance(value, Mapping):
            raise UnsupportedPolicy(f"statement {_sid(statement)}: Principal must be '*' or a map")
        return any(principal.get(kind) in _list(ids) or "*" in _list(ids) for kind, ids in value.items())

    if "Principal" in statement:
        return names(statement["Principal"])
    if "NotPrincipal" in statement:
        return not names(statement["NotPrincipal"])
    return True


# -- conditions --------------------------------------------------------------------------------


def _string_eq(p: str, v: str) -> bool:
    return p == v


def _string_eq_ic(p: str, v: str) -> bool:
    return p.lower() == v.lower()


def _numeric(compare: Any) -> Any:
    def check(p: str, v: str) -> bool:
        return bool(compare(float(v), float(p)))

    return check


# operator -> (test of one policy value against one context value, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (_string_eq, False),
    "StringNotEquals": (_string_eq, True),
    "StringEqualsIgnoreCase": (_string_eq_ic, False),
    "StringNotEqualsIgnoreCase": (_string_eq_ic, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_arn_like, False),  # AWS treats ArnEquals like ArnLike
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
    "NumericEquals": (_numeric(lambda v, p: v == p), False),
    "NumericNotEquals": (_numeric(lambda v, p: v == p), True),
    "NumericLessThan": (_numeric(lambda v, p: v < p), False),
    "NumericLessThanEquals": (_numeric(lambda v, p: v <= p), False),
    "NumericGreaterThan": (_numeric(lambda v, p: v > p), False),
    "NumericGreaterThanEquals": (_numeric(lambda v, p: v >= p), False),
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _conditions(block: Mapping[str, Any], ctx: Mapping[str, Any]) -> bool:
    # Every operator and every key must hold (AND); the values under one key are
    # alternatives (OR). IAM User Guide, "Creating a condition with multiple keys or values".
    return all(
        _condition(operator, key, _list(values), ctx)
        for operator, keys in block.items()
        for key, values in keys.items()
    )


def _lookup(ctx: Mapping[str, Any], key: str) -> Any:
    # Condition keys are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition").
    for name, value in ctx.items():
        if name.lower() == key.lower():
            return value
    return None


def _condition(operator: str, key: str, values: list[Any], ctx: Mapping[str, Any]) -> bool:
    present = _lookup(ctx, key)
    if operator == "Null":
        wanted = _text(values[0]).lower() == "true"
        return (present is None) == wanted
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"unknown condition set operator {qualifier!r}")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator!r} is not modelled")
    test, negated = _OPERATORS[base]
    wanted_values = [_text(v) for v in values]
    for v in wanted_values:
        if "${" in v:
            raise UnsupportedPolicy(f"policy variables are not modelled: {v!r}")
    if present is None:
        # A missing key: IfExists passes; ForAllValues is vacuously true; a negated
        # operator is true; anything else is false (IAM User Guide, "Condition operators").
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier != "ForAnyValue")
    actual = [_text(v) for v in _list(present)]

    def one(value: str) -> bool:
        hit = any(test(p, value) for p in wanted_values)
        return not hit if negated else hit

    if qualifier == "ForAnyValue":
        return any(one(v) for v in actual)
    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    if len(actual) != 1:
        # a multivalued key needs a set operator; AWS never matches it otherwise
        return negated
    return one(actual[0])


def denied(policies: Sequence[Policy | Document], requests: Iterable[tuple[str, str, Context]]) -> list[Decision]:
    """The denied decisions among `requests` (action, resource, context): [] when all pass."""
    return [d for d in (evaluate(policies, a, r, c) for a, r, c in requests) if not d.allowed]
