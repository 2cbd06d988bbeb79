"""CodePipeline: moto stores pipelines; the sandbox refuses, before moto sees them, the ones AWS
refuses.

- ``CreatePipeline``/``UpdatePipeline`` whose ``roleArn`` cannot be assumed by
  ``codepipeline.amazonaws.com``: ``InvalidStructureException: CodePipeline is not authorized to
  perform AssumeRole on role ...``;
- an ECR source action for a repository that does not exist: ``InvalidActionDeclarationException``
  (AWS's exact wording for this one is not documented).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..clients import MotoClients
from ..wire import AwsError, AwsRequest, Response
from .common import Handler, error_code, json_body_or_none
from .iam import trusts


class CodePipelineChecks(Handler):
    def __init__(self, clients: MotoClients) -> None:
        self.clients = clients

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation not in ("CreatePipeline", "UpdatePipeline"):
            return None
        body = json_body_or_none(req)
        pipeline = body.get("pipeline") if body else None
        if not isinstance(pipeline, dict):
            return None
        role = pipeline.get("roleArn")
        if isinstance(role, str) and role:
            self._check_role(role)
        for stage in pipeline.get("stages") or []:
            for action in (stage.get("actions") or []) if isinstance(stage, dict) else []:
                if isinstance(action, dict):
                    self._check_action(action)
        return None

    def _check_role(self, role_arn: str) -> None:
        denied = AwsError(
            "InvalidStructureException",
            f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}",
        )
        if ":role/" not in role_arn:
            raise denied
        name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.clients.get("iam").get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if error_code(exc) in ("NoSuchEntity", "ValidationError"):
                raise denied from exc
            raise
        if role.get("Arn") != role_arn or not trusts(
            role.get("AssumeRolePolicyDocument"), "codepipeline.amazonaws.com"
        ):
            raise denied

    def _check_action(self, action: dict[str, Any]) -> None:
        type_id = action.get("actionTypeId") or {}
        if not isinstance(type_id, dict):
            return
        if type_id.get("category") != "Source" or type_id.get("provider") != "ECR":
            return
        config = action.get("configuration") or {}
        repo = config.get("RepositoryName") if isinstance(config, dict) else None
        if not isinstance(repo, str):
            return
        try:
            self.clients.get("ecr").describe_repositories(repositoryNames=[repo])
        except ClientError as exc:
            if error_code(exc) != "RepositoryNotFoundException":
                raise
            raise AwsError(
                "InvalidActionDeclarationException",
                f"Action configuration for action '{action.get('name')}' is not valid: the repository "
                f"with name '{repo}' does not exist in the registry with id '{self.clients.account_id}'",
            ) from exc
