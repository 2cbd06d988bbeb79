"""The sandbox validates requests like AWS: a request its operation's input shape refuses is a
4xx with AWS's error code, never a 500, and odd requests get AWS-shaped answers."""

from __future__ import annotations

import json
import random

import pytest
import requests

SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"

# (signing name, X-Amz-Target prefix, operation, a body missing a required member, one with a
# wrong type)
JSON_OPS = [
    ("ecs", "AmazonEC2ContainerServiceV20141113", "CreateCluster", None, {"clusterName": 7}),
    ("ecs", "AmazonEC2ContainerServiceV20141113", "CreateService", {}, {"serviceName": ["x"]}),
    ("codedeploy", "CodeDeploy_20141006", "CreateDeploymentGroup", {"applicationName": "a"},
     {"applicationName": "a", "deploymentGroupName": "g", "serviceRoleArn": 5}),
    ("codepipeline", "CodePipeline_20150709", "CreatePipeline", {}, {"pipeline": "p"}),
    ("events", "AWSEvents", "PutRule", {}, {"Name": "r", "EventPattern": {"a": 1}}),
    ("ecr", "AmazonEC2ContainerRegistry_V20150921", "CreateRepository", {}, {"repositoryName": True}),
    ("logs", "Logs_20140328", "CreateLogGroup", {}, {"logGroupName": 1.5}),
    ("codecommit", "CodeCommit_20150413", "CreateRepository", {}, {"repositoryName": {"a": "b"}}),
]
# (signing name, version, action, required params present in the "complete" call)
QUERY_OPS = [
    ("iam", "2010-05-08", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}),
    ("elasticloadbalancing", "2015-12-01", "CreateTargetGroup", {"Name": "tg"}),
]


def _json(sandbox, service: str, target: str, body: bytes | str) -> requests.Response:
    return requests.post(
        sandbox.endpoint_url,
        data=body,
        headers={
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": SIGV4.format(service=service),
        },
        timeout=30,
    )


def _query(sandbox, service: str, form: dict[str, str]) -> requests.Response:
    return requests.post(
        sandbox.endpoint_url,
        data=form,
        headers={"Authorization": SIGV4.format(service=service)},
        timeout=30,
    )


@pytest.mark.parametrize(("service", "prefix", "op", "missing", "wrong"), JSON_OPS)
def test_json_operations_refuse_missing_and_wrongly_typed_members(sandbox, service, prefix, op, missing, wrong) -> None:
    if missing is not None:
        r = _json(sandbox, service, f"{prefix}.{op}", json.dumps(missing))
        assert r.status_code == 400, r.text
        assert r.json()["__type"] in ("ValidationException",) or r.json()["__type"].endswith("RequiredException")
    r = _json(sandbox, service, f"{prefix}.{op}", json.dumps(wrong))
    assert r.status_code == 400, r.text
    assert r.json()["__type"] == "SerializationException"


def test_a_json_body_that_is_not_json_creates_nothing(sandbox) -> None:
    target = "AmazonEC2ContainerServiceV20141113"
    r = _json(sandbox, "ecs", f"{target}.CreateCluster", b"clusterName=default")
    assert r.status_code == 400
    assert r.json()["__type"] == "SerializationException"
    listed = _json(sandbox, "ecs", f"{target}.ListClusters", b"{}")
    assert not any(a.endswith("/default") for a in listed.json()["clusterArns"])


def test_missing_role_name_is_iams_validation_error(sandbox) -> None:
    r = _query(sandbox, "iam", {"Action": "CreateRole", "Version": "2010-05-08", "AssumeRolePolicyDocument": "{}"})
    assert r.status_code == 400
    assert "<Code>ValidationError</Code>" in r.text
    assert (
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: "
        "Member must not be null"
    ) in r.text


@pytest.mark.parametrize(("service", "version", "action", "required"), QUERY_OPS)
def test_query_operations_refuse_missing_and_wrongly_typed_members(sandbox, service, version, action, required) -> None:
    base = {"Action": action, "Version": version}
    r = _query(sandbox, service, base)
    assert r.status_code == 400 and "<Code>ValidationError</Code>" in r.text, r.text
    wrong = {**base, **required, ("MaxSessionDuration" if service == "iam" else "Port"): "eighty"}
    r = _query(sandbox, service, wrong)
    assert r.status_code == 400 and "<Code>ValidationError</Code>" in r.text, r.text


