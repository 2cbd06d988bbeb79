"""The CodeDeploy application, the custom deployment config (when there is one) and the
blue/green deployment group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import (
    Node,
    State,
    conflict,
    create,
    in_sync,
    missing_as_none,
    ownership,
    tag_value,
    update,
)
from renderers import requests
from renderers.refs import Arns

if TYPE_CHECKING:
    from bluegreen.engine.context import Context


def _tags(ctx: Context, arn: str) -> list[dict[str, str]]:
    return list(ctx.client("codedeploy").list_tags_for_resource(ResourceArn=arn).get("Tags", []))


class ApplicationNode(Node):
    id = "codedeploy.application"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        name = ctx.config.code_deploy.application
        self.title = f"CodeDeploy application {name}"
        app = missing_as_none(lambda: ctx.client("codedeploy").get_application(applicationName=name)["application"])
        if app is None:
            return create()
        if app.get("computePlatform") != "ECS":
            return conflict(f"{self.title} exists for {app.get('computePlatform')}, not ECS",
                            "set codeDeploy.application to another name")
        return in_sync(name)

    def create(self, ctx: Context) -> str:
        ctx.client("codedeploy").create_application(**requests.create_application(ctx.config))
        return ctx.config.code_deploy.application

    def delete(self, ctx: Context) -> bool:
        name = ctx.config.code_deploy.application
        if missing_as_none(lambda: ctx.client("codedeploy").get_application(applicationName=name)) is None:
            return False
        if tag_value(_tags(ctx, Arns(ctx.config, ctx.refs()).codedeploy_application)) != ctx.stack:
            return False
        ctx.client("codedeploy").delete_application(applicationName=name)
        return True


class DeploymentConfigNode(Node):
    id = "codedeploy.deployment_config"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        wanted = requests.create_deployment_config(ctx.config)
        assert wanted is not None
        name = wanted["deploymentConfigName"]
        self.title = f"Deployment config {name}"
        codedeploy = ctx.client("codedeploy")
        info = missing_as_none(
            lambda: codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"])
        if info is None:
            return create()
        if info.get("trafficRoutingConfig") != wanted["trafficRoutingConfig"]:
            return conflict(f"{self.title} exists with other traffic settings; configs are immutable",
                            "give codeDeploy.deploymentConfig a new name")
        return in_sync(name)

    def create(self, ctx: Context) -> str:
        wanted = requests.create_deployment_config(ctx.config)
        assert wanted is not None
        ctx.client("codedeploy").create_deployment_config(**wanted)
        return str(wanted["deploymentConfigName"])

    def delete(self, ctx: Context) -> bool:
        wanted = requests.create_deployment_config(ctx.config)
        if wanted is None:
            return False
        name = wanted["deploymentConfigName"]
        codedeploy = ctx.client("codedeploy")
        return missing_as_none(lambda: codedeploy.delete_deployment_config(deploymentConfigName=name)) is not None


# What the config decides in a deployment group, compared key by key.
_GROUP_KEYS = ("deploymentConfigName", "serviceRoleArn", "deploymentStyle", "blueGreenDeploymentConfiguration",
               "loadBalancerInfo", "ecsServices", "autoRollbackConfiguration")


def _normalized(group: dict[str, Any]) -> dict[str, Any]:
    out = {key: group.get(key) for key in _GROUP_KEYS}
    rollback = out.get("autoRollbackConfiguration") or {}
    out["autoRollbackConfiguration"] = {"enabled": bool(rollback.get("enabled")),
                                        "events": sorted(rollback.get("events") or [])}
    alarms = group.get("alarmConfiguration") or {}
    out["alarms"] = sorted(a["name"] for a in alarms.get("alarms", [])) if alarms.get("enabled") else []
    return out


class DeploymentGroupNode(Node):
    id = "codedeploy.deployment_group"
    deps: tuple[str, ...] = ("codedeploy.application", "iam.role.codedeploy", "ecs.service",
                             "elbv2.listener.production", "elbv2.listener.test")
    # IAM may not yet let CodeDeploy assume a role created seconds ago.
    eventual_consistency_codes = ("InvalidRoleException",)

    def __init__(self, with_custom_config: bool) -> None:
        if with_custom_config:
            self.deps = (*type(self).deps, "codedeploy.deployment_config")

    def inspect(self, ctx: Context) -> State:
        cd = ctx.config.code_deploy
        self.title = f"Deployment group {cd.deployment_group}"
        group = missing_as_none(lambda: ctx.client("codedeploy").get_deployment_group(
            applicationName=cd.application, deploymentGroupName=cd.deployment_group)["deploymentGroupInfo"])
        if group is None:
            return create()
        arn = Arns(ctx.config, ctx.refs()).codedeploy_group
        owned = ownership(self, ctx, _tags(ctx, arn), arn)
        if owned:
            return owned
        wanted = requests.create_deployment_group(ctx.config, ctx.refs())
        have, want = _normalized(group), _normalized(wanted)
        differ = [key for key in want if have.get(key) != want[key]]
        if differ:
            return update(f"{', '.join(differ)} differ from the config", cd.deployment_group)
        return in_sync(group.get("deploymentGroupId", cd.deployment_group))

    def create(self, ctx: Context) -> str:
        answer = ctx.client("codedeploy").create_deployment_group(
            **requests.create_deployment_group(ctx.config, ctx.refs()))
        return str(answer["deploymentGroupId"])

    def update(self, ctx: Context, state: State) -> str:
        request = requests.create_deployment_group(ctx.config, ctx.refs())
        request.pop("tags", None)
        request["currentDeploymentGroupName"] = request.pop("deploymentGroupName")
        ctx.client("codedeploy").update_deployment_group(**request)
        return state.detail

    def delete(self, ctx: Context) -> bool:
        cd = ctx.config.code_deploy
        if missing_as_none(lambda: ctx.client("codedeploy").get_deployment_group(
            applicationName=cd.application, deploymentGroupName=cd.deployment_group)) is None:
            return False
        ctx.client("codedeploy").delete_deployment_group(
            applicationName=cd.application, deploymentGroupName=cd.deployment_group)
        return True
