"""IAM: AWS managed policies exist, as in a real account, and trust policies can be read (who may
assume a role), for the services whose checks ask it; a policy that is not JSON is refused.

moto loads the managed policies only when its ``iam.load_aws_managed_policies`` option is set
before the account's IAM backend is first used: :func:`enable_managed_policies` runs at start.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ..wire import AwsError, AwsRequest, Response
from .common import Handler


def enable_managed_policies() -> None:
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def trusts(document: Any, service: str) -> bool:
    """Does a trust policy (a document, or its JSON, URL-encoded as IAM answers it) allow
    ``service`` to call sts:AssumeRole?"""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return False
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        if principal == "*":
            return True
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if service in services:
            return True
    return False


# Operations that take a policy document, and the parameter that carries it.
_POLICY_PARAMETERS = {
    "CreateRole": "AssumeRolePolicyDocument",
    "UpdateAssumeRolePolicy": "PolicyDocument",
    "PutRolePolicy": "PolicyDocument",
    "PutUserPolicy": "PolicyDocument",
    "PutGroupPolicy": "PolicyDocument",
    "CreatePolicy": "PolicyDocument",
    "CreatePolicyVersion": "PolicyDocument",
}


class IamChecks(Handler):
    """A policy document that is not a JSON object is refused as IAM refuses it
    (``MalformedPolicyDocument``), before moto stores it: moto keeps any text, and a role
    whose trust policy cannot be read then breaks every tool that lists it."""

    def handle(self, req: AwsRequest) -> Response | None:
        parameter = _POLICY_PARAMETERS.get(req.operation or "")
        if parameter is None:
            return None
        document = req.form().get(parameter)
        if document is None:
            return None  # a missing required member is the validator's answer
        try:
            parsed = json.loads(document)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict):
            # The wording users report from IAM: trust policies say the first, permission
            # policies the second (docs/reliability-sandbox.md).
            trust = parameter == "AssumeRolePolicyDocument" or req.operation == "UpdateAssumeRolePolicy"
            raise AwsError("MalformedPolicyDocument",
                           "This policy contains invalid Json" if trust else "Syntax errors in policy.")
        return None
