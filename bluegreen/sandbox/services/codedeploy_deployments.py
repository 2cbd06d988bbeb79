"""CodeDeploy's deployment operations, answered from the sandbox's deployment engine
(:mod:`bluegreen.sandbox.deploy`) in AWS's shapes: CreateDeployment, GetDeployment,
BatchGetDeployments, ListDeployments, ListDeploymentTargets, GetDeploymentTarget,
BatchGetDeploymentTargets, ContinueDeployment, StopDeployment.

CreateDeployment checks what AWS checks before a deployment starts: the application and group
exist (moto's storage, through :class:`~.codedeploy.CodeDeploy`), the group is on the ECS
compute platform, the revision is an AppSpec (``AppSpecContent``, or an ``S3`` object of bundle
type YAML or JSON) whose task definition is registered with ECS and whose container and port are
in it. Error names are AWS's; wording beyond the documented sentences is listed in
docs/sandbox-deployments.md.
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from ..deploy import DeploymentEngine
from ..deploy import api as shapes
from ..deploy.appspec import AppSpec, invalid, parse
from ..deploy.model import CREATED, Deployment, GroupSnapshot
from ..wire import AwsError, AwsRequest, Response, json_response
from .codedeploy import DEFAULT_CONFIG, CodeDeploy, _group_missing
from .common import BackendHandler, Params, wrong_type

_ID_RE = re.compile(r"^d-[A-Z0-9]{9}$")
MAX_BATCH = 100  # BatchGetDeployments


def _bad_id() -> AwsError:
    return AwsError("InvalidDeploymentIdException", "At least one of the deployment IDs was specified in an invalid format.")


def _id_required() -> AwsError:
    return AwsError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")


class CodeDeployDeployments(BackendHandler):
    def __init__(self, account_id: str, default_region: str, codedeploy: CodeDeploy, engine: DeploymentEngine) -> None:
        super().__init__(account_id, default_region)
        self.codedeploy = codedeploy
        self.engine = engine
        self._ops: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "CreateDeployment": self.create_deployment,
            "GetDeployment": self.get_deployment,
            "BatchGetDeployments": self.batch_get_deployments,
            "ListDeployments": self.list_deployments,
            "ListDeploymentTargets": self.list_deployment_targets,
            "GetDeploymentTarget": self.get_deployment_target,
            "BatchGetDeploymentTargets": self.batch_get_deployment_targets,
            "ContinueDeployment": self.continue_deployment,
            "StopDeployment": self.stop_deployment,
        }

    def handle(self, req: AwsRequest) -> Response | None:
        op = self._ops.get(req.operation or "")
        if op is None:
            return None
        return json_response(req, op(self.region(req), req.json_body()))

    # --- CreateDeployment ----------------------------------------------------------------------

    def create_deployment(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        cd = self.codedeploy
        app_name = cd._app_name(body)
        group_name = cd._group_name(body)
        with cd._lock:
            app = cd._app(region, app_name)
            group = cd.backend(region).deployment_groups.get(app_name, {}).get(group_name)
            if group is None:
                raise _group_missing(group_name)
            if app.compute_platform != "ECS":
                raise AwsError(
                    "NotImplemented",
                    f"The bluegreen sandbox runs deployments of the ECS compute platform only, not {app.compute_platform}.",
                    501,
                    sender=False,
                )
            snapshot = self._snapshot(region, group, body)
        revision = body.get("revision")
        if not revision:
            raise AwsError("RevisionRequiredException", "RevisionLocation must be specified")
        if not isinstance(revision, dict):
            raise wrong_type("revision")
        appspec = parse(self._appspec_content(region, revision))
        roles = self._check_task_definition(region, appspec)
        rollback = body.get("autoRollbackConfiguration")
        if rollback is not None and not isinstance(rollback, dict):
            raise wrong_type("autoRollbackConfiguration")
        d = self.engine.create(
            region,
            snapshot,
            revision,
            appspec,
            auto_rollback=rollback,
            description=Params(body).text("description"),
            pass_roles=roles,
        )
        return {"deploymentId": d.deployment_id}

    def _snapshot(self, region: str, group: Any, body: dict[str, Any]) -> GroupSnapshot:
        name = body.get("deploymentConfigName") or group.deployment_config_name or DEFAULT_CONFIG["ECS"]
        config = self.codedeploy._config(region, str(name))
        if config.get("computePlatform") != "ECS":
            raise AwsError(
                "InvalidDeploymentConfigNameException",
                f"The deployment configuration name was specified in an invalid format: {name} is not a configuration of the ECS compute platform.",
            )
        return GroupSnapshot(
            application=group.application.application_name,
            name=group.deployment_group_name,
            group_id=group.deployment_group_id,
            service_role_arn=str(group.service_role_arn or ""),
            config_name=str(name),
            routing=dict(config.get("trafficRoutingConfig") or {}),
            deployment_style=dict(group.deployment_style or {}),
            blue_green=dict(group.blue_green_deployment_configuration or {}),
            load_balancer_info=dict(group.load_balancer_info or {}),
            ecs_services=list(group.ecs_services or []),
            auto_rollback=dict(group.auto_rollback_configuration or {}),
            alarms=dict(group.alarm_configuration or {}) if isinstance(group.alarm_configuration, dict) else {},
        )

    def _appspec_content(self, region: str, revision: dict[str, Any]) -> str:
        kind = revision.get("revisionType")
        if kind == "AppSpecContent":
            spec = revision.get("appSpecContent")
            spec = spec if isinstance(spec, dict) else {}
            content = spec.get("content")
            if not isinstance(content, str) or not content:
                raise invalid("appSpecContent.content is required for revisionType AppSpecContent")
            digest = spec.get("sha256")
            if digest and digest != hashlib.sha256(content.encode()).hexdigest():
                raise invalid("the sha256 of appSpecContent does not match its content")
            return content
        if kind == "S3":
            where = revision.get("s3Location")
            if not isinstance(where, dict) or not where.get("bucket") or not where.get("key"):
                raise invalid("s3Location needs a bucket and a key")
            if where.get("bundleType") not in ("YAML", "JSON"):
                raise invalid("the bundle type of an Amazon ECS revision in S3 must be YAML or JSON")
            try:
                data = self.engine.api.read_object(region, str(where["bucket"]), str(where["key"]), where.get("version"))
            except AwsError as err:
                raise AwsError("RevisionDoesNotExistException", f"The named revision does not exist with the user or AWS account: {err.message}") from None
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid("the AppSpec file in S3 is not UTF-8 text") from None
        raise invalid("an Amazon ECS deployment takes a revision of type AppSpecContent or S3")

    def _check_task_definition(self, region: str, appspec: AppSpec) -> tuple[str, ...]:
        """The AppSpec's task definition is registered and has its container and port; the roles
        CodeDeploy will pass to ECS with it."""
        try:
            definition = self.moto_backend("ecs", region).describe_task_definition(appspec.task_definition)
        except Exception:  # moto's TaskDefinitionNotFoundException, or a name it cannot read
            raise invalid(f"the task definition {appspec.task_definition} in the AppSpec file does not exist") from None
        container = next((c for c in definition.container_definitions if c.get("name") == appspec.container_name), None)
        if container is None:
            raise invalid(f"the container {appspec.container_name} is not in the task definition {definition.arn}")
        ports = [m.get("containerPort") for m in container.get("portMappings") or []]
        if appspec.container_port not in ports:
            raise invalid(f"the container {appspec.container_name} did not have a container port {appspec.container_port} defined")
        roles = (getattr(definition, "execution_role_arn", None), getattr(definition, "task_role_arn", None))
        return tuple(str(r) for r in roles if r)  # moto sets each only when given

    # --- reading -------------------------------------------------------------------------------

    def _deployment(self, region: str, body: dict[str, Any]) -> Deployment:
        deployment_id = body.get("deploymentId")
        if deployment_id is None or deployment_id == "":
            raise _id_required()
        if not isinstance(deployment_id, str):
            raise wrong_type("deploymentId", "a string")
        if not _ID_RE.match(deployment_id):
            raise _bad_id()
        return self.engine.get(region, deployment_id)

    def _info(self, d: Deployment) -> dict[str, Any]:
        self.engine.refresh(d)
        with self.engine.reading():
            return shapes.deployment_info(d)

    def get_deployment(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentInfo": self._info(self._deployment(region, body))}

    def batch_get_deployments(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        ids = Params(body).items("deploymentIds")
        if not ids:
            raise _id_required()
        if len(ids) > MAX_BATCH:
            raise AwsError("BatchLimitExceededException", f"The maximum number of names or IDs allowed for this request ({MAX_BATCH}) was exceeded.")
        if not all(isinstance(i, str) and _ID_RE.match(i) for i in ids):
            raise _bad_id()
        found = [self.engine.find(region, i) for i in ids]
        return {"deploymentsInfo": [self._info(d) for d in found if d is not None]}

    def list_deployments(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        cd = self.codedeploy
        app_name = Params(body).text("applicationName")
        group_name = Params(body).text("deploymentGroupName")
        if app_name and not group_name:
            raise AwsError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
        if group_name and not app_name:
            raise AwsError("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
        found = self.engine.deployments(region)
        if app_name and group_name:
            with cd._lock:
                cd._app(region, app_name)
                if group_name not in cd.backend(region).deployment_groups.get(app_name, {}):
                    raise _group_missing(group_name)
            found = [d for d in found if (d.group.application, d.group.name) == (app_name, group_name)]
        statuses = Params(body).items("includeOnlyStatuses")
        if statuses:
            found = [d for d in found if d.status in statuses]
        found = [d for d in found if _in_range(d.create_time, body.get("createTimeRange"))]
        if body.get("externalId"):
            found = []  # no sandbox deployment is linked to an external resource
        ids = [d.deployment_id for d in reversed(found)]  # newest first
        items, token = shapes.page(ids, Params(body).text("nextToken"), f"deployments:{region}:{app_name}:{group_name}")
        out: dict[str, Any] = {"deployments": items}
        if token:
            out["nextToken"] = token
        return out

    # --- targets -------------------------------------------------------------------------------

    def _started(self, region: str, body: dict[str, Any]) -> Deployment:
        d = self._deployment(region, body)
        if d.status == CREATED:
            raise AwsError("DeploymentNotStartedException", "The specified deployment has not started.")
        return d

    def _target(self, d: Deployment, target_id: Any) -> dict[str, Any]:
        if target_id is None or target_id == "":
            raise AwsError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        if target_id != d.target.target_id:
            raise AwsError("DeploymentTargetDoesNotExistException", "The provided target ID does not belong to the attempted deployment.")
        self.engine.refresh(d)
        with self.engine.reading():
            return shapes.ecs_target(d)

    def list_deployment_targets(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        d = self._started(region, body)
        filters = body.get("targetFilters") or {}
        if not isinstance(filters, dict):
            raise wrong_type("targetFilters")
        ids = [d.target.target_id]
        statuses = filters.get("TargetStatus")
        if statuses and d.target.status not in statuses:
            ids = []
        if filters.get("ServerInstanceLabel"):
            ids = []  # an ECS service target carries no instance label
        items, token = shapes.page(ids, Params(body).text("nextToken"), f"targets:{d.deployment_id}")
        out: dict[str, Any] = {"targetIds": items}
        if token:
            out["nextToken"] = token
        return out

    def get_deployment_target(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        d = self._started(region, body)
        return {"deploymentTarget": self._target(d, body.get("targetId"))}

    def batch_get_deployment_targets(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        d = self._started(region, body)
        ids = Params(body).items("targetIds")
        if not ids:
            raise AwsError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        if len(ids) > 1:  # 25 for other platforms; an ECS deployment has exactly one target
            raise AwsError(
                "DeploymentTargetListSizeExceededException",
                "The maximum number of targets that can be associated with an Amazon ECS or Lambda deployment was exceeded. The target list of both types of deployments must have exactly one item.",
            )
        return {"deploymentTargets": [self._target(d, ids[0])]}

    # --- continue and stop ---------------------------------------------------------------------

    def continue_deployment(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        d = self._deployment(region, body)
        wait_type = Params(body).text("deploymentWaitType") or "READY_WAIT"
        self.engine.continue_deployment(region, d.deployment_id, wait_type)
        return {}

    def stop_deployment(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        d = self._deployment(region, body)
        rollback = body.get("autoRollbackEnabled")
        if rollback is not None and not isinstance(rollback, bool):
            raise wrong_type("autoRollbackEnabled", "a boolean")
        status, message = self.engine.stop_deployment(region, d.deployment_id, rollback)
        return {"status": status, "statusMessage": message}


def _in_range(created: float, time_range: Any) -> bool:
    if not isinstance(time_range, dict):
        return True
    start, end = time_range.get("start"), time_range.get("end")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and start > end:
        raise AwsError("InvalidTimeRangeException", "The specified time range was specified in an invalid format.")
    if isinstance(start, (int, float)) and created < start:
        return False
    return not (isinstance(end, (int, float)) and created > end)
