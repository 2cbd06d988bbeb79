"""Errors AWS gives where moto accepts the request silently.

Each check runs before the request is forwarded to moto and raises the error AWS answers:

- ECS ``CreateService`` whose load balancer target group is not behind any listener:
  ``InvalidParameterException: The target group with targetGroupArn ... does not have an
  associated load balancer.`` (and a target group that does not exist at all);
- CodeDeploy ``CreateDeploymentGroup`` naming target groups or listeners that do not exist
  (``InvalidTargetGroupPairException``);
- CodePipeline ``CreatePipeline``/``UpdatePipeline`` whose ``roleArn`` cannot be assumed by
  ``codepipeline.amazonaws.com`` (``InvalidStructureException: CodePipeline is not authorized to
  perform AssumeRole on role ...``), and an ECR source action for a repository that does not exist
  (``InvalidActionDeclarationException``; AWS's exact wording for this one is not documented).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from .clients import MotoClients
from .wire import AwsError, AwsRequest, Response


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class _Check:
    def __init__(self, clients: MotoClients) -> None:
        self.clients = clients

    def after(self, req: AwsRequest, resp: Response) -> Response:
        return resp

    def _body(self, req: AwsRequest) -> dict[str, Any] | None:
        try:
            return req.json_body()
        except AwsError:
            return None  # let moto answer the garbage


class EcsChecks(_Check):
    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation != "CreateService":
            return None
        body = self._body(req)
        if not body:
            return None
        lbs = body.get("loadBalancers")
        if not isinstance(lbs, list):
            return None
        elbv2 = self.clients.get("elbv2")
        for lb in lbs:
            arn = lb.get("targetGroupArn") if isinstance(lb, dict) else None
            if not isinstance(arn, str) or not arn:
                continue
            try:
                groups = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
            except ClientError as exc:
                if _code(exc) in ("TargetGroupNotFound", "ValidationError"):
                    groups = []
                else:
                    raise
            if not groups:
                raise AwsError(
                    "InvalidParameterException",
                    f"Unable to assume role and validate the specified targetGroupArn. Please verify "
                    f"that the ECS service role being passed has the proper permissions. ({arn})",
                )
            if not groups[0].get("LoadBalancerArns"):
                raise AwsError(
                    "InvalidParameterException",
                    f"The target group with targetGroupArn {arn} does not have an associated load balancer.",
                )
        return None


class CodeDeployChecks(_Check):
    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation not in ("CreateDeploymentGroup", "UpdateDeploymentGroup"):
            return None
        body = self._body(req)
        if not body:
            return None
        info = body.get("loadBalancerInfo")
        pairs = info.get("targetGroupPairInfoList") if isinstance(info, dict) else None
        if not isinstance(pairs, list):
            return None
        elbv2 = self.clients.get("elbv2")
        for pair in pairs:
            if not isinstance(pair, dict):
                continue
            for tg in pair.get("targetGroups") or []:
                name = tg.get("name") if isinstance(tg, dict) else None
                if not isinstance(name, str):
                    continue
                try:
                    elbv2.describe_target_groups(Names=[name])
                except ClientError as exc:
                    if _code(exc) not in ("TargetGroupNotFound", "ValidationError"):
                        raise
                    raise AwsError(
                        "InvalidTargetGroupPairException",
                        f"A target group pair associated with this deployment is not valid: "
                        f"the target group {name} does not exist.",
                    ) from exc
            for route in ("prodTrafficRoute", "testTrafficRoute"):
                r = pair.get(route)
                arns = r.get("listenerArns") if isinstance(r, dict) else None
                for arn in arns if isinstance(arns, list) else []:
                    if not isinstance(arn, str):
                        continue
                    try:
                        found = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"]
                    except ClientError as exc:
                        if _code(exc) not in ("ListenerNotFound", "ValidationError"):
                            raise
                        found = []
                    if not found:
                        raise AwsError(
                            "InvalidTargetGroupPairException",
                            f"A target group pair associated with this deployment is not valid: "
                            f"the listener {arn} in {route} does not exist.",
                        )
        return None


class CodePipelineChecks(_Check):
    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation not in ("CreatePipeline", "UpdatePipeline"):
            return None
        body = self._body(req)
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
            if _code(exc) in ("NoSuchEntity", "ValidationError"):
                raise denied from exc
            raise
        if role.get("Arn") != role_arn or not _trusts(
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
            if _code(exc) != "RepositoryNotFoundException":
                raise
            raise AwsError(
                "InvalidActionDeclarationException",
                f"Action configuration for action '{action.get('name')}' is not valid: the repository "
                f"with name '{repo}' does not exist in the registry with id '{self.clients.account_id}'",
            ) from exc


def _trusts(document: Any, service: str) -> bool:
    """Does a trust policy allow ``service`` to call sts:AssumeRole?"""
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
