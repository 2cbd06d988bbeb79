"""The deploy action's templates, parsed once: taskdef.json (JSON) and appspec.yaml (YAML, which
reads JSON too), and the artifacts its images come from.

A template the doctor cannot read (missing from the artifact, not JSON/YAML, not an object) is
not guessed at: every rule that needs it is reported "not checked" with the reason (the file and
the parser's message), so the user sees it once per rule and no rule pretends to have judged it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import yaml

from bluegreen.doctor.facts import Action, Facts, Unavailable

IMAGE_SLOTS = (1, 2, 3, 4)  # Image1..Image4 (CodeDeployToECS action reference)
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"


@dataclass(frozen=True)
class ImageSlot:
    number: int
    artifact: str  # Image<N>ArtifactName, "" when absent
    container: str  # Image<N>ContainerName, "" when absent


def image_slots(deploy: Action) -> list[ImageSlot]:
    c = deploy.configuration
    slots = [ImageSlot(n, c.get(f"Image{n}ArtifactName", ""), c.get(f"Image{n}ContainerName", "")) for n in IMAGE_SLOTS]
    return [s for s in slots if s.artifact or s.container]


async def taskdef(f: Facts) -> dict[str, Any]:
    return await f.once("parsed taskdef", lambda: _parsed(f, "taskdef"))


async def appspec(f: Facts) -> dict[str, Any]:
    return await f.once("parsed appspec", lambda: _parsed(f, "appspec"))


async def where(f: Facts, which: str) -> str:
    """`taskdef.json in SourceArtifact (CodeCommit demo-deploy/main)`."""
    t, deploy = await f.templates(), await f.deploy_action()
    path = t.taskdef_path if which == "taskdef" else t.appspec_path
    artifact = deploy.configuration.get("TaskDefinitionTemplateArtifact" if which == "taskdef"
                                        else "AppSpecTemplateArtifact", "")
    return f"{path} in {artifact} ({t.where})"


async def _parsed(f: Facts, which: str) -> dict[str, Any]:
    t = await f.templates()
    text = t.taskdef_text if which == "taskdef" else t.appspec_text
    place = await where(f, which)
    if text is None:
        raise Unavailable(f"{place}: no such file")
    try:
        value = json.loads(text) if which == "taskdef" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if which == "taskdef" else "YAML"
        raise Unavailable(f"{place} is not valid {kind}: {str(exc).splitlines()[0]}") from None
    if not isinstance(value, dict):
        raise Unavailable(f"{place} is not a {'JSON' if which == 'taskdef' else 'YAML'} object")
    return value


def containers(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in task.get("containerDefinitions") or [] if isinstance(c, dict)]


def target_services(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The Properties of each AWS::ECS::Service resource of the AppSpec (`Resources[].<name>`)."""
    out = []
    for resource in spec.get("Resources") or []:
        if not isinstance(resource, dict):
            continue
        for body in resource.values():
            if isinstance(body, dict) and isinstance(body.get("Properties"), dict):
                out.append(body["Properties"])
    return out


async def artifact_names(f: Facts, artifact: str, wanted: tuple[str, ...]) -> set[str] | None:
    """Which of the `wanted` files the artifact holds; None when the doctor cannot read it.
    Read from the source itself for CodeCommit and S3 sources (what the next run gets), else from
    the artifact of the latest execution that produced it."""
    producer = await f.producer(artifact)
    if producer is None:
        return None
    if producer.category == "Source" and producer.provider == "CodeCommit":
        found = set()
        for name in wanted:
            text, _ = await f.artifact_file(artifact, name)
            if text is not None:
                found.add(name)
        return found
    if producer.category == "Source" and producer.provider == "S3":
        c = producer.configuration
        body = await f.s3_object(c.get("S3Bucket", ""), c.get("S3ObjectKey", ""))
        return None if body is None else set(_zip_names(body)) & set(wanted)
    location = await latest_location(f, artifact)
    if location is None:
        return None
    body = await f.s3_object(*location)
    return None if body is None else set(_zip_names(body)) & set(wanted)


async def latest_location(f: Facts, artifact: str) -> tuple[str, str] | None:
    """(bucket, key) of the artifact as the newest action execution that output it left it.
    ListActionExecutions lists the newest first (unverified: docs/doctor-rules.md §5)."""
    answer = await f.call("codepipeline", "list_action_executions", pipelineName=f.pipeline_name, maxResults=100)
    for detail in answer.get("actionExecutionDetails") or []:
        for out in (detail.get("output") or {}).get("outputArtifacts") or []:
            place = out.get("s3location") or {}
            if out.get("name") == artifact and place.get("bucket") and place.get("key"):
                return str(place["bucket"]), str(place["key"])
    return None


def _zip_names(body: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return archive.namelist()
    except zipfile.BadZipFile:
        raise Unavailable("the artifact is not a zip file") from None
