"""The CodeDeploy application, the custom deployment config (when there is one) and the
blue/green deployment group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import State, conflict, missing_as_none
from bluegreen.engine.nodes.resource import ManagedResource
from renderers import requests
from renderers.refs import Arns

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


def _tags(ctx: Context, arn: str) -> list[dict[str, str]]:
    return list(ctx.client("codedeploy").list_tags_for_resource(ResourceArn=arn).get("Tags", []))


class ApplicationNode(ManagedResource[dict[str, Any]]):
    """An existing ECS application of this name is used as it is; destroy deletes only the
    stack's own."""

    id = "codedeploy.application"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"CodeDeploy application {config.code_deploy.application}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        name = ctx.config.code_deploy.application
        codedeploy = ctx.client("codedeploy")
        return missing_as_none(lambda: codedeploy.get_application(applicationName=name)["application"])

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return _tags(ctx, Arns(ctx.config, ctx.refs()).codedeploy_application)

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return ctx.config.code_deploy.application

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        if found.get("computePlatform") != "ECS":
            return conflict(f"{self.title(ctx.config)} exists for {found.get('computePlatform')}, not ECS",
                            "set codeDeploy.application to another name")
        return None

    def create_resource(self, ctx: Context) -> str:
        ctx.client("codedeploy").create_application(**requests.create_application(ctx.config))
        return ctx.config.code_deploy.application

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("codedeploy").delete_application(applicationName=ctx.config.code_deploy.application)


