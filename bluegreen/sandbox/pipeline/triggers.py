"""Which source revision an execution starts with: the one its trigger names, else the latest.

An EventBridge event that starts a pipeline names a revision: the pushed image's digest (ECR),
the branch's new commit (CodeCommit), the new object version (S3). The source action that
watches that repository, branch, bucket or object uses it; the other source actions take their
latest revision when they run. In PARALLEL mode CodeCommit and S3 source actions take the latest
revision whatever the event said (User Guide, "How pipeline executions work": source revisions
in PARALLEL mode). ``StartPipelineExecution`` may fix revisions too (``sourceRevisions``).
"""

from __future__ import annotations

from typing import Any

from ..wire import AwsError
from .actions import REVISION_TYPES
from .model import MODE_PARALLEL, Pin


def source_actions(declaration: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action
        for stage in declaration.get("stages") or []
        for action in stage.get("actions") or []
        if (action.get("actionTypeId") or {}).get("category") == "Source"
    ]


def event_pins(declaration: dict[str, Any], event: dict[str, Any], mode: str) -> dict[str, Pin]:
    detail = event.get("detail") or {}
    source = event.get("source")
    pins: dict[str, Pin] = {}
    for action in source_actions(declaration):
        provider = action["actionTypeId"].get("provider")
        config = action.get("configuration") or {}
        pin: Pin | None = None
        if provider == "ECR" and source == "aws.ecr":
            if detail.get("repository-name") == config.get("RepositoryName") and detail.get("image-tag") == (
                config.get("ImageTag") or "latest"
            ):
                pin = Pin("IMAGE_DIGEST", str(detail.get("image-digest")))
        elif provider == "CodeCommit" and source == "aws.codecommit" and mode != MODE_PARALLEL:
            if (
                detail.get("repositoryName") == config.get("RepositoryName")
                and detail.get("referenceName") == config.get("BranchName")
                and detail.get("commitId")
            ):
                pin = Pin("COMMIT_ID", str(detail["commitId"]))
        elif provider == "S3" and source == "aws.s3" and mode != MODE_PARALLEL:
            obj = detail.get("object") or {}
            if (
                (detail.get("bucket") or {}).get("name") == config.get("S3Bucket")
                and obj.get("key") == config.get("S3ObjectKey")
                and obj.get("version-id")
            ):
                pin = Pin("S3_OBJECT_VERSION_ID", str(obj["version-id"]))
        if pin is not None:
            pins[str(action["name"])] = pin
    return pins


def override_pins(declaration: dict[str, Any], overrides: list[dict[str, Any]]) -> dict[str, Pin]:
    """StartPipelineExecution's ``sourceRevisions``: each names a source action of the pipeline
    and a revision type that action has."""
    actions = {str(a["name"]): a for a in source_actions(declaration)}
    pins: dict[str, Pin] = {}
    for override in overrides:
        name = str(override.get("actionName"))
        kind = str(override.get("revisionType"))
        action = actions.get(name)
        if action is None:
            raise AwsError("ValidationException", f"The source action {name} does not exist in the pipeline.")
        provider = str(action["actionTypeId"].get("provider"))
        if kind not in REVISION_TYPES.get(provider, ()):
            raise AwsError(
                "ValidationException", f"The revision type {kind} is not valid for the {provider} source action {name}."
            )
        pins[name] = Pin(kind, str(override.get("revisionValue")))
    return pins
