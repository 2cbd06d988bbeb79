"""The Amazon ECR source action (Source / AWS / ECR / 1).

Finds the image of the configured tag (``ImageTag``, default ``latest``), or the digest the
trigger fixed (the pushed image), and writes the output artifact AWS documents: a zip holding
``imageDetail.json`` (ImageSizeInBytes, ImageDigest, Version, ImagePushedAt, RegistryId,
RepositoryName, ImageURI, ImageTags). ``ImageURI`` is ``<repositoryUri>@<digest>`` with the
repository URI the sandbox's ECR reports, so whatever pulls it reaches the sandbox registry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..artifacts import zip_files
from ..model import Revision
from .base import JOB_FAILED, ActionContext, ActionFailed, ActionOutcome, client_error

DEFAULT_TAG = "latest"


def run(ctx: ActionContext) -> ActionOutcome:
    repo = ctx.configuration.get("RepositoryName", "")
    tag = ctx.configuration.get("ImageTag") or DEFAULT_TAG
    ctx.require(["ecr:DescribeImages"], f"arn:aws:ecr:{ctx.region}:{ctx.account_id}:repository/{repo}")
    ecr = ctx.clients.client("ecr", ctx.region)
    if ctx.pin is not None and ctx.pin.revision_type == "IMAGE_DIGEST":
        image_id = {"imageDigest": ctx.pin.value}
    else:
        image_id = {"imageTag": tag}
    try:
        image = ecr.describe_images(repositoryName=repo, imageIds=[image_id])["imageDetails"][0]
        repository = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
    except ClientError as exc:
        code, message = client_error(exc)
        raise ActionFailed(JOB_FAILED, message or code) from exc
    except IndexError:
        raise ActionFailed(JOB_FAILED, f"The image {image_id} does not exist in the repository {repo}.") from None
    digest = str(image["imageDigest"])
    pushed = _seconds(image.get("imagePushedAt"))
    detail: dict[str, Any] = {
        "ImageSizeInBytes": str(image.get("imageSizeInBytes", 0)),
        "ImageDigest": digest,
        "Version": "1.0",
        "ImagePushedAt": datetime.fromtimestamp(pushed, UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
        "RegistryId": str(image.get("registryId") or ctx.account_id),
        "RepositoryName": repo,
        "ImageURI": f"{repository['repositoryUri']}@{digest}",
        "ImageTags": list(image.get("imageTags") or []),
    }
    data = zip_files({"imageDetail.json": json.dumps(detail, indent=4).encode()})
    outputs = [ctx.write_artifact(name, data) for name in ctx.output_names]
    return ActionOutcome(
        external_id=digest,
        outputs=outputs,
        variables={
            "RegistryId": str(detail["RegistryId"]),
            "RepositoryName": repo,
            "ImageTag": tag,
            "ImageDigest": digest,
            "ImageURI": str(detail["ImageURI"]),
        },
        revision=Revision(digest, digest, pushed),
    )


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
