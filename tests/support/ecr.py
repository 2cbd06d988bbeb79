"""An image in the sandbox's ECR through the API alone: enough for the engine to reference,
so that a test needs no Docker build."""

from __future__ import annotations

import contextlib
import json
from typing import Any

MANIFEST = {
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
               "digest": "sha256:" + "0" * 64},
    "layers": [],
}


def put_tiny_image(session: Any, repository: str, tag: str = "latest") -> str:
    """Create the repository if needed and put the image; returns its digest."""
    ecr = session.client("ecr")
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    try:
        answer = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(MANIFEST), imageTag=tag)
        return str(answer["image"]["imageId"]["imageDigest"])
    except ecr.exceptions.ImageAlreadyExistsException:
        details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
        return str(details[0]["imageDigest"])
