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
        found += [r["ResourceARN"] for r in page["ResourceTagMappingList"]]
    iam = session.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if not role["RoleName"].startswith(f"{stack}-"):
                continue
            tags = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
            if any(t["Key"] == TAG_KEY and t["Value"] == stack for t in tags):
                found.append(role["Arn"])
    return sorted(set(found))
