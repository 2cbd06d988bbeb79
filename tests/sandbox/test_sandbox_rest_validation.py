"""REST requests are checked like AWS checks them: S3's XML documents, bucket names, keys and typed
query/header members get S3's own error codes, rest-json bodies the JSON services' — never a 500
and never a silent success for what S3 refuses."""

from __future__ import annotations

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from bluegreen.sandbox.validate_rest import MAX_KEY_BYTES, valid_bucket_name

SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
BUCKET = "rest-validation-bucket"


def _s3(sandbox, method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> requests.Response:
    return requests.request(
        method, f"{sandbox.endpoint_url}{path}{'?' + query if query else ''}", data=body, timeout=30,
        headers={"Authorization": SIGV4.format(service="s3"), **headers},
    )


def _code(r: requests.Response) -> str:
    assert r.status_code < 500, r.text
    start = r.text.find("<Code>")
    return r.text[start + 6 : r.text.find("</Code>")] if start >= 0 else ""


@pytest.fixture(scope="module")
def bucket(sandbox) -> str:
    sandbox.client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


# --- the tool's S3 calls are accepted --------------------------------------------------------------


def test_the_s3_calls_the_tool_makes_are_accepted(sandbox) -> None:
    s3 = sandbox.client("s3")
    name = "rest-ok-bucket"
    s3.create_bucket(Bucket=name)
    s3.create_bucket(Bucket="rest-ok-bucket-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "bluegreen:stack", "Value": "s"}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.put_object(Bucket=name, Key="dir/a key.zip", Body=b"zip")
    assert s3.get_object(Bucket=name, Key="dir/a key.zip")["Body"].read() == b"zip"
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"][0]["Key"] == "bluegreen:stack"
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.get_bucket_notification_configuration(Bucket=name)  # (moto does not echo EventBridge back)
    s3.put_object(Bucket=name, Key="dir/a key.zip", Body=b"zip2")
    versions = s3.list_object_versions(Bucket=name, MaxKeys=100)["Versions"]
    assert len(versions) == 2
    s3.delete_objects(Bucket=name, Delete={
        "Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions], "Quiet": True})
    s3.delete_object(Bucket=name, Key="missing")
    s3.delete_bucket(Bucket=name)
    s3.delete_bucket(Bucket="rest-ok-bucket-eu")
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_the_matcher_finds_each_operation_botocore_serializes() -> None:
    import botocore.session
    from botocore.serialize import create_serializer

    from bluegreen.sandbox.validate_rest import _match

    model = botocore.session.get_session().get_service_model("s3")
    serializer = create_serializer("rest-xml")
    calls = {
        "CreateBucket": {"Bucket": "b"},
        "PutBucketTagging": {"Bucket": "b", "Tagging": {"TagSet": []}},
        "GetBucketTagging": {"Bucket": "b"},
        "DeleteBucketTagging": {"Bucket": "b"},
        "PutPublicAccessBlock": {"Bucket": "b", "PublicAccessBlockConfiguration": {}},
        "GetPublicAccessBlock": {"Bucket": "b"},
        "PutBucketVersioning": {"Bucket": "b", "VersioningConfiguration": {}},
        "PutBucketNotificationConfiguration": {"Bucket": "b", "NotificationConfiguration": {}},
        "GetBucketNotificationConfiguration": {"Bucket": "b"},
        "PutObject": {"Bucket": "b", "Key": "k/x"},
        "GetObject": {"Bucket": "b", "Key": "k/x"},
        "HeadObject": {"Bucket": "b", "Key": "k"},
        "DeleteObject": {"Bucket": "b", "Key": "k"},
        "DeleteObjects": {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}},
        "CopyObject": {"Bucket": "b", "Key": "k", "CopySource": "a/k"},
        "UploadPart": {"Bucket": "b", "Key": "k", "PartNumber": 1, "UploadId": "u"},
        "ListObjectVersions": {"Bucket": "b"},
        "ListObjectsV2": {"Bucket": "b"},
        "ListObjects": {"Bucket": "b"},
        "HeadBucket": {"Bucket": "b"},
        "DeleteBucket": {"Bucket": "b"},
        "GetBucketLocation": {"Bucket": "b"},
        "PutBucketPolicy": {"Bucket": "b", "Policy": "{}"},
    }
    for name, params in calls.items():
        op = model.operation_model(name)
        wire = serializer.serialize_to_request(params, op)
        path, _, query = wire["url_path"].partition("?")
        qs = {k: [str(v)] for k, v in wire["query_string"].items()}
        for part in filter(None, query.split("&")):
            k, _, v = part.partition("=")
            qs.setdefault(k, []).append(v)
        headers = {k.lower(): str(v) for k, v in wire["headers"].items()}
        found, params_out = _match("s3", wire["method"], path.replace("%2F", "/"), qs, headers)
        assert found is not None and found.name == name, (name, wire["method"], path, qs)
        assert params_out["Bucket"] == "b"


# --- S3's documents --------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "root"), [
    ("tagging", "Tagging"),
    ("publicAccessBlock", "PublicAccessBlockConfiguration"),
    ("versioning", "VersioningConfiguration"),
    ("notification", "NotificationConfiguration"),
])
def test_malformed_and_missing_documents_get_s3s_codes(sandbox, bucket, query, root) -> None:
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", query, b"<notxml")) == "MalformedXML"
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", query, b"\xff\xfe<<")) == "MalformedXML"
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", query, b"<Wrong/>")) == "MalformedXML"
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", query, f"<{root}><Bogus/></{root}>".encode())) == "MalformedXML"
    r = _s3(sandbox, "PUT", f"/{bucket}", query, b"")
    assert r.status_code == 400 and _code(r) == "MissingRequestBodyError"


def test_document_contents_are_checked_against_the_schema(sandbox, bucket) -> None:
    bad = {
        "tagging": [
            b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",  # Value required
            b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet><TagSet/></Tagging>",  # twice
            b"<Tagging/>",  # TagSet required
        ],
        "publicAccessBlock": [
            b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>"
            b"</PublicAccessBlockConfiguration>",
        ],
        "versioning": [b"<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>"],
        "delete": [b"<Delete><Object></Object></Delete>", b"<Delete></Delete>"],
    }
    for query, bodies in bad.items():
        method = "POST" if query == "delete" else "PUT"
        for body in bodies:
            r = _s3(sandbox, method, f"/{bucket}", query, body)
            assert r.status_code == 400 and _code(r) == "MalformedXML", (query, body, r.text)
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    good = f"<VersioningConfiguration {ns}>\n  <Status>Suspended</Status>\n</VersioningConfiguration>".encode()
    assert _s3(sandbox, "PUT", f"/{bucket}", "versioning", good).status_code == 200


def test_dtds_entities_and_deep_nesting_are_malformed(sandbox, bucket) -> None:
    laughs = (b"<?xml version='1.0'?><!DOCTYPE t [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
              b"<Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>")
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", "tagging", laughs)) == "MalformedXML"
    deep = b"<Tagging>" + b"<TagSet>" * 50_000 + b"</TagSet>" * 50_000 + b"</Tagging>"
    assert _code(_s3(sandbox, "PUT", f"/{bucket}", "tagging", deep)) == "MalformedXML"


def test_boto3_without_client_side_validation_gets_malformed_xml(sandbox, bucket) -> None:
    s3 = sandbox.client("s3", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Maybe"})
    assert info.value.response["Error"]["Code"] == "MalformedXML"
    with pytest.raises(ClientError) as info:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "only-a-key"}]})
    assert info.value.response["Error"]["Code"] == "MalformedXML"


