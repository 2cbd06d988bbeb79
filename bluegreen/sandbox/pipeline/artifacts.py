"""Artifacts in the pipeline's artifact store: zip files in its S3 bucket, as AWS keeps them.

Each output artifact is one S3 object ``<pipeline name, first 20 characters>/<artifact name,
first 10 characters>/<7 random characters>`` (the form AWS uses: artifact names appear truncated,
e.g. ``myPipeline/SourceArti/...``; docs/sandbox-pipelines.md). The object is a zip of the
artifact's files; an action reads its input artifacts back from there, so a file changed in the
bucket is what a retried action reads, as on AWS.
"""

from __future__ import annotations

import io
import secrets
import string
import zipfile
from typing import Any

from .frontdoor import FrontDoor
from .model import ArtifactRef

_KEY_ALPHABET = string.ascii_letters + string.digits


def artifact_key(pipeline_name: str, artifact_name: str) -> str:
    suffix = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(7))
    return f"{pipeline_name[:20]}/{artifact_name[:10]}/{suffix}"


def store_location(definition: dict[str, Any], region: str) -> str:
    """The artifact bucket a pipeline uses in ``region`` (``artifactStores`` for cross-region
    pipelines, else ``artifactStore``)."""
    stores = definition.get("artifactStores") or {}
    store = stores.get(region) if isinstance(stores, dict) else None
    store = store or definition.get("artifactStore") or {}
    return str(store.get("location") or "")


class ArtifactStore:
    def __init__(self, clients: FrontDoor, region: str, bucket: str, pipeline_name: str) -> None:
        self.clients = clients
        self.region = region
        self.bucket = bucket
        self.pipeline_name = pipeline_name

    def put(self, artifact_name: str, data: bytes) -> ArtifactRef:
        key = artifact_key(self.pipeline_name, artifact_name)
        self.clients.client("s3", self.region).put_object(Bucket=self.bucket, Key=key, Body=data)
        return ArtifactRef(artifact_name, self.bucket, key)

    def get(self, ref: ArtifactRef) -> bytes:
        answer = self.clients.client("s3", self.region).get_object(Bucket=ref.bucket, Key=ref.key)
        return bytes(answer["Body"].read())


def zip_files(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(path, files[path])
    return out.getvalue()


def zip_member(data: bytes, path: str) -> bytes | None:
    """The file at ``path`` in a zip (leading ``./`` or ``/`` ignored), or None when the data is
    not a zip or has no such file."""
    wanted = _normal(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if _normal(info.filename) == wanted and not info.is_dir():
                    return archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def _normal(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")