class DeploymentConfigNode(ManagedResource[dict[str, Any]]):
    """A custom traffic shift. CodeDeploy cannot tag a deployment config, and configs are
    immutable: one of this name with other settings is a conflict, and destroy deletes the
    config of this name (it is the stack's by name)."""

    id = "codedeploy.deployment_config"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"Deployment config {config.deployment_config_name}"

    def _wanted(self, ctx: Context) -> dict[str, Any]:
        wanted = requests.create_deployment_config(ctx.config)
        assert wanted is not None
        return wanted

    def find(self, ctx: Context) -> dict[str, Any] | None:
        name = self._wanted(ctx)["deploymentConfigName"]
        codedeploy = ctx.client("codedeploy")
        return missing_as_none(
            lambda: codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(self._wanted(ctx)["deploymentConfigName"])

    def immutable(self, ctx: Context, found: dict[str, Any]) -> State | None:
        if found.get("trafficRoutingConfig") != self._wanted(ctx)["trafficRoutingConfig"]:
            return conflict(f"{self.title(ctx.config)} exists with other traffic settings; configs are immutable",
                            "give codeDeploy.deploymentConfig a new name")
        return None

    def create_resource(self, ctx: Context) -> str:
        wanted = self._wanted(ctx)
        ctx.client("codedeploy").create_deployment_config(**wanted)
        return str(wanted["deploymentConfigName"])

    def delete(self, ctx: Context) -> bool:
        wanted = requests.create_deployment_config(ctx.config)
        if wanted is None:
            return False
        name = wanted["deploymentConfigName"]
        codedeploy = ctx.client("codedeploy")
        return missing_as_none(lambda: codedeploy.delete_deployment_config(deploymentConfigName=name)) is not None


# What the config decides in a deployment group, compared key by key, each in one shape for
# the request bluegreen sends and the answer GetDeploymentGroup gives (docs/fidelity/drift.md):
# AWS fills in defaults the request left out (waitTimeInMinutes 0, alarmConfiguration with
# enabled false, outdatedInstancesStrategy UPDATE) and lists need not come back in order.
_GROUP_KEYS = ("deploymentConfigName", "serviceRoleArn", "deploymentStyle")


def _blue_green(config: dict[str, Any] | None) -> dict[str, Any]:
    config = config or {}
    terminate = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    ready = config.get("deploymentReadyOption") or {}
    action = ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT"
    return {
        "terminate": (terminate.get("action"), int(terminate.get("terminationWaitTimeInMinutes") or 0)),
        # the wait only means something with STOP_DEPLOYMENT; AWS answers 0 for the other
        "ready": (action, int(ready.get("waitTimeInMinutes") or 0) if action == "STOP_DEPLOYMENT" else 0),
    }


def _load_balancer_info(info: dict[str, Any] | None) -> list[Any]:
    pairs = []
    for pair in (info or {}).get("targetGroupPairInfoList") or []:
        pairs.append((
            # blue and green take turns: the pair, not its order, is what the config decides
            sorted(tg.get("name") for tg in pair.get("targetGroups") or []),
            sorted((pair.get("prodTrafficRoute") or {}).get("listenerArns") or []),
            sorted((pair.get("testTrafficRoute") or {}).get("listenerArns") or []),
        ))
    return sorted(pairs)


def _normalized(group: dict[str, Any]) -> dict[str, Any]:
    out = {key: group.get(key) for key in _GROUP_KEYS}
    out["blueGreenDeploymentConfiguration"] = _blue_green(group.get("blueGreenDeploymentConfiguration"))
    out["loadBalancerInfo"] = _load_balancer_info(group.get("loadBalancerInfo"))
    out["ecsServices"] = sorted((s.get("clusterName"), s.get("serviceName")) for s in group.get("ecsServices") or [])
    rollback = group.get("autoRollbackConfiguration") or {}
    enabled = bool(rollback.get("enabled"))
    # events of a disabled rollback do nothing, whether AWS keeps them or not
    out["autoRollbackConfiguration"] = {"enabled": enabled,
                                        "events": sorted(rollback.get("events") or []) if enabled else []}
    alarms = group.get("alarmConfiguration") or {}
    # AWS answers {enabled: false, alarms: []} for a group created without alarms
    out["alarms"] = sorted(a["name"] for a in alarms.get("alarms") or []) if alarms.get("enabled") else []
    return out


class DeploymentGroupNode(ManagedResource[dict[str, Any]]):
    # docs/aws-facts.md section 1, wave 5: the group names the service, both target groups and
    # both listeners' ARNs, and CodeDeploy checks they exist.
    deps: tuple[str, ...] = ("codedeploy.application", "iam.role.codedeploy", "ecs.service",
                             "elbv2.target_group.blue", "elbv2.target_group.green",
                             "elbv2.listener.production", "elbv2.listener.test")
    id = "codedeploy.deployment_group"
    # IAM may not yet let CodeDeploy assume a role created seconds ago.
    eventual_consistency_codes = ("InvalidRoleException",)

    def __init__(self, with_custom_config: bool) -> None:
        if with_custom_config:
            self.deps = (*type(self).deps, "codedeploy.deployment_config")

    def title(self, config: Config) -> str:
        return f"Deployment group {config.code_deploy.deployment_group}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        cd = ctx.config.code_deploy
        codedeploy = ctx.client("codedeploy")
        return missing_as_none(lambda: codedeploy.get_deployment_group(
            applicationName=cd.application, deploymentGroupName=cd.deployment_group)["deploymentGroupInfo"])

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return _tags(ctx, self.ident(ctx, found))

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return Arns(ctx.config, ctx.refs()).codedeploy_group

    def update_detail(self, ctx: Context, found: dict[str, Any]) -> str:
        return ctx.config.code_deploy.deployment_group

    def summary(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found.get("deploymentGroupId", ctx.config.code_deploy.deployment_group))

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        have, want = _normalized(found), _normalized(requests.create_deployment_group(ctx.config, ctx.refs()))
        differ = [key for key in want if have.get(key) != want[key]]
        return [f"{', '.join(differ)} differ from the config"] if differ else []

    def create_resource(self, ctx: Context) -> str:
        answer = ctx.client("codedeploy").create_deployment_group(
            **requests.create_deployment_group(ctx.config, ctx.refs()))
        return str(answer["deploymentGroupId"])

    def update_resource(self, ctx: Context, detail: str) -> str:
        request = requests.create_deployment_group(ctx.config, ctx.refs())
        request.pop("tags", None)
        request["currentDeploymentGroupName"] = request.pop("deploymentGroupName")
        # An update that leaves alarmConfiguration out keeps the alarms the group has: the
        # config dropping its alarms has to say so.
        request.setdefault("alarmConfiguration", {"enabled": False, "alarms": []})
        ctx.client("codedeploy").update_deployment_group(**request)
        return detail

    def delete(self, ctx: Context) -> bool:
        # Unlike the other resources, deleted without reading its owner tag (kept as it
        # always was; a foreign group in a shared application would go too).
        found = self.find(ctx)
        if found is None:
            return False
        cd = ctx.config.code_deploy
        ctx.client("codedeploy").delete_deployment_group(
            applicationName=cd.application, deploymentGroupName=cd.deployment_group)
        return True
