"""A role against what its service does with it: the denied needs, grouped for one finding, and
the command that grants them.

A role's needs are decided one by one with `role_documents.allows`; a need the documents cannot
decide (a policy the evaluator does not model, an unknown condition key) is kept aside: the
denials found are still reported, and with none the rule is not checked (never a silent pass).
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bluegreen.aws.iam.needs import Need
from bluegreen.doctor.facts import Facts, Unavailable
from bluegreen.doctor.role_documents import RolePolicies, allows, role_policies
from bluegreen.doctor.rules.iam_needs import fix_policy


@dataclass(frozen=True)
class Shortfall:
    role: RolePolicies
    denied: tuple[Need, ...]
    undecided: tuple[str, ...]  # why some needs could not be decided

    def text(self) -> str:
        """'a, b on R (needed for F); c on S (needed for G)': one group per resource and feature."""
        groups: dict[tuple[str, str, str], list[str]] = {}
        for need in self.denied:
            context = "".join(f" with {k}={v}" for k, v in sorted(need.context.items()))
            groups.setdefault((need.resource, context, need.feature), []).append(need.action)
        return "; ".join(f"{', '.join(dict.fromkeys(actions))} on {resource}{context} (needed for {feature})"
                         for (resource, context, feature), actions in groups.items())

    def fix(self) -> str:
        document = json.dumps(fix_policy(self.denied), separators=(",", ":"))
        # A name of its own per fix: put-role-policy replaces a policy of the same name, and an
        # earlier fix must not be taken back by the next one.
        name = "bluegreen-doctor-" + hashlib.sha256(document.encode()).hexdigest()[:8]
        return (f"aws iam put-role-policy --role-name {self.role.name} --policy-name {name} "
                f"--policy-document {shlex.quote(document)}")


async def shortfall(f: Facts, role_arn: str, needs: Sequence[Need]) -> Shortfall | None:
    """The needs `role_arn` does not allow; None when the role does not exist (role-trust says
    so). Raises Unavailable when nothing was found denied but some need could not be decided."""
    role = await role_policies(f, role_arn)
    if role is None:
        return None
    denied: list[Need] = []
    undecided: list[str] = []
    for need in needs:
        try:
            if not allows(role, need.action, need.resource, need.context):
                denied.append(need)
        except Unavailable as exc:
            undecided.append(exc.reason)
    if not denied and undecided:
        raise Unavailable(undecided[0])
    return Shortfall(role, tuple(_unique(denied)), tuple(undecided))


def _unique(needs: Sequence[Need]) -> list[Need]:
    seen: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], Need] = {}
    for n in needs:
        seen.setdefault((n.action, n.resource, n.feature, tuple(sorted(n.context.items()))), n)
    return list(seen.values())
