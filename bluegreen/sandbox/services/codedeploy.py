"""CodeDeploy operations moto 5.2 lacks, over moto's own application and group storage.

moto creates, reads, lists and tags applications and deployment groups well enough, so those paths
stay moto's. The sandbox adds, on the same storage (moto's ``codedeploy`` backend of the request's
account and region, the objects ``create_application``/``create_deployment_group`` made):

- ``DeleteApplication`` (and its groups and tags), ``UpdateApplication`` (rename);
- ``DeleteDeploymentGroup``, ``UpdateDeploymentGroup`` (any field, rename), ``BatchGetDeploymentGroups``;
- ``GetDeploymentGroup`` and ``BatchGetDeploymentGroups`` describe a group as AWS does (:func:`group_info`):
  moto 5.2 answers ``alarmConfiguration: {}`` whatever the group was given, leaves
  ``outdatedInstancesStrategy`` and ``terminationHookEnabled`` null and ``waitTimeInMinutes`` out, and
  adds empty ``targetRevision``/``lastSuccessfulDeployment``/``lastAttemptedDeployment`` objects;
- deployment configurations: the built-in ones (Server, Lambda, ECS) and custom ones
  (``Create``/``Get``/``Delete``/``ListDeploymentConfigs``; ECS ``TimeBasedCanary`` and
  ``TimeBasedLinear``), checked where a group names one;
- ``TagResource``/``UntagResource``/``ListTagsForResource`` with the errors AWS gives for a bad or
  unknown ARN (moto tags any string);
- once the group has deployments (the deployment engine, :attr:`CodeDeploy.deployments`),
  ``lastAttemptedDeployment``, ``lastSuccessfulDeployment`` and ``targetRevision``.

Deployments themselves are answered by :mod:`.codedeploy_deployments`.

:class:`CodeDeployChecks` refuses, before moto sees it, a ``CreateDeploymentGroup`` or
``UpdateDeploymentGroup`` naming target groups or listeners that do not exist
(``InvalidTargetGroupPairException``).

Errors carry the exception names AWS answers with.
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..clients import MotoClients
from ..wire import AwsError, AwsRequest, Response, json_response
from .common import BackendHandler, Handler, Params, error_code, is_system_tag, json_body_or_none, tag_fits, wrong_type

_NAME_RE = re.compile(r"^.{1,100}$", re.S)

# name -> (compute platform, traffic routing, minimum healthy hosts)
_Builtin = tuple[str, dict[str, Any], dict[str, Any] | None]


def _canary(pct: int, minutes: int) -> dict[str, Any]:
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": pct, "canaryInterval": minutes}}


def _linear(pct: int, minutes: int) -> dict[str, Any]:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": pct, "linearInterval": minutes}}


_ALL_AT_ONCE = {"type": "AllAtOnce"}

BUILTIN_CONFIGS: dict[str, _Builtin] = {
    "CodeDeployDefault.OneAtATime": ("Server", _ALL_AT_ONCE, {"type": "FLEET_PERCENT", "value": 99}),
    "CodeDeployDefault.HalfAtATime": ("Server", _ALL_AT_ONCE, {"type": "FLEET_PERCENT", "value": 50}),
    "CodeDeployDefault.AllAtOnce": ("Server", _ALL_AT_ONCE, {"type": "HOST_COUNT", "value": 0}),
    "CodeDeployDefault.LambdaAllAtOnce": ("Lambda", _ALL_AT_ONCE, None),
    "CodeDeployDefault.LambdaCanary10Percent5Minutes": ("Lambda", _canary(10, 5), None),
    "CodeDeployDefault.LambdaCanary10Percent10Minutes": ("Lambda", _canary(10, 10), None),
    "CodeDeployDefault.LambdaCanary10Percent15Minutes": ("Lambda", _canary(10, 15), None),
    "CodeDeployDefault.LambdaCanary10Percent30Minutes": ("Lambda", _canary(10, 30), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": ("Lambda", _linear(10, 1), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": ("Lambda", _linear(10, 2), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": ("Lambda", _linear(10, 3), None),
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": ("Lambda", _linear(10, 10), None),
    "CodeDeployDefault.ECSAllAtOnce": ("ECS", _ALL_AT_ONCE, None),
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": ("ECS", _linear(10, 1), None),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": ("ECS", _linear(10, 3), None),
    "CodeDeployDefault.ECSCanary10Percent5Minutes": ("ECS", _canary(10, 5), None),
    "CodeDeployDefault.ECSCanary10Percent15Minutes": ("ECS", _canary(10, 15), None),
}
_BUILTIN_CREATED = 1414800000.0  # built-in configurations predate every account

# The default configuration of a group that names none, by compute platform.
DEFAULT_CONFIG = {
    "Server": "CodeDeployDefault.OneAtATime",
    "Lambda": "CodeDeployDefault.LambdaAllAtOnce",
    "ECS": "CodeDeployDefault.ECSAllAtOnce",
}

# The request fields of UpdateDeploymentGroup -> moto's DeploymentGroup attribute.
_GROUP_FIELDS = {
    "deploymentConfigName": "deployment_config_name",
    "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy",
    "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
    "ec2TagSet": "ec2_tag_set",
    "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set",
    "terminationHookEnabled": "termination_hook_enabled",
}


def _app_missing(name: str) -> AwsError:
    return AwsError(
        "ApplicationDoesNotExistException",
        f"The application {name} does not exist with the user or AWS account.",
    )


def _group_missing(name: str) -> AwsError:
    return AwsError(
        "DeploymentGroupDoesNotExistException",
        f"The deployment group {name} does not exist with the user or AWS account.",
    )


def _config_missing(name: str) -> AwsError:
    return AwsError(
        "DeploymentConfigDoesNotExistException",
        f"The deployment configuration {name} does not exist with the user or AWS account.",
    )


class CodeDeployChecks(Handler):
    """Refuses a deployment group whose target groups or listeners do not exist (moto stores any
    name), before moto or :class:`CodeDeploy` sees it."""

    def __init__(self, clients: MotoClients) -> None:
        self.clients = clients

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation not in ("CreateDeploymentGroup", "UpdateDeploymentGroup"):
            return None
        body = json_body_or_none(req)
        if not body:
            return None
        info = body.get("loadBalancerInfo")
        pairs = info.get("targetGroupPairInfoList") if isinstance(info, dict) else None
        if not isinstance(pairs, list):
            return None
        elbv2 = self.clients.for_region(req.region).get("elbv2")  # the stack's region, any of them
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
                    if error_code(exc) not in ("TargetGroupNotFound", "ValidationError"):
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
                        if error_code(exc) not in ("ListenerNotFound", "ValidationError"):
                            raise
                        found = []
                    if not found:
                        raise AwsError(
                            "InvalidTargetGroupPairException",
                            f"A target group pair associated with this deployment is not valid: "
                            f"the listener {arn} in {route} does not exist.",
                        )
        return None


class CodeDeploy(BackendHandler):
    """Router handler for ``codedeploy``: owns the operations listed in the module docstring and
    lets every other operation through to moto."""

    def __init__(self, account_id: str, default_region: str) -> None:
        super().__init__(account_id, default_region)
        # (region) -> name -> custom deployment configuration
        self.configs: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._ops: dict[str, Callable[[str, dict[str, Any]], dict[str, Any] | None]] = {
            "DeleteApplication": self.delete_application,
            "UpdateApplication": self.update_application,
            "DeleteDeploymentGroup": self.delete_deployment_group,
            "UpdateDeploymentGroup": self.update_deployment_group,
            "BatchGetDeploymentGroups": self.batch_get_deployment_groups,
            "GetDeploymentGroup": self.get_deployment_group,
            "CreateDeploymentConfig": self.create_deployment_config,
            "GetDeploymentConfig": self.get_deployment_config,
            "DeleteDeploymentConfig": self.delete_deployment_config,
            "ListDeploymentConfigs": self.list_deployment_configs,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
            "CreateDeploymentGroup": self.check_create_deployment_group,
        }
        # The deployment engine (bluegreen.sandbox.deploy), when installed: GetDeploymentGroup
        # shows the group's last attempted and successful deployments from it.
        self.deployments: Any = None

    # --- router protocol ---------------------------------------------------------------------

    def handle(self, req: AwsRequest) -> Response | None:
        op = self._ops.get(req.operation or "")
        if op is None:
            return None
        body = req.json_body()
        region = self.region(req)
        with self._lock:
            out = op(region, body)
        if out is None:  # checked: moto serves it
            if req.operation == "CreateDeploymentGroup" and "deploymentConfigName" not in body:
                # moto's default is the Server one whatever the platform; AWS picks by platform.
                platform = self._app(region, body["applicationName"]).compute_platform
                body["deploymentConfigName"] = DEFAULT_CONFIG.get(platform, DEFAULT_CONFIG["Server"])
                req.body = json.dumps(body).encode()
            return None
        return json_response(req, out)

    # --- moto's storage ----------------------------------------------------------------------

    def backend(self, region: str) -> Any:
        return self.moto_backend("codedeploy", region)

    def _arn(self, region: str, kind: str, name: str) -> str:
        return f"arn:aws:codedeploy:{region}:{self.account_id}:{kind}:{name}"

    @staticmethod
    def _text(body: dict[str, Any], key: str, required: str, invalid: str, what: str) -> str:
        value = Params(body).required_text(key, required, f"The {what} was not specified.")
        if not _NAME_RE.match(value):
            raise AwsError(invalid, f"The {what} was specified in an invalid format.")
        return value

    def _app_name(self, body: dict[str, Any], key: str = "applicationName") -> str:
        return self._text(
            body, key, "ApplicationNameRequiredException", "InvalidApplicationNameException", "application name"
        )

    def _group_name(self, body: dict[str, Any], key: str = "deploymentGroupName") -> str:
        return self._text(
            body,
            key,
            "DeploymentGroupNameRequiredException",
            "InvalidDeploymentGroupNameException",
            "deployment group name",
        )

    def _config_name(self, body: dict[str, Any], key: str = "deploymentConfigName") -> str:
        return self._text(
            body,
            key,
            "DeploymentConfigNameRequiredException",
            "InvalidDeploymentConfigNameException",
            "deployment configuration name",
        )

    def _app(self, region: str, name: str) -> Any:
        app = self.backend(region).applications.get(name)
        if app is None:
            raise _app_missing(name)
        return app

    # --- applications ------------------------------------------------------------------------

    def delete_application(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._app_name(body)
        b = self.backend(region)
        if b.applications.pop(name, None) is None:
            return {}  # AWS answers a delete of an unknown application with success
        for group in (b.deployment_groups.pop(name, None) or {}).values():
            b.tagger.delete_all_tags_for_resource(
                self._arn(region, "deploymentgroup", f"{name}/{group.deployment_group_name}")
            )
        b.tagger.delete_all_tags_for_resource(self._arn(region, "application", name))
        return {}

    def update_application(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        old = self._app_name(body, "applicationName") if body.get("applicationName") else None
        new = self._app_name(body, "newApplicationName") if body.get("newApplicationName") else None
        if old is None or new is None or old == new:
            if old is not None:
                self._app(region, old)
            return {}
        b = self.backend(region)
        app = self._app(region, old)
        if new in b.applications:
            raise AwsError(
                "ApplicationAlreadyExistsException",
                f"The application {new} already exists with the user or AWS account.",
            )
        del b.applications[old]
        app.application_name = new
        b.applications[new] = app
        if old in b.deployment_groups:
            groups = b.deployment_groups.pop(old)
            b.deployment_groups[new] = groups
            for g in groups:
                self._move_tags(
                    b,
                    self._arn(region, "deploymentgroup", f"{old}/{g}"),
                    self._arn(region, "deploymentgroup", f"{new}/{g}"),
                )
        self._move_tags(b, self._arn(region, "application", old), self._arn(region, "application", new))
        return {}

    @staticmethod
    def _move_tags(b: Any, old_arn: str, new_arn: str) -> None:
        tags = b.tagger.list_tags_for_resource(old_arn)["Tags"]
        b.tagger.delete_all_tags_for_resource(old_arn)
        if tags:
            b.tagger.tag_resource(new_arn, tags)

    # --- deployment groups -------------------------------------------------------------------

    def delete_deployment_group(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        app = self._app_name(body)
        group = self._group_name(body)
        b = self.backend(region)
        groups = b.deployment_groups.get(app, {})
        if groups.pop(group, None) is not None:
            b.tagger.delete_all_tags_for_resource(self._arn(region, "deploymentgroup", f"{app}/{group}"))
        return {"hooksNotCleanedUp": []}

    def update_deployment_group(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        app_name = self._app_name(body)
        current = self._group_name(body, "currentDeploymentGroupName")
        self._app(region, app_name)
        b = self.backend(region)
        groups = b.deployment_groups.get(app_name, {})
        group = groups.get(current)
        if group is None:
            raise _group_missing(current)
        new = self._group_name(body, "newDeploymentGroupName") if body.get("newDeploymentGroupName") else None
        if new is not None and new != current and new in groups:
            raise AwsError(
                "DeploymentGroupAlreadyExistsException",
                f"A deployment group with the specified name {new} with the user or AWS account already exists.",
            )
        if body.get("deploymentConfigName") is not None:
            self._config(region, self._config_name(body))
        for key, attr in _GROUP_FIELDS.items():
            if key in body and body[key] is not None:
                setattr(group, attr, body[key])
        if new is not None and new != current:
            del groups[current]
            group.deployment_group_name = new
            groups[new] = group
            self._move_tags(
                b,
                self._arn(region, "deploymentgroup", f"{app_name}/{current}"),
                self._arn(region, "deploymentgroup", f"{app_name}/{new}"),
            )
        return {"hooksNotCleanedUp": []}

    def batch_get_deployment_groups(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        app_name = self._app_name(body)
        names = body.get("deploymentGroupNames")
        if not names:
            raise AwsError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise wrong_type("deploymentGroupNames")
        if len(names) > 100:
            raise AwsError("BatchLimitExceededException", "The maximum number of names or IDs allowed for this request (100) was exceeded.")
        self._app(region, app_name)
        groups = self.backend(region).deployment_groups.get(app_name, {})
        found = [self._with_history(region, group_info(groups[n])) for n in names if n in groups]
        missing = [n for n in names if n not in groups]
        out: dict[str, Any] = {"deploymentGroupsInfo": found}
        if missing:
            out["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return out

    def get_deployment_group(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        app_name = self._app_name(body)
        name = self._group_name(body)
        self._app(region, app_name)
        group = self.backend(region).deployment_groups.get(app_name, {}).get(name)
        if group is None:
            raise _group_missing(name)
        return {"deploymentGroupInfo": self._with_history(region, group_info(group))}

    def _with_history(self, region: str, info: dict[str, Any]) -> dict[str, Any]:
        """``info`` with the deployment fields AWS shows once the group has deployments:
        ``lastAttemptedDeployment``, ``lastSuccessfulDeployment``, ``targetRevision``."""
        if self.deployments is None:
            return info
        from ..deploy.api import last_deployment

        attempted, succeeded = self.deployments.history(region, info["applicationName"], info["deploymentGroupName"])
        with self.deployments.reading():
            if attempted is not None:
                info["lastAttemptedDeployment"] = last_deployment(attempted)
                if attempted.revision is not None:
                    info["targetRevision"] = attempted.revision
            if succeeded is not None:
                info["lastSuccessfulDeployment"] = last_deployment(succeeded)
        return info

    def check_create_deployment_group(self, region: str, body: dict[str, Any]) -> None:
        app = self._app_name(body)
        self._group_name(body)
        self._app(region, app)
        if body.get("deploymentConfigName") is not None:
            self._config(region, self._config_name(body))
        return None

    # --- deployment configurations -----------------------------------------------------------

    def _config(self, region: str, name: str) -> dict[str, Any]:
        """The configuration's ``deploymentConfigInfo``; DeploymentConfigDoesNotExistException."""
        builtin = BUILTIN_CONFIGS.get(name)
        if builtin is not None:
            platform, routing, hosts = builtin
            info: dict[str, Any] = {
                "deploymentConfigId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codedeploy:{name}")),
                "deploymentConfigName": name,
                "createTime": _BUILTIN_CREATED,
                "computePlatform": platform,
                "trafficRoutingConfig": routing,
            }
            if hosts is not None:
                info["minimumHealthyHosts"] = hosts
            return info
        custom = self.configs.get(region, {}).get(name)
        if custom is None:
            raise _config_missing(name)
        return custom

    def create_deployment_config(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._config_name(body)
        platform = body.get("computePlatform") or "Server"
        if platform not in DEFAULT_CONFIG:
            raise AwsError(
                "InvalidComputePlatformException",
                "The computePlatform is invalid. The computePlatform should be Lambda, Server, or ECS.",
            )
        if name in BUILTIN_CONFIGS or name in self.configs.get(region, {}):
            raise AwsError(
                "DeploymentConfigAlreadyExistsException",
                f"A deployment configuration with the specified name {name} with the user or AWS account already exists.",
            )
        hosts = body.get("minimumHealthyHosts")
        routing = body.get("trafficRoutingConfig")
        if platform == "Server":
            hosts = _check_hosts(hosts)
            if routing is not None and _check_routing(routing) != _ALL_AT_ONCE:
                raise _invalid_routing("a Server deployment configuration shifts traffic all at once")
            routing = _ALL_AT_ONCE
        else:
            if hosts is not None:
                raise AwsError(
                    "InvalidMinimumHealthyHostValueException",
                    f"The minimum healthy instance value was specified in an invalid format: minimumHealthyHosts is not used by {platform} deployment configurations.",
                )
            routing = _check_routing(routing) if routing is not None else _ALL_AT_ONCE
        info: dict[str, Any] = {
            "deploymentConfigId": str(uuid.uuid4()),
            "deploymentConfigName": name,
            "createTime": round(time.time(), 3),
            "computePlatform": platform,
            "trafficRoutingConfig": routing,
        }
        if hosts is not None:
            info["minimumHealthyHosts"] = hosts
        zonal = body.get("zonalConfig")
        if zonal is not None:
            info["zonalConfig"] = zonal
        self.configs.setdefault(region, {})[name] = info
        return {"deploymentConfigId": info["deploymentConfigId"]}

    def get_deployment_config(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentConfigInfo": self._config(region, self._config_name(body))}

    def delete_deployment_config(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._config_name(body)
        if name in BUILTIN_CONFIGS:
            raise AwsError(
                "InvalidOperationException",
                f"An invalid operation was detected: the default deployment configuration {name} cannot be deleted.",
            )
        configs = self.configs.get(region, {})
        if name not in configs:
            return {}
        for groups in self.backend(region).deployment_groups.values():
            if any(str(g.deployment_config_name) == name for g in groups.values()):
                raise AwsError("DeploymentConfigInUseException", "The deployment configuration is still in use.")
        del configs[name]
        return {}

    def list_deployment_configs(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        names = list(BUILTIN_CONFIGS) + sorted(self.configs.get(region, {}))
        return {"deploymentConfigsList": names}

    # --- tags --------------------------------------------------------------------------------

    def _resource(self, region: str, body: dict[str, Any]) -> str:
        """The ARN of an existing application or deployment group (AWS's errors otherwise)."""
        arn = Params(body).required_text(
            "ResourceArn", "ResourceArnRequiredException", "The ARN of a resource is required, but was not found."
        )
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1].startswith("aws") or not parts[5]:
            raise AwsError("InvalidArnException", "The specified ARN is not in a valid format.")
        kind, _, name = parts[5].partition(":")
        if parts[2] != "codedeploy" or kind not in ("application", "deploymentgroup"):
            raise AwsError(
                "ArnNotSupportedException",
                "The specified ARN is not supported. For example, it might be an ARN for a resource that is not expected.",
            )
        if not name:
            raise AwsError("InvalidArnException", "The specified ARN is not in a valid format.")
        if parts[3] != region or parts[4] != self.account_id:
            # another region's or account's resource is not found from here
            if kind == "application":
                raise _app_missing(name)
            raise _group_missing(name.partition("/")[2] or name)
        b = self.backend(region)
        if kind == "application":
            if name not in b.applications:
                raise _app_missing(name)
        else:
            app, _, group = name.partition("/")
            if not group:
                raise AwsError("InvalidArnException", "The specified ARN is not in a valid format.")
            if app not in b.applications:
                raise _app_missing(app)
            if group not in b.deployment_groups.get(app, {}):
                raise _group_missing(group)
        return arn

    def tag_resource(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(region, body)
        tags = _check_tags(body.get("Tags"))
        self.backend(region).tagger.tag_resource(arn, tags)
        return {}

    def untag_resource(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(region, body)
        keys = body.get("TagKeys")
        if not keys:
            raise AwsError("TagRequiredException", "A tag was not specified.")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise wrong_type("TagKeys")
        self.backend(region).tagger.untag_resource_using_names(arn, keys)
        return {}

    def list_tags_for_resource(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(region, body)
        return {"Tags": self.backend(region).tagger.list_tags_for_resource(arn)["Tags"]}

    def tags_by_arn(self, region: str) -> dict[str, dict[str, str]]:
        """Every application's and group's ARN and tags in a region (for the tagging API)."""
        with self._lock:
            b = self.backend(region)
            arns = [self._arn(region, "application", a) for a in b.applications]
            arns += [
                self._arn(region, "deploymentgroup", f"{a}/{g}")
                for a, groups in b.deployment_groups.items()
                for g in groups
            ]
            return {arn: b.tagger.get_tag_dict_for_resource(arn) for arn in arns}


# Fields moto answers as empty objects ("TODO") that AWS leaves out until a deployment ran.
_UNTIL_DEPLOYED = ("targetRevision", "lastSuccessfulDeployment", "lastAttemptedDeployment")


def group_info(group: Any) -> dict[str, Any]:
    """moto's ``DeploymentGroupInfo`` of ``group`` with what AWS answers where moto differs
    (docs/fidelity/drift.md):

    - ``alarmConfiguration`` as the group was given it, with AWS's defaults filled in
      (``enabled`` and ``ignorePollAlarmFailure`` false, ``alarms`` empty), never moto's ``{}``;
    - ``outdatedInstancesStrategy`` ``UPDATE`` and ``terminationHookEnabled`` false when not set;
    - ``deploymentReadyOption.waitTimeInMinutes`` 0 when the request left it out;
    - no empty ``targetRevision`` / ``lastSuccessfulDeployment`` / ``lastAttemptedDeployment``.
    """
    info: dict[str, Any] = json.loads(json.dumps(group.to_dict()))  # a copy: moto's objects stay as stored
    for key in _UNTIL_DEPLOYED:
        if not info.get(key):
            info.pop(key, None)
    given = group.alarm_configuration if isinstance(group.alarm_configuration, dict) else {}
    info["alarmConfiguration"] = {
        "enabled": bool(given.get("enabled", False)),
        "ignorePollAlarmFailure": bool(given.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": a["name"]} for a in given.get("alarms") or [] if isinstance(a, dict) and "name" in a],
    }
    info["outdatedInstancesStrategy"] = info.get("outdatedInstancesStrategy") or "UPDATE"
    info["terminationHookEnabled"] = bool(info.get("terminationHookEnabled"))
    ready = (info.get("blueGreenDeploymentConfiguration") or {}).get("deploymentReadyOption")
    if isinstance(ready, dict) and ready.get("actionOnTimeout"):
        ready.setdefault("waitTimeInMinutes", 0)
    return info


def _check_tags(tags: Any) -> list[dict[str, str]]:
    if not tags:
        raise AwsError("TagRequiredException", "A tag was not specified.")
    if not isinstance(tags, list) or not all(
        isinstance(t, dict) and isinstance(t.get("Key"), str) and isinstance(t.get("Value", ""), str)
        for t in tags
    ):
        raise AwsError("InvalidTagsToAddException", "The specified tags are not valid.")
    if not all(tag_fits(t["Key"], t.get("Value", "")) for t in tags):
        raise AwsError("InvalidTagsToAddException", "The specified tags are not valid.")
    if any(is_system_tag(t["Key"]) for t in tags):
        raise AwsError("InvalidTagsToAddException", "The specified tags are not valid: keys cannot start with aws:.")
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def _invalid_routing(reason: str) -> AwsError:
    return AwsError(
        "InvalidTrafficRoutingConfigurationException",
        f"The configuration that specifies how traffic is routed during a deployment is invalid: {reason}.",
    )


def _int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_routing(routing: Any) -> dict[str, Any]:
    if not isinstance(routing, dict):
        raise wrong_type("trafficRoutingConfig")
    kind = routing.get("type")
    if kind == "AllAtOnce":
        return dict(_ALL_AT_ONCE)
    if kind == "TimeBasedCanary":
        spec = routing.get("timeBasedCanary")
        if not isinstance(spec, dict):
            raise _invalid_routing("timeBasedCanary is required for type TimeBasedCanary")
        pct: Any = spec.get("canaryPercentage")
        interval: Any = spec.get("canaryInterval")
        if not _int(pct, 1, 99):
            raise _invalid_routing("canaryPercentage must be between 1 and 99")
        if not _int(interval, 1, 2880):
            raise _invalid_routing("canaryInterval must be between 1 and 2880 minutes")
        return _canary(int(pct), int(interval))
    if kind == "TimeBasedLinear":
        spec = routing.get("timeBasedLinear")
        if not isinstance(spec, dict):
            raise _invalid_routing("timeBasedLinear is required for type TimeBasedLinear")
        pct = spec.get("linearPercentage")
        interval = spec.get("linearInterval")
        if not _int(pct, 1, 99):
            raise _invalid_routing("linearPercentage must be between 1 and 99")
        if not _int(interval, 1, 2880):
            raise _invalid_routing("linearInterval must be between 1 and 2880 minutes")
        return _linear(int(pct), int(interval))
    raise _invalid_routing("type must be AllAtOnce, TimeBasedCanary or TimeBasedLinear")


def _check_hosts(hosts: Any) -> dict[str, Any]:
    bad = AwsError(
        "InvalidMinimumHealthyHostValueException",
        "The minimum healthy instance value was specified in an invalid format.",
    )
    if not isinstance(hosts, dict):
        raise bad
    kind, value = hosts.get("type"), hosts.get("value")
    if kind == "HOST_COUNT" and _int(value, 0, 1_000_000):
        return {"type": kind, "value": value}
    if kind == "FLEET_PERCENT" and _int(value, 0, 99):
        return {"type": kind, "value": value}
    raise bad