def test_elbv2_enum_and_length_constraints(sandbox) -> None:
    form = {"Action": "CreateTargetGroup", "Version": "2015-12-01", "Name": "tg", "Protocol": "GOPHER",
            "Tags.member.1.Key": ""}
    r = _query(sandbox, "elasticloadbalancing", form)
    assert r.status_code == 400 and "2 validation errors detected" in r.text, r.text
    assert "enum value set" in r.text and "'tags.1.member.key'" in r.text


def test_deeply_nested_json_is_a_400(sandbox) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    r = _json(sandbox, "ecs", "AmazonEC2ContainerServiceV20141113.CreateCluster", body)
    assert r.status_code == 400
    assert r.json()["__type"] == "SerializationException"
    deep = b'{"clusterName": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = _json(sandbox, "ecs", "AmazonEC2ContainerServiceV20141113.CreateCluster", deep)
    assert r.status_code == 400


def test_a_body_over_the_limit_is_a_413(sandbox) -> None:
    from bluegreen.sandbox.router import MAX_BODY

    body = b'{"clusterName": "' + b"x" * MAX_BODY + b'"}'
    r = _json(sandbox, "ecs", "AmazonEC2ContainerServiceV20141113.CreateCluster", body)
    assert r.status_code == 413
    assert r.json()["__type"] == "RequestEntityTooLarge"


def test_operationless_requests_and_unknown_methods(sandbox) -> None:
    r = requests.post(
        sandbox.endpoint_url, data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "Authorization": SIGV4.format(service="ecs")},
        timeout=10,
    )
    assert r.status_code == 400 and r.json()["__type"] == "UnknownOperationException"
    r = _query(sandbox, "iam", {"Version": "2010-05-08"})
    assert r.status_code == 400 and "<Code>MissingAction</Code>" in r.text
    r = requests.request(
        "PROPFIND", sandbox.endpoint_url,
        headers={"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
                 "Authorization": SIGV4.format(service="ecs")},
        timeout=10,
    )
    assert r.status_code == 405 and r.json()["__type"] == "MethodNotAllowed"
    assert "html" not in r.headers.get("Content-Type", "")


def _random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 3.5, 1e308])
    if kind == 3:
        return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(0, 40)))
    if kind == 4:
        return rng.choice(["", "default", "arn:aws:iam::123456789012:role/x", "x" * 300])
    if kind == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {rng.choice(["name", "tags", "key", "value", "x"]): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(0, 4))}


def test_fuzzed_bodies_are_never_a_500(sandbox) -> None:
    rng = random.Random(20261130)
    fields = ["clusterName", "serviceName", "taskDefinition", "desiredCount", "tags", "applicationName",
              "deploymentGroupName", "serviceRoleArn", "pipeline", "Name", "EventPattern", "State",
              "repositoryName", "logGroupName", "imageTagMutability", "loadBalancers"]
    failures: list[tuple[object, ...]] = []
    for i in range(300):
        service, prefix, op, _missing, _wrong = rng.choice(JSON_OPS)
        if i % 10 == 0:
            body: bytes = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        else:
            payload = {rng.choice(fields): _random_value(rng) for _ in range(rng.randrange(0, 5))}
            body = json.dumps(payload).encode()
        r = _json(sandbox, service, f"{prefix}.{op}", body)
        if r.status_code >= 500:
            failures.append((op, body[:200], r.status_code, r.text[:200]))
    for _ in range(60):
        service, version, action, required = rng.choice(QUERY_OPS)
        form = {"Action": action, "Version": version}
        for key in list(required)[: rng.randrange(0, len(required) + 1)]:
            form[key] = str(_random_value(rng))
        form[rng.choice(["Port", "MaxSessionDuration", "Tags.member.1.Key", "Protocol", "Path"])] = str(
            _random_value(rng)
        )
        r = _query(sandbox, service, form)
        if r.status_code >= 500:
            failures.append((action, form, r.status_code, r.text[:200]))
    assert failures == []


