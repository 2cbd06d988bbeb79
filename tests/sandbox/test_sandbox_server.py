"""The front router: classification, forwarding, AWS-shaped errors, latency, clean stop, seed."""

from __future__ import annotations

import io
import socket
import threading
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from bluegreen.sandbox.server import start_sandbox
from bluegreen.sandbox.wire import classify

SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"


def _environ(method: str = "POST", path: str = "/", body: bytes = b"", **headers: str) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for k, v in headers.items():
        if k == "content_type":
            env["CONTENT_TYPE"] = v
        else:
            env["HTTP_" + k.upper()] = v
    return env


def test_classify_json_target_and_sigv4_scope() -> None:
    env = _environ(
        HTTP_X_AMZ_TARGET="CodeCommit_20150413.GetBranch",
        AUTHORIZATION=SIGV4.format(region="eu-west-1", service="codecommit"),
        X_AMZ_TARGET="CodeCommit_20150413.GetBranch",
    )
    req = classify(env, b"{}")
    assert (req.service, req.region, req.operation, req.protocol) == (
        "codecommit",
        "eu-west-1",
        "GetBranch",
        "json",
    )


def test_classify_query_action_from_body_and_target_without_signature() -> None:
    body = b"Action=DescribeLoadBalancers&Version=2015-12-01"
    req = classify(
        _environ(
            body=body,
            content_type="application/x-www-form-urlencoded",
            AUTHORIZATION=SIGV4.format(region="us-east-1", service="elasticloadbalancing"),
        ),
        body,
    )
    assert (req.service, req.operation, req.protocol) == (
        "elasticloadbalancing",
        "DescribeLoadBalancers",
        "query",
    )
    unsigned = classify(_environ(X_AMZ_TARGET="AWSEvents.ListRules"), b"{}")
    assert (unsigned.service, unsigned.operation) == ("events", "ListRules")


def test_classify_rest_by_host_and_path() -> None:
    req = classify(_environ(method="PUT", path="/bucket/key", HOST="s3.us-west-2.amazonaws.com"), b"")
    assert (req.service, req.region, req.protocol, req.operation) == (
        "s3",
        "us-west-2",
        "rest-xml",
        "PUT /bucket/key",
    )


def test_forwarded_calls_parse_with_boto3(sandbox) -> None:
    sts = sandbox.client("sts")
    assert sts.get_caller_identity()["Account"] == sandbox.account_id
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="router-bucket")
    s3.put_object(Bucket="router-bucket", Key="k", Body=b"hello")
    assert s3.get_object(Bucket="router-bucket", Key="k")["Body"].read() == b"hello"
    elbv2 = sandbox.client("elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_unknown_json_operation_is_unknown_operation_exception(sandbox) -> None:
    for service, prefix in (
        ("codecommit", "CodeCommit_20150413"),
        ("ecs", "AmazonEC2ContainerServiceV20141113"),
        ("codepipeline", "CodePipeline_20150709"),
    ):
        r = requests.post(
            sandbox.endpoint_url,
            data=b"{}",
            headers={
                "X-Amz-Target": f"{prefix}.NoSuchThing",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": SIGV4.format(region="us-east-1", service=service),
            },
            timeout=10,
        )
        assert r.status_code == 400, (service, r.text)
        assert r.json()["__type"] == "UnknownOperationException"


def test_unknown_query_action_is_invalid_action(sandbox) -> None:
    r = requests.post(
        sandbox.endpoint_url,
        data=b"Action=NoSuchThing&Version=2015-12-01",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": SIGV4.format(region="us-east-1", service="elasticloadbalancing"),
        },
        timeout=10,
    )
    assert r.status_code == 400
    assert "<Code>InvalidAction</Code>" in r.text


def test_garbage_to_forwarded_json_service_is_never_a_500_page(sandbox) -> None:
    r = requests.post(
        sandbox.endpoint_url,
        data=b"\x00\xffnot json",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.CreateService",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": SIGV4.format(region="us-east-1", service="ecs"),
        },
        timeout=10,
    )
    assert "<html" not in r.text.lower()
    assert r.headers["Content-Type"].startswith("application/x-amz-json")
    assert "__type" in r.json()


