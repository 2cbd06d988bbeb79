"""The pipeline and the EventBridge rules that start it (the step API users forget)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import (
    Node,
    State,
    create,
    in_sync,
    is_not_found,
    missing_as_none,
    ownership,
    tag_value,
    update,
)
from renderers import requests
from renderers.refs import Arns

if TYPE_CHECKING:
    from bluegreen.engine.context import Context


def _without_empty(value: Any) -> Any:
    """AWS echoes defaults such as `inputArtifacts: []` that the request left out."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _comparable(pipeline: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in pipeline.items() if k not in ("version", "variables", "triggers")}
    out.setdefault("pipelineType", "V1")
    out.setdefault("executionMode", "SUPERSEDED")
    return _without_empty(json.loads(json.dumps(out, sort_keys=True)))  # type: ignore[no-any-return]


class PipelineNode(Node):
    id = "codepipeline.pipeline"
    # A new pipeline runs at once, so the sources it reads must already be there.
    deps = ("codedeploy.deployment_group", "iam.role.pipeline", "s3.bucket.artifacts", "source.files",
            "ecr.image")
    eventual_consistency_codes = ("InvalidStructureException",)

    def _tags(self, ctx: Context) -> list[dict[str, str]]:
        arn = Arns(ctx.config, ctx.refs()).pipeline
        return list(ctx.client("codepipeline").list_tags_for_resource(resourceArn=arn).get("tags", []))

    def inspect(self, ctx: Context) -> State:
        name = ctx.config.pipeline.name
        self.title = f"Pipeline {name}"
        current = missing_as_none(lambda: ctx.client("codepipeline").get_pipeline(name=name)["pipeline"])
        if current is None:
            return create()
        owned = ownership(self, ctx, self._tags(ctx), name)
        if owned:
            return owned
        wanted = requests.create_pipeline(ctx.config, ctx.refs())["pipeline"]
        if _comparable(current) != _comparable(wanted):
            return update("stages or settings differ from the config", name)
        return in_sync(name)

    def create(self, ctx: Context) -> str:
        ctx.client("codepipeline").create_pipeline(**requests.create_pipeline(ctx.config, ctx.refs()))
        return ctx.config.pipeline.name

    def update(self, ctx: Context, state: State) -> str:
        pipeline = requests.create_pipeline(ctx.config, ctx.refs())["pipeline"]
        current = ctx.client("codepipeline").get_pipeline(name=pipeline["name"])["pipeline"]
        pipeline["version"] = current.get("version", 1)
        ctx.client("codepipeline").update_pipeline(pipeline=pipeline)
        return state.detail

    def delete(self, ctx: Context) -> bool:
        name = ctx.config.pipeline.name
        try:
            ctx.client("codepipeline").get_pipeline(name=name)
            tags = self._tags(ctx)
        except Exception as exc:
            if is_not_found(exc):
                return False
            raise
        if tag_value(tags) != ctx.stack:
            return False
        ctx.client("codepipeline").delete_pipeline(name=name)
        return True


class EventRuleNode(Node):
    """stem: "image-push" or "source-change" (see renderers.requests.event_rules)."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.id = f"events.rule.{stem}"
        self.deps = ("codepipeline.pipeline", "iam.role.events")

    def _wanted(self, ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
        for stem, rule, targets in requests.event_rules(ctx.config, ctx.refs()):
            if stem == self.stem:
                return rule, targets
        raise KeyError(self.stem)

    def inspect(self, ctx: Context) -> State:
        rule, targets = self._wanted(ctx)
        events = ctx.client("events")
        self.title = f"EventBridge rule {rule['Name']}"
        current = missing_as_none(lambda: events.describe_rule(Name=rule["Name"]))
        if current is None:
            return create()
        owned = ownership(self, ctx, events.list_tags_for_resource(ResourceARN=current["Arn"]).get("Tags", []),
                          current["Arn"])
        if owned:
            return owned
        have = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        same_pattern = json.loads(current.get("EventPattern", "{}")) == json.loads(rule["EventPattern"])
        same_targets = [(t["Id"], t["Arn"], t.get("RoleArn")) for t in have] == [
            (t["Id"], t["Arn"], t.get("RoleArn")) for t in targets["Targets"]]
        if not same_pattern or not same_targets or current.get("State") != "ENABLED":
            return update("pattern, state or target differ from the config", current["Arn"])
        return in_sync(current["Arn"])

    def create(self, ctx: Context) -> str:
        rule, targets = self._wanted(ctx)
        events = ctx.client("events")
        arn = str(events.put_rule(**rule)["RuleArn"])
        events.put_targets(**targets)
        return arn

    def update(self, ctx: Context, state: State) -> str:
        rule, targets = self._wanted(ctx)
        rule = {k: v for k, v in rule.items() if k != "Tags"}
        events = ctx.client("events")
        events.put_rule(**rule)
        events.put_targets(**targets)
        return state.detail

    def delete(self, ctx: Context) -> bool:
        rule, _ = self._wanted(ctx)
        events = ctx.client("events")
        current = missing_as_none(lambda: events.describe_rule(Name=rule["Name"]))
        if current is None:
            return False
        if tag_value(events.list_tags_for_resource(ResourceARN=current["Arn"]).get("Tags", [])) != ctx.stack:
            return False
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]]
        if ids:
            events.remove_targets(Rule=rule["Name"], Ids=ids)
        events.delete_rule(Name=rule["Name"])
        return True
