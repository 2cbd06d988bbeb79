"""ECR: what the sandbox adds on top of moto's ECR metadata.

- ``GetAuthorizationToken`` is owned: ``proxyEndpoint`` is the sandbox registry
  (``http://127.0.0.1:PORT``) and the token is the one the registry checks.
- Every ECR answer from moto has the AWS registry host (``ACCOUNT.dkr.ecr.REGION.amazonaws.com``)
  replaced by the sandbox registry host, so ``repositoryUri`` is something ``docker push`` reaches.
- ``DescribeImages`` reports the size of a pushed image as ECR does (sum of its layers).
- :class:`MotoEcrGate` connects the registry to moto: repository existence, ``put_image`` with the
  real digest, and the ``ECR Image Action`` PUSH event.
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any

from botocore.exceptions import ClientError

from ...clients import MotoClients
from ...wire import AwsError, AwsRequest, Response, json_response
from ..common import Handler, error_code, with_body
from ..events import EventBus
from .registry import Registry, RegistryError, StoredManifest

TOKEN_LIFETIME_S = 12 * 3600


def _ecr_regions(account_id: str) -> list[str]:
    """The regions where moto's ECR has state for the account (repositories made there)."""
    from moto.ecr.models import ecr_backends

    try:
        return [region for region, backend in ecr_backends[account_id].items() if backend.repositories]
    except Exception:  # moto's layout changed: the sandbox's own region still works
        return []