def test_seed_default_vpc_is_public_and_private_subnet_is_not(sandbox) -> None:
    ec2 = sandbox.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])
    assert igws["InternetGateways"]

    def is_public(subnet: str) -> bool:
        tables = (
            ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])[
                "RouteTables"
            ]
            or ec2.describe_route_tables(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc]},
                    {"Name": "association.main", "Values": ["true"]},
                ]
            )["RouteTables"]
        )
        return any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0"
            and r.get("GatewayId", "").startswith("igw-")
            and r.get("State") == "active"
            for t in tables
            for r in t["Routes"]
        )

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    private = [s for s in subnets if s["SubnetId"] == sandbox.seed.private_subnet_id]
    public = [s for s in subnets if s["SubnetId"] != sandbox.seed.private_subnet_id]
    assert len(private) == 1 and len(public) >= 2
    assert len({s["AvailabilityZone"] for s in public}) >= 2
    assert not is_public(private[0]["SubnetId"])
    assert all(is_public(s["SubnetId"]) for s in public)


def test_aws_managed_policies_are_loaded(sandbox) -> None:
    iam = sandbox.client("iam")
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AmazonECSTaskExecutionRolePolicy"
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS")


def test_stop_frees_port_and_threads_and_latency_delays_answers() -> None:
    before = {t.ident for t in threading.enumerate()}
    with start_sandbox(latency_ms=150, seed=False, account_id="210987654321", region="eu-west-1") as h:
        port = int(h.endpoint_url.rsplit(":", 1)[1])
        sts = h.client("sts")
        sts.get_caller_identity()
        started = time.monotonic()
        ident = sts.get_caller_identity()
        assert time.monotonic() - started >= 0.15
        assert ident["Account"] == "210987654321"
        ecr = h.client("ecr")
        repo = ecr.create_repository(repositoryName="acct")["repository"]
        assert repo["repositoryArn"] == "arn:aws:ecr:eu-west-1:210987654321:repository/acct"
        assert repo["repositoryUri"] == f"{h.registry_host}/acct"
    time.sleep(0.05)
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not leftover, leftover
    with socket.socket() as s:  # the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    with pytest.raises(EndpointConnectionError):
        boto3.client(
            "sts",
            endpoint_url=h.endpoint_url,
            region_name="eu-west-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2),
        ).get_caller_identity()


def test_operations_moto_lacks_are_aws_shaped_not_implemented(sandbox) -> None:
    ecr = sandbox.client("ecr", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        ecr.describe_pull_through_cache_rules()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert info.value.response["Error"]["Code"] == "NotImplemented"


def test_health_route_identifies_the_sandbox(sandbox) -> None:
    r = requests.get(f"{sandbox.endpoint_url}/_bluegreen/health", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    doc = r.json()
    assert doc["sandbox"] == "bluegreen" and isinstance(doc["version"], str) and doc["version"]
    assert (doc["region"], doc["account_id"]) == (sandbox.region, sandbox.account_id)
    assert requests.head(f"{sandbox.endpoint_url}/_bluegreen/health", timeout=5).status_code == 200
    assert requests.post(f"{sandbox.endpoint_url}/_bluegreen/health", timeout=5).status_code == 405


def test_probe_tells_a_sandbox_from_anything_else(sandbox) -> None:
    import http.server

    from bluegreen.sandbox.server import probe

    assert probe(sandbox.endpoint_url)
    assert probe(sandbox.endpoint_url + "/")
    assert not probe(sandbox.moto_endpoint_url)  # an HTTP server, but not a bluegreen sandbox
    assert not probe("not a url")
    with socket.socket() as s:  # nothing listening
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert not probe(f"http://127.0.0.1:{closed}")

    class Impostor(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"sandbox": "other"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    impostor = http.server.HTTPServer(("127.0.0.1", 0), Impostor)
    thread = threading.Thread(target=impostor.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    silent = socket.socket()  # accepts connections, never answers
    try:
        assert not probe(f"http://127.0.0.1:{impostor.server_address[1]}")
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        assert not probe(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        assert time.monotonic() - started < 2
    finally:
        silent.close()
        impostor.shutdown()
        impostor.server_close()
        thread.join(5)


def test_a_busy_port_is_an_os_error_and_leaves_nothing_running() -> None:
    before = {t.ident for t in threading.enumerate()}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            start_sandbox(port=busy.getsockname()[1], seed=False)
    time.sleep(0.05)
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not leftover, leftover
