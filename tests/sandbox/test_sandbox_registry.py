"""The ECR registry endpoint at the HTTP level (OCI distribution API), without a Docker engine."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import requests


@pytest.fixture(scope="module")
def reg(sandbox):
    ecr = sandbox.client("ecr")
    ecr.create_repository(repositoryName="team/app")
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    s = requests.Session()
    s.headers["Authorization"] = f"Basic {token}"
    base = f"http://{sandbox.registry_host}/v2"
    yield s, base
    s.close()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest(config: bytes, layers: list[bytes]) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": _digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(x),
                    "digest": _digest(x),
                }
                for x in layers
            ],
        }
    ).encode()


def test_auth_is_required_and_checked_like_ecr(sandbox) -> None:
    base = f"http://{sandbox.registry_host}/v2/"
    r = requests.get(base, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert r.json()["errors"][0]["code"]
    bad = base64.b64encode(b"AWS:not-the-token").decode()
    r = requests.get(base, headers={"Authorization": f"Basic {bad}"}, timeout=10)
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "DENIED"
    assert "WWW-Authenticate" in r.headers
    r = requests.get(base, headers={"Authorization": "Basic %%%garbage"}, timeout=10)
    assert r.status_code == 401


def test_version_check_with_the_token(reg) -> None:
    s, base = reg
    r = s.get(base + "/", timeout=10)
    assert r.status_code == 200 and r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_monolithic_and_chunked_uploads_then_manifest_by_tag_and_digest(sandbox, reg) -> None:
    s, base = reg
    config, layer = b'{"architecture":"amd64","os":"linux"}', b"layer-bytes" * 1000
    # monolithic: POST with digest and body
    r = s.post(f"{base}/team/app/blobs/uploads/?digest={_digest(config)}", data=config, timeout=10)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == _digest(config)
    # chunked: POST, PATCH x2 (one with chunked transfer encoding), PUT
    r = s.post(f"{base}/team/app/blobs/uploads/", timeout=10)
    assert r.status_code == 202
    location = r.headers["Location"]
    r = s.patch(
        f"http://{sandbox.registry_host}{location}",
        data=layer[:5000],
        headers={"Content-Range": "0-4999"},
        timeout=10,
    )
    assert r.status_code == 202 and r.headers["Range"] == "0-4999"
    r = s.patch(
        f"http://{sandbox.registry_host}{location}", data=iter([layer[5000:8000], layer[8000:]]), timeout=10
    )
    assert r.status_code == 202 and r.headers["Range"] == f"0-{len(layer) - 1}"
    r = s.put(f"http://{sandbox.registry_host}{location}?digest={_digest(layer)}", timeout=10)
    assert r.status_code == 201, r.text
    r = s.head(f"{base}/team/app/blobs/{_digest(layer)}", timeout=10)
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(layer)
    assert s.get(f"{base}/team/app/blobs/{_digest(layer)}", timeout=10).content == layer

    manifest = _manifest(config, [layer])
    ctype = {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}
    r = s.put(f"{base}/team/app/manifests/v1", data=manifest, headers=ctype, timeout=10)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == _digest(manifest)
    r = s.put(f"{base}/team/app/manifests/{_digest(manifest)}", data=manifest, headers=ctype, timeout=10)
    assert r.status_code == 201
    got = s.get(f"{base}/team/app/manifests/v1", timeout=10)
    assert got.content == manifest and got.headers["Content-Type"] == ctype["Content-Type"]
    assert s.head(f"{base}/team/app/manifests/{_digest(manifest)}", timeout=10).status_code == 200
    assert s.get(f"{base}/team/app/tags/list", timeout=10).json() == {"name": "team/app", "tags": ["v1"]}

    ecr = sandbox.client("ecr")
    detail = ecr.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
    assert detail["imageDigest"] == _digest(manifest)
    assert detail["imageSizeInBytes"] == len(layer)
    pushes = [
        e
        for e in sandbox.events.emitted
        if e["source"] == "aws.ecr" and e["detail"]["repository-name"] == "team/app"
    ]
    assert pushes[0]["detail"]["image-tag"] == "v1"
    assert pushes[0]["detail"]["image-digest"] == _digest(manifest)


def test_registry_errors_are_distribution_errors(reg) -> None:
    s, base = reg
    r = s.post(f"{base}/no-such-repo/blobs/uploads/", timeout=10)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    assert "does not exist in the registry with id '123456789012'" in r.json()["errors"][0]["message"]
    r = s.get(f"{base}/team/app/blobs/sha256:{'0' * 64}", timeout=10)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    r = s.get(f"{base}/team/app/manifests/nope", timeout=10)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    r = s.post(f"{base}/team/app/blobs/uploads/?digest=sha256:{'1' * 64}", data=b"other", timeout=10)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    r = s.put(
        f"{base}/team/app/manifests/x",
        data=_manifest(b"cfg-missing", []),
        headers={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=10,
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    r = s.put(f"{base}/team/app/manifests/x", data=b"garbage", timeout=10)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    r = s.patch(f"{base}/team/app/blobs/uploads/not-an-upload", data=b"x", timeout=10)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"


def test_image_put_through_the_ecr_api_can_be_pulled_by_manifest(sandbox, reg) -> None:
    s, base = reg
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + "a" * 64,
            },
            "layers": [],
        }
    )
    sandbox.client("ecr").put_image(repositoryName="team/app", imageManifest=manifest, imageTag="api")
    r = s.get(f"{base}/team/app/manifests/api", timeout=10)
    assert r.status_code == 200 and json.loads(r.content) == json.loads(manifest)


def test_pure_api_push_with_the_ecr_layer_operations(sandbox, reg) -> None:
    ecr = sandbox.client("ecr")
    config, layer = b'{"os":"linux","api":true}', b"api-layer" * 3000
    for blob in (config, layer):
        digest = _digest(blob)
        check = ecr.batch_check_layer_availability(repositoryName="team/app", layerDigests=[digest])
        assert check["failures"][0]["failureCode"] == "MissingLayerDigest"
        upload = ecr.initiate_layer_upload(repositoryName="team/app")["uploadId"]
        half = len(blob) // 2
        ecr.upload_layer_part(
            repositoryName="team/app",
            uploadId=upload,
            partFirstByte=0,
            partLastByte=half - 1,
            layerPartBlob=blob[:half],
        )
        with pytest.raises(ecr.exceptions.InvalidLayerPartException):
            ecr.upload_layer_part(
                repositoryName="team/app",
                uploadId=upload,
                partFirstByte=0,
                partLastByte=len(blob) - half - 1,
                layerPartBlob=blob[half:],
            )
        last = ecr.upload_layer_part(
            repositoryName="team/app",
            uploadId=upload,
            partFirstByte=half,
            partLastByte=len(blob) - 1,
            layerPartBlob=blob[half:],
        )
        assert last["lastByteReceived"] == len(blob) - 1
        done = ecr.complete_layer_upload(repositoryName="team/app", uploadId=upload, layerDigests=[digest])
        assert done["layerDigest"] == digest
        check = ecr.batch_check_layer_availability(repositoryName="team/app", layerDigests=[digest])
        assert check["layers"][0]["layerAvailability"] == "AVAILABLE" and check["layers"][0][
            "layerSize"
        ] == len(blob)
    with pytest.raises(ecr.exceptions.UploadNotFoundException):
        ecr.upload_layer_part(
            repositoryName="team/app", uploadId="nope", partFirstByte=0, partLastByte=0, layerPartBlob=b"x"
        )
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.initiate_layer_upload(repositoryName="missing")
    manifest = _manifest(config, [layer]).decode()
    before = len(sandbox.events.emitted)
    image = ecr.put_image(repositoryName="team/app", imageManifest=manifest, imageTag="api-push")["image"]
    assert image["imageId"]["imageDigest"]
    event = sandbox.events.emitted[before]
    assert event["detail"]["image-tag"] == "api-push" and event["detail"]["action-type"] == "PUSH"
    s, base = reg
    r = s.get(f"{base}/team/app/manifests/api-push", timeout=10)
    assert r.status_code == 200 and json.loads(r.content) == json.loads(manifest)
    url = ecr.get_download_url_for_layer(repositoryName="team/app", layerDigest=_digest(layer))["downloadUrl"]
    assert s.get(url, timeout=10).content == layer


ECR_OWNED = [
    "GetAuthorizationToken",
    "BatchCheckLayerAvailability",
    "InitiateLayerUpload",
    "UploadLayerPart",
    "CompleteLayerUpload",
    "GetDownloadUrlForLayer",
]
ECR_GARBAGE = [
    b"",
    b"not json",
    b"[1]",
    b'{"repositoryName": 5}',
    b'{"repositoryName": "team/app", "uploadId": 7}',
    b'{"repositoryName": "team/app", "layerDigests": [1, 2]}',
    b'{"registryIds": "x"}',
    b'{"repositoryName": "team/app", "uploadId": "u", "layerPartBlob": "%%", "partFirstByte": "a"}',
    b"\xff\xfe",
]


@pytest.mark.parametrize("operation", ECR_OWNED)
def test_garbage_to_owned_ecr_operations_gets_aws_shaped_errors(sandbox, reg, operation: str) -> None:
    for body in ECR_GARBAGE:
        r = requests.post(
            sandbox.endpoint_url,
            data=body,
            timeout=10,
            headers={
                "X-Amz-Target": f"AmazonEC2ContainerRegistry_V20150921.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecr/aws4_request, "
                "SignedHeaders=host, Signature=0",
            },
        )
        assert r.status_code < 500, (operation, body, r.text)
        if r.status_code >= 400:
            assert r.json()["__type"].endswith("Exception"), (operation, body, r.text)


def test_repository_uris_point_at_the_local_registry_in_every_region(sandbox) -> None:  # type: ignore[no-untyped-def]
    """A client in another region than the sandbox's own must still be sent to 127.0.0.1."""
    for region in ("us-east-2", "eu-west-1"):
        ecr = sandbox.client("ecr", region_name=region)
        created = ecr.create_repository(repositoryName=f"anywhere-{region}")["repository"]["repositoryUri"]
        assert created == f"{sandbox.registry_host}/anywhere-{region}"
        listed = ecr.describe_repositories(repositoryNames=[f"anywhere-{region}"])["repositories"][0]
        assert listed["repositoryUri"].startswith("127.0.0.1:")


