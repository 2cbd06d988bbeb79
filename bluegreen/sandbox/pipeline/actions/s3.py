"""The Amazon S3 source action (Source / AWS / S3 / 1).

Reads the configured object (the version the trigger fixed, else the latest) and hands it on as
the output artifact unchanged: the object is already the zip of the source files. The source
revision is the object's version id; its summary is the object's
``codepipeline-artifact-revision-summary`` metadata when present (User Guide, "View source
revisions"), and the action's summary ``Amazon S3 version id: <id>`` (the form of AWS's examples).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..model import Revision
from .base import JOB_FAILED, ActionContext, ActionFailed, ActionOutcome, client_error


def run(ctx: ActionContext) -> ActionOutcome:
    bucket = ctx.configuration.get("S3Bucket", "")
    key = ctx.configuration.get("S3ObjectKey", "")
    pin = ctx.pin
    if pin is not None and pin.revision_type == "S3_OBJECT_KEY":
        key = pin.value
    ctx.require(
        ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning"], f"arn:aws:s3:::{bucket}/{key}"
    )
    s3 = ctx.clients.client("s3", ctx.region)
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if pin is not None and pin.revision_type == "S3_OBJECT_VERSION_ID":
        kwargs["VersionId"] = pin.value
    try:
        obj = s3.get_object(**kwargs)
        data = bytes(obj["Body"].read())
    except ClientError as exc:
        code, message = client_error(exc)
        raise ActionFailed(JOB_FAILED, message or code) from exc
    version = str(obj.get("VersionId") or "")
    if not version or version == "null":
        # CodePipeline needs a versioned source bucket (S3 source action reference)
        raise ActionFailed(JOB_FAILED, f"The source bucket {bucket} must have versioning enabled.")
    etag = str(obj.get("ETag") or "").strip('"')
    summary = (obj.get("Metadata") or {}).get("codepipeline-artifact-revision-summary")
    modified = obj.get("LastModified")
    created = modified.timestamp() if hasattr(modified, "timestamp") else 0.0
    outputs = [ctx.write_artifact(name, data) for name in ctx.output_names]
    return ActionOutcome(
        summary=f"Amazon S3 version id: {version}",
        external_id=version,
        outputs=outputs,
        variables={"ETag": etag, "VersionId": version},
        revision=Revision(version, etag or version, created, summary),
    )
