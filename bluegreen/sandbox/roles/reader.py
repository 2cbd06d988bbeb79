"""A role as IAM holds it: its trust policy and every identity policy that applies to it.

Read from moto's IAM (the sandbox's account store) at each check, so a policy changed a moment ago
counts, as on AWS once IAM has propagated it. Identity policies are the role's inline policies and
its attached managed policies; an AWS managed policy is taken from the pinned copies of
:mod:`bluegreen.policy.managed` when one is pinned (the same document the tool's own checks use),
else from moto's copy; a customer managed policy from its default version in moto. A permissions
boundary is read too: AWS allows only what both the identity policies and the boundary allow.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from bluegreen.policy.evaluate import Policy, UnsupportedPolicy
from bluegreen.policy.managed import managed_policy

from ..clients import MotoClients

AWS_MANAGED = ":iam::aws:policy/"


@dataclass(frozen=True)
class RoleDocuments:
    arn: str
    name: str
    account: str
    trust: dict[str, Any]
    policies: tuple[Policy, ...]  # inline first, then attached managed policies
    boundary: Policy | None = None


def role_name(role_arn: str) -> str:
    """The name in ``arn:aws:iam::<account>:role/<path/>name`` (the path is not part of it)."""
    return role_arn.rsplit("/", 1)[-1]


def arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _document(value: Any) -> dict[str, Any]:
    # botocore decodes IAM's URL-encoded JSON; a string is decoded here in case it did not
    if isinstance(value, str):
        value = json.loads(unquote(value))
    if not isinstance(value, dict):
        raise UnsupportedPolicy(f"a policy document that is not a JSON object: {value!r}")
    return value


class RoleReader:
    """Reads roles from moto, in the account their ARN names (moto keeps each account apart)."""

    def __init__(self, moto_url: str, region: str) -> None:
        self.moto_url = moto_url
        self.region = region
        self._clients: dict[str, MotoClients] = {}
        self._lock = threading.Lock()

    def _iam(self, account: str) -> Any:
        with self._lock:
            clients = self._clients.get(account)
            if clients is None:
                clients = self._clients[account] = MotoClients(self.moto_url, self.region, account)
        return clients.get("iam")

    def read(self, role_arn: str) -> RoleDocuments | None:
        """The role, or None when IAM has no role with exactly this ARN (path included)."""
        account = arn_account(role_arn)
        if ":role/" not in role_arn or not account:
            return None
        iam = self._iam(account)
        name = role_name(role_arn)
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchEntity", "ValidationError"):
                return None
            raise
        if role.get("Arn") != role_arn:
            return None
        policies = [
            Policy(f"inline {policy}", _document(iam.get_role_policy(RoleName=name, PolicyName=policy)[
                "PolicyDocument"]))
            for policy in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
        ]
        policies += [
            self._managed(iam, attached["PolicyArn"])
            for attached in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        ]
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return RoleDocuments(
            arn=role_arn,
            name=name,
            account=account,
            trust=_document(role.get("AssumeRolePolicyDocument") or {}),
            policies=tuple(policies),
            boundary=self._managed(iam, boundary_arn) if boundary_arn else None,
        )

    def _managed(self, iam: Any, arn: str) -> Policy:
        if AWS_MANAGED in arn:
            try:
                return managed_policy(arn)
            except KeyError:
                pass  # not pinned: moto's copy of it
        try:
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
            version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        except ClientError as exc:
            raise UnsupportedPolicy(f"the managed policy {arn} cannot be read: {exc}") from exc
        return Policy(arn, _document(version["Document"]))

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()


def _pages(iam: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in iam.get_paginator(operation).paginate(**kwargs) for item in page[key]]