def test_a_push_to_a_repository_of_another_region_lands_there(sandbox) -> None:  # type: ignore[no-untyped-def]
    """The registry host names no region: the repository is found in the region that has it,
    the image is that region's, and so is the push event its rules see."""
    region = "us-west-1"
    ecr = sandbox.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="elsewhere")
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    with requests.Session() as s:
        s.headers["Authorization"] = f"Basic {token}"
        base = f"http://{sandbox.registry_host}/v2/elsewhere"
        config = b'{"architecture":"amd64","os":"linux"}'
        assert s.post(f"{base}/blobs/uploads/?digest={_digest(config)}", data=config, timeout=10).status_code == 201
        manifest = _manifest(config, [])
        ctype = {"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}
        r = s.put(f"{base}/manifests/v2", data=manifest, headers=ctype, timeout=10)
        assert r.status_code == 201, r.text
        assert s.get(f"{base}/manifests/v2", timeout=10).content == manifest
    images = ecr.describe_images(repositoryName="elsewhere")["imageDetails"]
    assert [i["imageTags"] for i in images] == [["v2"]]
    pushes = [e for e in sandbox.events.emitted
              if e["source"] == "aws.ecr" and e["detail"]["repository-name"] == "elsewhere"]
    assert [e["region"] for e in pushes] == [region]
    home = sandbox.client("ecr")  # the sandbox's own region has no such repository
    with pytest.raises(home.exceptions.RepositoryNotFoundException):
        home.describe_images(repositoryName="elsewhere")