# --- names, keys, typed parameters -------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "Upper-Case", "under_score", "-starts-with-dash", "ends-with-dash-", "two..dots",
    "192.168.5.4", "xn--punycode", "sthree-bucket", "amzn-s3-demo-bucket", "x-s3alias", "y--ol-s3",
    "z.mrap", "w--x-s3", "v--table-s3",
])
def test_invalid_bucket_names_are_refused(sandbox, name) -> None:
    assert not valid_bucket_name(name)
    r = _s3(sandbox, "PUT", f"/{name}")
    assert r.status_code == 400 and _code(r) == "InvalidBucketName", r.text


def test_valid_bucket_names_pass_the_rules() -> None:
    for name in ("abc", "a" * 63, "my.bucket-1", "bluegreen-demo-us-east-1-artifacts", "1-2-3", "192.168.5.4x"):
        assert valid_bucket_name(name), name


def test_unknown_location_constraint(sandbox) -> None:
    body = b"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>"
    r = _s3(sandbox, "PUT", "/rest-mars-bucket", body=body)
    assert r.status_code == 400 and _code(r) == "InvalidLocationConstraint"


def test_typed_query_parameters_and_long_keys(sandbox, bucket) -> None:
    r = _s3(sandbox, "GET", f"/{bucket}", "versions&max-keys=ten")
    assert r.status_code == 400 and _code(r) == "InvalidArgument"
    r = _s3(sandbox, "GET", f"/{bucket}", "list-type=2&max-keys=1.5")
    assert r.status_code == 400 and _code(r) == "InvalidArgument"
    assert _s3(sandbox, "GET", f"/{bucket}", "list-type=2&max-keys=5").status_code == 200
    r = _s3(sandbox, "PUT", f"/{bucket}/{'k' * (MAX_KEY_BYTES + 1)}", body=b"x")
    assert r.status_code == 400 and _code(r) == "KeyTooLongError"
    assert _s3(sandbox, "PUT", f"/{bucket}/{'k' * MAX_KEY_BYTES}", body=b"x").status_code == 200


# --- rest-json --------------------------------------------------------------------------------------


def test_rest_json_bodies_get_json_errors(sandbox) -> None:
    for body in (b"not json", b"[1, 2]", b"[" * 50_000, b"\xff\xfe", b'{"FunctionName": 5}'):
        r = requests.post(
            f"{sandbox.endpoint_url}/2015-03-31/functions", data=body, timeout=30,
            headers={"Authorization": SIGV4.format(service="lambda"), "Content-Type": "application/json"},
        )
        assert r.status_code == 400, r.text
        assert r.headers["x-amzn-ErrorType"] == "SerializationException"
        assert r.json()["__type"] == "SerializationException"
    lam = sandbox.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        lam.create_function(FunctionName=["not", "a", "string"], Role="r", Code={})
    assert info.value.response["Error"]["Code"] == "SerializationException"


def test_methods_no_operation_has_are_method_not_allowed(sandbox, bucket) -> None:
    for method, path, query in (("POST", f"/{bucket}", "versioning"), ("POST", f"/{bucket}/k", ""),
                                ("POST", f"/{bucket}", "tagging")):
        r = _s3(sandbox, method, path, query, b"<Tagging/>")
        assert r.status_code == 405 and _code(r) == "MethodNotAllowed", (method, path, query, r.text)


def test_bodies_s3_does_not_read_are_ignored_and_empty_configurations_accepted(sandbox, bucket) -> None:
    r = _s3(sandbox, "POST", f"/{bucket}/multi", "uploads", b"stray bytes")
    assert r.status_code == 200 and "<UploadId>" in r.text, r.text
    r = _s3(sandbox, "PUT", "/rest-empty-config-bucket", body=b"<CreateBucketConfiguration></CreateBucketConfiguration>")
    assert r.status_code == 200, r.text