class MotoEcrGate:
    """The registry's way into moto's ECR. The registry host carries no region (on AWS each
    region has its own), so a repository name is looked up in the sandbox's region first, then
    in any other region that has it: a stack in another region pushes to the same host."""

    def __init__(self, clients: MotoClients, bus: EventBus) -> None:
        self.clients = clients
        self.bus = bus

    def region_of(self, name: str) -> str | None:
        """The region whose ECR holds repository `name` (the sandbox's own first), or None."""
        others = sorted(r for r in _ecr_regions(self.clients.account_id) if r != self.clients.region)
        regions = [self.clients.region, *others]
        for region in regions:
            try:
                self._ecr(region).describe_repositories(repositoryNames=[name])
                return region
            except ClientError as exc:
                if error_code(exc) != "RepositoryNotFoundException":
                    raise
        return None

    def _ecr(self, region: str) -> Any:
        return self.clients.for_region(region).get("ecr")

    def _repository_ecr(self, name: str) -> tuple[Any, str]:
        region = self.region_of(name) or self.clients.region
        return self._ecr(region), region

    def repository_exists(self, name: str) -> bool:
        return self.region_of(name) is not None

    def image_pushed(self, name: str, manifest: StoredManifest, tag: str | None) -> None:
        kwargs: dict[str, Any] = {
            "repositoryName": name,
            "imageManifest": manifest.body.decode(),
            "imageManifestMediaType": manifest.media_type,
            "imageDigest": manifest.digest,
        }
        if tag is not None:
            kwargs["imageTag"] = tag
        try:
            ecr, region = self._repository_ecr(name)
            ecr.put_image(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ImageTagAlreadyExistsException":
                raise RegistryError(
                    400,
                    "TAG_INVALID",
                    f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
                    "overwritten because the repository is immutable.",
                ) from exc
            if code != "ImageAlreadyExistsException":
                raise
        self.emit_push(name, manifest.digest, tag, manifest.media_type, region)

    def emit_push(self, name: str, digest: str, tag: str | None, media_type: str, region: str | None = None) -> None:
        """The ``ECR Image Action`` PUSH event, for a ``docker push`` and an API ``PutImage`` alike
        (in the region of the API call; a ``docker push`` is the sandbox's own region's)."""
        detail: dict[str, Any] = {
            "result": "SUCCESS",
            "repository-name": name,
            "image-digest": digest,
            "action-type": "PUSH",
        }
        if tag:
            detail["image-tag"] = tag
        if media_type:
            detail["manifest-media-type"] = media_type
        self.bus.emit("aws.ecr", "ECR Image Action", detail, [], region=region)

    def find_manifest(self, name: str, ref: str) -> StoredManifest | None:
        image_id = {"imageDigest": ref} if ref.startswith("sha256:") else {"imageTag": ref}
        try:
            images = self._repository_ecr(name)[0].batch_get_image(repositoryName=name, imageIds=[image_id])[
                "images"
            ]
        except ClientError:
            return None
        if not images:
            return None
        image = images[0]
        body = image["imageManifest"].encode()
        media_type = image.get("imageManifestMediaType") or json.loads(body).get("mediaType", "")
        return StoredManifest(image["imageId"]["imageDigest"], media_type, body, 0)


class EcrHandler(Handler):
    """Router handler for the ``ecr`` service."""

    def __init__(
        self,
        registry: Registry,
        account_id: str,
        region: str,
        gate: MotoEcrGate | None = None,
    ) -> None:
        self.registry = registry
        self.account_id = account_id
        self.gate = gate
        # Any region's registry host: clients may use another region than the sandbox's own.
        self.aws_host = re.compile(rb"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com")
        self.local_host = registry.host.encode()
        self._layer_ops = {
            "BatchCheckLayerAvailability": self.batch_check_layer_availability,
            "InitiateLayerUpload": self.initiate_layer_upload,
            "UploadLayerPart": self.upload_layer_part,
            "CompleteLayerUpload": self.complete_layer_upload,
            "GetDownloadUrlForLayer": self.get_download_url_for_layer,
        }

    # --- the layer API, backed by the registry's blob store ----------------------------------

    def _repo(self, body: dict[str, Any]) -> str:
        name = body.get("repositoryName")
        if not isinstance(name, str) or not name:
            raise AwsError(
                "InvalidParameterException",
                "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
            )
        if self.gate is not None and not self.gate.repository_exists(name):
            raise AwsError(
                "RepositoryNotFoundException",
                f"The repository with name '{name}' does not exist in the registry with id '{self.account_id}'",
            )
        return name

    def _digests(self, body: dict[str, Any], key: str) -> list[str]:
        value = body.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(d, str) for d in value):
            raise AwsError(
                "InvalidParameterException",
                f"Invalid parameter at '{key}' failed to satisfy constraint: 'must be a non-empty list of digests'",
            )
        return value

    def _ids(self, name: str) -> dict[str, str]:
        return {"registryId": self.account_id, "repositoryName": name}

    def batch_check_layer_availability(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._repo(body)
        layers, failures = [], []
        for digest in self._digests(body, "layerDigests"):
            size = self.registry.blob_size(name, digest)
            if size is None:
                failures.append(
                    {
                        "layerDigest": digest,
                        "failureCode": "MissingLayerDigest",
                        "failureReason": "Layer with digest " + digest + " not found",
                    }
                )
            else:
                layers.append(
                    {
                        "layerDigest": digest,
                        "layerAvailability": "AVAILABLE",
                        "layerSize": size,
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    }
                )
        return {"layers": layers, "failures": failures}

    def initiate_layer_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._repo(body)
        return {"uploadId": self.registry.api_initiate(name), "partSize": 10 * 1024 * 1024}

    def _upload(self, body: dict[str, Any], name: str) -> tuple[str, Any]:
        uid = body.get("uploadId")
        file = self.registry.api_upload_file(name, uid) if isinstance(uid, str) else None
        if file is None:
            raise AwsError(
                "UploadNotFoundException", f"Upload with id '{uid}' is not found in repository '{name}'"
            )
        return str(uid), file

    def upload_layer_part(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._repo(body)
        uid, file = self._upload(body, name)
        first, last, blob = body.get("partFirstByte"), body.get("partLastByte"), body.get("layerPartBlob")
        if not isinstance(first, int) or not isinstance(last, int) or not isinstance(blob, str):
            raise AwsError(
                "InvalidParameterException", "partFirstByte, partLastByte and layerPartBlob are required"
            )
        try:
            data = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AwsError("SerializationException", "'layerPartBlob' is not valid base64") from exc
        size = file.stat().st_size
        if first != size or last - first + 1 != len(data):
            raise AwsError(
                "InvalidLayerPartException",
                f"The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload. lastValidByteReceived: {size - 1}",
            )
        with open(file, "ab") as f:
            f.write(data)
        return {**self._ids(name), "uploadId": uid, "lastByteReceived": last}

    def complete_layer_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._repo(body)
        uid, file = self._upload(body, name)
        digests = self._digests(body, "layerDigests")
        if file.stat().st_size == 0:
            raise AwsError(
                "EmptyUploadException",
                f"The specified layer upload with upload id '{uid}' does not contain any layer parts.",
            )
        if self.registry.blob_size(name, digests[0]) is not None:
            raise AwsError(
                "LayerAlreadyExistsException",
                f"Layer with digest '{digests[0]}' already exists in the repository with name '{name}'",
            )
        try:
            self.registry.api_complete(name, uid, digests[0])
        except RegistryError as exc:
            raise AwsError(
                "InvalidLayerException",
                f"The layer digest calculation performed by Amazon ECR upon receipt of the image layer does not match the digest specified: {exc.message}",
            ) from exc
        return {**self._ids(name), "uploadId": uid, "layerDigest": digests[0]}

    def get_download_url_for_layer(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._repo(body)
        digest = body.get("layerDigest")
        if not isinstance(digest, str) or self.registry.blob_size(name, digest) is None:
            raise AwsError(
                "LayersNotFoundException",
                f"The specified layers {digest} could not be found in the repository {name}",
            )
        return {"downloadUrl": f"http://{self.registry.host}/v2/{name}/blobs/{digest}", "layerDigest": digest}

    def handle(self, req: AwsRequest) -> Response | None:
        layer_op = self._layer_ops.get(req.operation or "")
        if layer_op is not None:
            return json_response(req, layer_op(req.json_body()))
        if req.operation == "GetAuthorizationToken":
            body = req.json_body()
            ids = body.get("registryIds")
            if ids is not None and not isinstance(ids, list):
                raise AwsError("SerializationException", "Unexpected value type for 'registryIds'")
            return json_response(
                req,
                {
                    "authorizationData": [
                        {
                            "authorizationToken": self.registry.authorization_token,
                            "expiresAt": time.time() + TOKEN_LIFETIME_S,
                            "proxyEndpoint": f"http://{self.registry.host}",
                        }
                    ]
                },
            )
        return None

    def after(self, req: AwsRequest, resp: Response) -> Response:
        body = resp.body
        if b".dkr.ecr." in body:
            body = self.aws_host.sub(self.local_host, body)
        if req.operation == "DescribeImages" and resp.status == 200:
            body = self._sizes(body)
        if req.operation == "PutImage" and resp.status == 200 and self.gate is not None:
            self._api_push(body, req.region)
        return resp if body is resp.body else with_body(resp, body)

    def _api_push(self, body: bytes, region: str | None) -> None:
        """An image put through the ECR API is a push too: the same event as ``docker push``."""
        try:
            image = json.loads(body)["image"]
            manifest = image.get("imageManifest", "")
            media_type = image.get("imageManifestMediaType") or json.loads(manifest).get("mediaType", "")
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        image_id = image.get("imageId", {})
        self.gate.emit_push(  # type: ignore[union-attr]
            image.get("repositoryName", ""), image_id.get("imageDigest", ""), image_id.get("imageTag"), media_type,
            region,
        )

    def _sizes(self, body: bytes) -> bytes:
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        changed = False
        for detail in doc.get("imageDetails", []):
            size = self.registry.size_of(detail.get("repositoryName", ""), detail.get("imageDigest", ""))
            if size is not None and detail.get("imageSizeInBytes") != size:
                detail["imageSizeInBytes"] = size
                changed = True
        return json.dumps(doc).encode() if changed else body
