"""The seed stack's template source moved to S3: the zip of taskdef.json and appspec.yaml in a
bucket of its own, read by an S3 source action that polls (so no EventBridge rule is needed)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from support.seed_stack import SeedStack


def template_zip(seed: SeedStack, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("taskdef.json", json.dumps(seed.taskdef_json, indent=2))
        archive.writestr("appspec.yaml", seed.appspec_yaml)
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return out.getvalue()


def use_s3_source(client: Any, seed: SeedStack, body: bytes, versioned: bool = True) -> tuple[str, str]:
    """Put `body` at s3://<app>-source/templates.zip and make it the pipeline's template source."""
    s3, cp = client("s3"), client("codepipeline")
    bucket, key = f"{seed.app}-source", "templates.zip"
    s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    pipeline = cp.get_pipeline(name=seed.pipeline)["pipeline"]
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            if action["name"] == "TemplateSource":
                action["actionTypeId"]["provider"] = "S3"
                action["configuration"] = {"S3Bucket": bucket, "S3ObjectKey": key, "PollForSourceChanges": "true"}
    cp.update_pipeline(pipeline=pipeline)
    return bucket, key
