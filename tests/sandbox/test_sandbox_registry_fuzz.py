"""Fuzzing the ECR registry endpoint (``/v2/...``): every malformed manifest, blob upload, path or
credential gets a 4xx in the distribution spec's error shape, never a 500."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = "fuzz/app"
# The error codes of the OCI distribution spec, and TAG_INVALID (Docker's registry, ECR's answer to
# an immutable tag).
CODES = {
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
    "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS", "TAG_INVALID",
}
MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/json", "text/plain", "",
]
CONFIG = b'{"architecture":"amd64","os":"linux"}'
MISSING = "sha256:" + "f" * 64


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def reg(sandbox) -> Any:
    ecr = sandbox.client("ecr")
    ecr.create_repository(repositoryName=REPO)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    session = requests.Session()
    session.headers["Authorization"] = f"Basic {token}"
    base = f"http://{sandbox.registry_host}"
    r = session.post(f"{base}/v2/{REPO}/blobs/uploads/?digest={_digest(CONFIG)}", data=CONFIG, timeout=10)
    assert r.status_code == 201, r.text
    yield session, base
    session.close()


def _check(r: requests.Response, what: object) -> None:
    """A 2xx, or a 4xx whose body is the spec's error document with a known code."""
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400 and r.request.method != "HEAD":
        errors = r.json()["errors"]
        assert errors and errors[0]["code"] in CODES, (what, r.text[:300])


# --- manifests -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
digests = st.sampled_from([_digest(CONFIG), MISSING, "sha256:short", "md5:abc", ""]) | st.text(max_size=80) | st.integers()
descriptors = st.one_of(
    st.fixed_dictionaries(
        {"digest": digests},
        optional={
            "mediaType": st.sampled_from(MEDIA_TYPES) | st.integers(),
            "size": st.integers(min_value=-5, max_value=2**70) | st.text(max_size=5) | st.booleans(),
        },
    ),
    json_values,
)
manifests = st.fixed_dictionaries(
    {},
    optional={
        "schemaVersion": st.sampled_from([2, 1, "2", None, True, 2.0]),
        "mediaType": st.sampled_from(MEDIA_TYPES) | json_values,
        "config": descriptors,
        "layers": st.lists(descriptors, max_size=4) | json_values,
        "manifests": st.lists(descriptors, max_size=3) | json_values,
    },
)
bodies = st.one_of(
    manifests.map(lambda m: json.dumps(m).encode()),
    manifests.map(lambda m: json.dumps(m).encode("utf-16")),  # JSON, but not UTF-8
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies, content_type=st.sampled_from(MEDIA_TYPES), by_digest=st.booleans())
def test_fuzzed_manifests_are_never_a_500(reg, body: bytes, content_type: str, by_digest: bool) -> None:
    session, base = reg
    ref = _digest(body) if by_digest else "fuzz"
    r = session.put(f"{base}/v2/{REPO}/manifests/{ref}", data=body, timeout=30,
                    headers={"Content-Type": content_type})
    _check(r, body[:200])


def test_manifest_edge_cases(reg) -> None:
    session, base = reg
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(CONFIG),
              "digest": _digest(CONFIG)}
    good = {"schemaVersion": 2, "mediaType": MEDIA_TYPES[0], "config": config, "layers": []}
    cases = {
        "deep JSON": b"[" * 100_000 + b"]" * 100_000,
        "deep JSON in a field": json.dumps({**good, "annotations": 0}).encode().replace(
            b'"annotations": 0', b'"annotations": ' + b"[" * 50_000 + b"]" * 50_000),
        "over 4 MiB": json.dumps({**good, "pad": "x" * (4 * 1024 * 1024)}).encode(),
        "not UTF-8": b'{"schemaVersion": 2, "mediaType": "\xff\xfe"}',
        "wrong mediaType": json.dumps({**good, "mediaType": "application/vnd.example+json"}).encode(),
        "no layers": json.dumps({k: v for k, v in good.items() if k != "layers"}).encode(),
        "layers not a list": json.dumps({**good, "layers": {"a": 1}}).encode(),
        "layer without digest": json.dumps({**good, "layers": [{"mediaType": "x", "size": 1}]}).encode(),
        "layer size a string": json.dumps({**good, "layers": [{**config, "size": "big"}]}).encode(),
        "missing blob": json.dumps({**good, "layers": [{**config, "digest": MISSING}]}).encode(),
        "schemaVersion 1": json.dumps({**good, "schemaVersion": 1}).encode(),
        "index of nothing": json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPES[3],
                                        "manifests": [{"mediaType": MEDIA_TYPES[2], "size": 1, "digest": MISSING}]}).encode(),
        "index with junk": json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPES[3], "manifests": 7}).encode(),
    }
    expected = {"missing blob": "MANIFEST_BLOB_UNKNOWN", "index of nothing": "MANIFEST_UNKNOWN"}
    for what, body in cases.items():
        r = session.put(f"{base}/v2/{REPO}/manifests/edge", data=body, timeout=60,
                        headers={"Content-Type": MEDIA_TYPES[0]})
        assert r.status_code == 400, (what, r.status_code, r.text[:300])
        assert r.json()["errors"][0]["code"] == expected.get(what, "MANIFEST_INVALID"), (what, r.text[:300])
    r = session.put(f"{base}/v2/{REPO}/manifests/edge", data=json.dumps(good).encode(), timeout=30,
                    headers={"Content-Type": MEDIA_TYPES[0]})
    assert r.status_code == 201, r.text


