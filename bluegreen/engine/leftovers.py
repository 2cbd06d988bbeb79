"""What still carries a stack's tag: the check after a destroy, and the test of one."""

from __future__ import annotations

from bluegreen.aws.session import AwsSession
from bluegreen.model.config import TAG_KEY


def leftovers(session: AwsSession, stack: str) -> list[str]:
    """ARNs of everything tagged bluegreen:stack=<stack>: the tagging API for most services,
    IAM separately (its roles are global and outside that API)."""
    found: list[str] = []
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": TAG_KEY, "Values": [stack]}]):
        found += [str(r["ResourceARN"]) for r in page.get("ResourceTagMappingList", []) if r.get("ResourceARN")]
    iam = session.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles", []):
            # .get everywhere: an object someone else made (another tool, a half-made role)
            # may lack what ours carry, and must never break the check after a destroy
            name = str(role.get("RoleName") or "")
            if not name.startswith(f"{stack}-"):
                continue
            tags = iam.list_role_tags(RoleName=name).get("Tags", [])
            if any(t.get("Key") == TAG_KEY and t.get("Value") == stack for t in tags):
                found.append(str(role.get("Arn") or name))
    return sorted(set(found))
