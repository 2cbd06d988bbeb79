"""The pipeline and the EventBridge rules that start it (the step API users forget)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import missing_as_none
from bluegreen.engine.nodes.resource import ManagedResource
from renderers import requests
from renderers.refs import Arns

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


def _without_empty(value: Any) -> Any:
    """AWS echoes defaults such as `inputArtifacts: []` that the request left out."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _comparable(pipeline: dict[str, Any], region: str) -> dict[str, Any]:
    out = json.loads(json.dumps({k: v for k, v in pipeline.items() if k not in ("version", "variables", "triggers")}))
    out.setdefault("pipelineType", "V1")
    out.setdefault("executionMode", "SUPERSEDED")
    for stage in out.get("stages") or []:
        for action in stage.get("actions") or []:
            # GetPipeline names the region of every action; the pipeline's own is the default
            # the request left out (docs/fidelity/drift.md)
            if action.get("region") == region:
                del action["region"]
    return _unlabelled(_without_empty(out))


def _unlabelled(pipeline: dict[str, Any]) -> dict[str, Any]:
    """The pipeline without its labels: stage and action names, and artifact names, which are
    the user's words (a hand-made pipeline says SourceArtifact/MyImage where bluegreen says
    SourceArtifact/ImageArtifact) and change nothing the pipeline does. An artifact is named
    instead by the action that makes it; actions of a stage compare as a set (same runOrder
    runs them side by side). docs/import.md."""
    stages = pipeline.get("stages") or []
    names: dict[str, str] = {}
    for stage in stages:
        for action in stage.get("actions") or []:
            kind = action.get("actionTypeId") or {}
            for i, artifact in enumerate(action.get("outputArtifacts") or []):
                names[artifact.get("name")] = f"<{kind.get('category')}:{kind.get('provider')}:{i}>"
    out = dict(pipeline)
    out["stages"] = []
    for stage in stages:
        actions = []
        for action in stage.get("actions") or []:
            action = {k: v for k, v in action.items() if k != "name"}
            for key in ("inputArtifacts", "outputArtifacts"):
                if key in action:
                    action[key] = [{**a, "name": names.get(a.get("name"), a.get("name"))} for a in action[key]]
            if "configuration" in action:  # e.g. TaskDefinitionTemplateArtifact, Image1ArtifactName
                action["configuration"] = {k: names.get(v, v) if k.endswith(("Artifact", "ArtifactName")) else v
                                           for k, v in action["configuration"].items()}
            actions.append(action)
        actions.sort(key=lambda a: json.dumps(a, sort_keys=True))
        out["stages"].append({k: v for k, v in stage.items() if k not in ("name", "actions")} | {"actions": actions})
    return out


class PipelineNode(ManagedResource[dict[str, Any]]):
    id = "codepipeline.pipeline"
    # A new pipeline runs at once, so the sources it reads must already be there.
    deps = ("codedeploy.deployment_group", "iam.role.pipeline", "s3.bucket.artifacts", "source.files",
            "ecr.image")
    eventual_consistency_codes = ("InvalidStructureException",)

    def title(self, config: Config) -> str:
        return f"Pipeline {config.pipeline.name}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        codepipeline = ctx.client("codepipeline")
        name = ctx.config.pipeline.name
        return missing_as_none(lambda: codepipeline.get_pipeline(name=name)["pipeline"])

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        arn = Arns(ctx.config, ctx.refs()).pipeline
        return ctx.client("codepipeline").list_tags_for_resource(resourceArn=arn).get("tags", [])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return ctx.config.pipeline.name

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        wanted = requests.create_pipeline(ctx.config, ctx.refs())["pipeline"]
        region = ctx.config.region
        if _comparable(found, region) != _comparable(wanted, region):
            return ["stages or settings differ from the config"]
        return []

    def create_resource(self, ctx: Context) -> str:
        ctx.client("codepipeline").create_pipeline(**requests.create_pipeline(ctx.config, ctx.refs()))
        return ctx.config.pipeline.name

    def update_resource(self, ctx: Context, detail: str) -> str:
        pipeline = requests.create_pipeline(ctx.config, ctx.refs())["pipeline"]
        current = ctx.client("codepipeline").get_pipeline(name=pipeline["name"])["pipeline"]
        pipeline["version"] = current.get("version", 1)
        ctx.client("codepipeline").update_pipeline(pipeline=pipeline)
        return detail

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("codepipeline").delete_pipeline(name=ctx.config.pipeline.name)


def _pattern(value: Any) -> Any:
    """An event pattern with its lists sorted: a list in a pattern is a set of alternatives,
    so its order means nothing (EventBridge matches any one of them)."""
    if isinstance(value, dict):
        return {k: _pattern(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_pattern(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


class EventRuleNode(ManagedResource[dict[str, Any]]):
    """stem: "image-push" or "source-change" (see renderers.requests.event_rules)."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.id = f"events.rule.{stem}"
        self.deps = ("codepipeline.pipeline", "iam.role.events")

    def title(self, config: Config) -> str:
        name = config.pipeline.image_rule_name if self.stem == "image-push" else config.pipeline.source_rule_name
        return f"EventBridge rule {name}"

    def _wanted(self, ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
        for stem, rule, targets in requests.event_rules(ctx.config, ctx.refs()):
            if stem == self.stem:
                return rule, targets
        raise KeyError(self.stem)

    def find(self, ctx: Context) -> dict[str, Any] | None:
        rule, _ = self._wanted(ctx)
        events = ctx.client("events")
        return missing_as_none(lambda: events.describe_rule(Name=rule["Name"]))

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return ctx.client("events").list_tags_for_resource(ResourceARN=found["Arn"]).get("Tags", [])

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["Arn"])

    def compare(self, ctx: Context, found: dict[str, Any]) -> list[str]:
        rule, targets = self._wanted(ctx)
        have = ctx.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
        same_pattern = _pattern(json.loads(found.get("EventPattern", "{}"))) == _pattern(
            json.loads(rule["EventPattern"]))
        # ListTargetsByRule gives no order promise: compared as sets. A target's Id is a label
        # (hand-made rules say "codepipeline", "1", ...): what it starts, and as whom, matters.
        same_targets = sorted((t["Arn"], t.get("RoleArn") or "") for t in have) == sorted(
            (t["Arn"], t.get("RoleArn") or "") for t in targets["Targets"])
        if not same_pattern or not same_targets or found.get("State") != "ENABLED":
            return ["pattern, state or target differ from the config"]
        return []

    def create_resource(self, ctx: Context) -> str:
        rule, targets = self._wanted(ctx)
        events = ctx.client("events")
        arn = str(events.put_rule(**rule)["RuleArn"])
        events.put_targets(**targets)
        return arn

    def update_resource(self, ctx: Context, detail: str) -> str:
        rule, targets = self._wanted(ctx)
        rule = {k: v for k, v in rule.items() if k != "Tags"}
        events = ctx.client("events")
        events.put_rule(**rule)
        have = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        wanted = targets["Targets"][0]
        # a target that starts the pipeline already keeps its Id (put_targets replaces it, no second one)
        same = next((t["Id"] for t in have if t["Arn"] == wanted["Arn"]), wanted["Id"])
        events.put_targets(Rule=rule["Name"], Targets=[{**wanted, "Id": same}])
        others = [t["Id"] for t in have if t["Id"] != same]
        if others:
            events.remove_targets(Rule=rule["Name"], Ids=others)
        return detail

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        events = ctx.client("events")
        name = self._wanted(ctx)[0]["Name"]
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]]
        if ids:
            events.remove_targets(Rule=name, Ids=ids)
        events.delete_rule(Name=name)