# --- blob uploads, paths and credentials ------------------------------------------------------------


def _random_path(rng: random.Random, upload: str) -> str:
    """A path under /v2 (dot segments percent-encoded: the client would resolve them away)."""
    name = rng.choice([REPO, REPO, "no/such-repo", "UPPER/case", "a", "x" * 300, "..%2Fetc", "fuzz//app",
                       "fuzz/app/", "\u00e9t\u00e9", "%00", ""])
    kind = rng.choice(["blobs", "blobs/uploads", "manifests", "tags", "tags/list", "catalog", "", "blobs/uploads/x/y"])
    ref = rng.choice(["", _digest(CONFIG), MISSING, "sha256:zz", "latest", "x" * 200, upload, upload, "list",
                      "..", "%2e%2e", "a:b", "v1?x=1"])
    return "/v2/" + "/".join(p for p in (name, kind, ref) if p or rng.random() < 0.2)


def test_fuzzed_paths_uploads_and_headers_are_never_a_500(reg) -> None:
    session, base = reg
    rng = random.Random(20261202)
    failures: list[tuple[object, ...]] = []
    upload = ""
    for i in range(600):
        if i % 40 == 0:  # a live upload for the fuzzed requests to hit
            r = session.post(f"{base}/v2/{REPO}/blobs/uploads/", timeout=10)
            assert r.status_code == 202
            upload = r.headers["Location"].rsplit("/", 1)[1]
        method = rng.choice(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "PROPFIND"])
        query = rng.choice(["", f"digest={_digest(CONFIG)}", f"digest={MISSING}", "digest=junk",
                            f"mount={_digest(CONFIG)}&from={REPO}", f"mount={MISSING}&from=nowhere",
                            "mount=x&from=%00", "n=5&last=z"])
        headers = {rng.choice(["Content-Range", "Content-Type", "Range", "Accept"]):
                   rng.choice(["0-", "5-2", "abc", "bytes=0-1", "0-99999999999999999999", MEDIA_TYPES[0], ""])}
        body = rng.choice([b"", CONFIG, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))])
        path = _random_path(rng, upload)
        r = session.request(method, f"{base}{path}{'?' + query if query else ''}", data=body,
                            headers=headers, timeout=30)
        if r.status_code >= 500:
            failures.append((method, path, query, headers, r.status_code, r.text[:200]))
        elif r.status_code >= 400 and method != "HEAD":
            try:
                code = r.json()["errors"][0]["code"]
            except (ValueError, KeyError, IndexError, TypeError):
                code = None
            if code not in CODES:
                failures.append((method, path, query, headers, r.status_code, r.text[:200]))
    assert failures == []


@pytest.mark.parametrize("auth", [
    "Basic", "Basic ", "Basic %%%", "Basic \u00e9\u00e9\u00e9", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    "Basic " + base64.b64encode(b"AWS").decode(), "Bearer abc", "\u00ff", "Basic " + "A" * 10_000,
])
def test_odd_credentials_are_401(sandbox, auth) -> None:
    r = requests.get(f"http://{sandbox.registry_host}/v2/", timeout=10,
                     headers={"Authorization": auth.encode("utf-8").decode("latin-1")})
    assert r.status_code == 401 and r.json()["errors"][0]["code"] in ("UNAUTHORIZED", "DENIED")
    assert "WWW-Authenticate" in r.headers


def test_upload_edge_cases(reg) -> None:
    session, base = reg
    start = session.post(f"{base}/v2/{REPO}/blobs/uploads/", timeout=10)
    location = f"{base}{start.headers['Location']}"
    r = session.put(f"{location}?digest={MISSING}", data=b"bytes", timeout=10)  # wrong digest
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    r = session.put(f"{location}?digest={_digest(b'bytes')}", data=b"bytes", timeout=10)  # already finished
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    start = session.post(f"{base}/v2/{REPO}/blobs/uploads/", timeout=10)
    location = f"{base}{start.headers['Location']}"
    r = session.patch(location, data=b"abc", headers={"Content-Range": "7-9"}, timeout=10)
    assert r.status_code == 416 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    r = session.get(f"{base}/v2/{'r' * 300}/tags/list", timeout=10)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "NAME_INVALID"