def _unvalidated(sandbox, service: str):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=sandbox.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def test_boto3_without_client_side_validation_gets_aws_errors(sandbox) -> None:
    from botocore.exceptions import ClientError

    iam = _unvalidated(sandbox, "iam")
    with pytest.raises(ClientError) as info:
        iam.create_role(AssumeRolePolicyDocument="{}")
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert "Value null at 'roleName'" in info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not any(r["RoleName"] in ("", None) for r in iam.list_roles()["Roles"])

    logs = _unvalidated(sandbox, "logs")
    with pytest.raises(ClientError) as info:
        logs.create_log_group(logGroupName="")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    elbv2 = _unvalidated(sandbox, "elbv2")
    with pytest.raises(ClientError) as info:
        elbv2.create_target_group(Name="tg", Port="eighty")
    assert info.value.response["Error"]["Code"] == "ValidationError"


def test_query_params_read_lists_maps_and_flattened_forms() -> None:
    import botocore.session

    from bluegreen.sandbox.validate import query_params

    iam = botocore.session.get_session().get_service_model("iam")
    shape = iam.operation_model("CreateRole").input_shape
    form = {"RoleName": "r", "MaxSessionDuration": "3600", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v",
            "Tags.member.2.Key": "k2", "Tags.member.2.Value": ""}
    assert query_params(form, shape) == {
        "RoleName": "r", "MaxSessionDuration": 3600,
        "Tags": [{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": ""}],
    }
    sts = botocore.session.get_session().get_service_model("sts")
    shape = sts.operation_model("AssumeRole").input_shape
    assert query_params({"RoleArn": "a", "PolicyArns.member.1.arn": "p"}, shape) == {
        "RoleArn": "a", "PolicyArns": [{"arn": "p"}]
    }


def test_ec2_missing_and_unparsable_parameters(sandbox) -> None:
    base = {"Action": "RunInstances", "Version": "2016-11-15", "ImageId": "ami-12345678"}
    r = _query(sandbox, "ec2", {**base, "MaxCount": "1"})
    assert r.status_code == 400 and "<Code>MissingParameter</Code>" in r.text, r.text
    assert "The request must contain the parameter MinCount" in r.text
    r = _query(sandbox, "ec2", {**base, "MaxCount": "1", "MinCount": "one"})
    assert r.status_code == 400 and "<Code>InvalidParameterValue</Code>" in r.text, r.text


def test_ec2_query_names_are_read_back() -> None:
    import botocore.session

    from bluegreen.sandbox.validate import query_params

    ec2 = botocore.session.get_session().get_service_model("ec2")
    shape = ec2.operation_model("DescribeSubnets").input_shape
    form = {"Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-1", "SubnetId.1": "subnet-1", "MaxResults": "5"}
    assert query_params(form, shape, ec2=True) == {
        "Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}], "SubnetIds": ["subnet-1"], "MaxResults": 5
    }


# --- REST protocols: S3 (rest-xml) and a rest-json service ------------------------------------------

S3_SUBRESOURCES = ["tagging", "versioning", "publicAccessBlock", "notification", "delete", "versions",
                   "list-type=2", "uploads", "acl", "policy", "location", "encryption", "lifecycle", "cors",
                   "website", "object-lock", "retention", "legal-hold", "restore", "attributes", "logging",
                   "replication", "ownershipControls", "select&select-type=2", "policyStatus"]
S3_PARAMS = ["max-keys", "uploadId", "partNumber", "versionId", "prefix", "delimiter", "key-marker",
             "encoding-type", "continuation-token", "fetch-owner"]
S3_HEADERS = ["x-amz-copy-source", "Content-MD5", "x-amz-bypass-governance-retention", "Range", "x-amz-acl",
              "x-amz-tagging", "If-Match", "x-amz-bucket-object-lock-enabled", "x-amz-storage-class",
              "x-amz-object-lock-retain-until-date", "x-amz-checksum-crc32", "x-amz-write-offset-bytes"]
# element names of the documents the tool sends (and a few of others), for XML that nearly fits
S3_ELEMENTS = {
    "tagging": ("Tagging", ["TagSet", "Tag", "Key", "Value"]),
    "versioning": ("VersioningConfiguration", ["Status", "MfaDelete"]),
    "publicAccessBlock": ("PublicAccessBlockConfiguration", ["BlockPublicAcls", "IgnorePublicAcls"]),
    "notification": ("NotificationConfiguration", ["EventBridgeConfiguration", "QueueConfiguration", "Event",
                                                   "Filter", "S3Key", "FilterRule", "Name", "Value", "Queue"]),
    "delete": ("Delete", ["Object", "Key", "VersionId", "Quiet"]),
    "": ("CreateBucketConfiguration", ["LocationConstraint", "Bucket", "Type"]),
}


def _scalar(rng: random.Random) -> str:
    return rng.choice(["", "1", "-5", "true", "abc", "x" * 300, "99999999999999999999999", "\u00e9\u4e2d",
                       "Enabled", "s3:ObjectCreated:*", "2020-01-01T00:00:00Z", "%ff", "../..", "&amp;", "<![CDATA[x]]>"])


def _xml(rng: random.Random, names: list[str], depth: int = 0) -> str:
    name = rng.choice(names)
    if depth > 3 or rng.random() < 0.4:
        return f"<{name}>{_scalar(rng)}</{name}>"
    inner = "".join(_xml(rng, names, depth + 1) for _ in range(rng.randrange(0, 4)))
    return f"<{name}>{inner}</{name}>"


def test_fuzzed_s3_and_rest_json_requests_are_never_a_500(sandbox) -> None:
    rng = random.Random(20261201)
    sandbox.client("s3").create_bucket(Bucket="fuzz-bucket")
    sandbox.client("s3").put_object(Bucket="fuzz-bucket", Key="k", Body=b"x")
    failures: list[tuple[object, ...]] = []
    choked: list[tuple[object, ...]] = []
    session = requests.Session()  # one kept-alive connection, as SDKs do
    try:
        _fuzz_rest(sandbox, rng, session, failures, choked)
    finally:
        session.close()
    assert failures == []
    assert choked == []


def _fuzz_rest(sandbox, rng: random.Random, session: requests.Session,  # type: ignore[no-untyped-def]
               failures: list[tuple[object, ...]], choked: list[tuple[object, ...]]) -> None:
    for _ in range(700):
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
        bucket = rng.choice(["fuzz-bucket", "fuzz-bucket", "no-such-bucket-x", "Bad_Name", "ab", ""])
        path = "/" + bucket + (f"/{rng.choice(['k', 'a/b/c', '%20', 'x' * 50, '..'])}" if rng.random() < 0.4 else "")
        sub = rng.choice(S3_SUBRESOURCES) if rng.random() < 0.7 else ""
        query = [sub] if sub else []
        query += [f"{rng.choice(S3_PARAMS)}={_scalar(rng)}" for _ in range(rng.randrange(0, 3))]
        headers = {"Authorization": SIGV4.format(service="s3")}
        for _ in range(rng.randrange(0, 3)):
            headers[rng.choice(S3_HEADERS)] = (_scalar(rng).strip() or "x").encode().decode("latin-1")
        kind = rng.random()
        if kind < 0.25:
            body = b""
        elif kind < 0.45:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        else:
            root, names = S3_ELEMENTS.get(sub.split("&")[0], S3_ELEMENTS["tagging"])
            inner = "".join(_xml(rng, names) for _ in range(rng.randrange(0, 4)))
            body = f"<{root if rng.random() < 0.8 else rng.choice(names)}>{inner}</{root}>".encode()
        url = f"{sandbox.endpoint_url}{path}{'?' + '&'.join(query) if query else ''}"
        r = session.request(method, url, data=body, headers=headers, timeout=30)
        if r.status_code >= 500:
            failures.append((method, url, body[:120], r.status_code, r.text[:200]))
        elif sub in S3_ELEMENTS and method in ("PUT", "POST") and "could not be processed" in r.text:
            # moto choked on a document the tool sends: S3 names the fault (MalformedXML, ...)
            choked.append((method, url, body[:120], r.text[:200]))
    # rest-json: bodies for a few operations of services moto serves (the tool uses none)
    routes = [("lambda", "POST", "/2015-03-31/functions"), ("apigateway", "POST", "/restapis"),
              ("eks", "POST", "/clusters"), ("lambda", "PUT", "/2015-03-31/functions/f/configuration")]
    for i in range(150):
        service, method, path = rng.choice(routes)
        if i % 5 == 0:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        else:
            payload = {rng.choice(["FunctionName", "Role", "Code", "name", "roleArn", "Timeout", "tags"]):
                       _random_value(rng) for _ in range(rng.randrange(0, 4))}
            body = json.dumps(payload).encode()
        r = session.request(method, f"{sandbox.endpoint_url}{path}", data=body, timeout=30, headers={
            "Authorization": SIGV4.format(service=service), "Content-Type": "application/json"})
        if r.status_code >= 500:
            failures.append((service, path, body[:120], r.status_code, r.text[:200]))
