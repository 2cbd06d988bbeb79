"""Pinned copies of the AWS managed policies the stack attaches (or models its own on).

Each `managed/<PolicyName>.json` holds the ARN, the default version id and the document as
moto ships it, which is the document of the AWS Managed Policy Reference page of that policy
(docs/fidelity/iam.md says which version and how to refresh them). A pinned copy keeps the
evaluation reproducible: AWS may publish a new version, and the check should change only
when we re-pin on purpose.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .evaluate import Policy


@cache
def _pinned() -> dict[str, dict[str, Any]]:
    folder = resources.files("bluegreen.policy").joinpath("managed")
    out = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            out[_key(data["Arn"])] = data
    return out


def _key(arn: str) -> str:
    # "arn:<partition>:iam::aws:policy/<path><name>": the same document in every partition
    return arn.split(":", 5)[-1]


def pinned_arns() -> list[str]:
    return sorted(str(data["Arn"]) for data in _pinned().values())


def managed_policy(arn: str) -> Policy:
    """The pinned document of the managed policy `arn`; KeyError when it is not pinned."""
    data = _pinned()[_key(arn)]
    return Policy(arn, data["Document"])


def version(arn: str) -> str:
    return str(_pinned()[_key(arn)]["DefaultVersionId"])
