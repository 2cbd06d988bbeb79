"""Throttling injection: the services' own throttling errors, in each wire format, that botocore's
retry modes recognise; registry and health traffic are never throttled."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from bluegreen.sandbox.server import SandboxHandle, probe, start_sandbox

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # no retry at all


@contextlib.contextmanager
def throttled(sandbox: SandboxHandle, rate: float) -> Iterator[None]:
    before = sandbox.router.throttle_rate
    sandbox.router.throttle_rate = rate
    try:
        yield
    finally:
        sandbox.router.throttle_rate = before


# (client, call, error code, HTTP status): one per protocol family, and the owned services.
FAMILIES: list[tuple[str, Callable[[Any], Any], str, int]] = [
    ("ecs", lambda c: c.list_clusters(), "ThrottlingException", 400),  # JSON 1.1, moto
    ("codecommit", lambda c: c.list_repositories(), "ThrottlingException", 400),  # JSON, owned
    ("codedeploy", lambda c: c.list_deployment_configs(), "ThrottlingException", 400),
    ("ecr", lambda c: c.describe_repositories(), "ThrottlingException", 400),
    ("events", lambda c: c.list_rules(), "ThrottlingException", 400),
    ("resourcegroupstaggingapi", lambda c: c.get_resources(), "ThrottledException", 400),
    ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),  # query
    ("iam", lambda c: c.list_roles(), "Throttling", 400),
    ("elbv2", lambda c: c.describe_load_balancers(), "Throttling", 400),
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 503),  # EC2 query
    ("s3", lambda c: c.list_buckets(), "SlowDown", 503),  # REST-XML
    ("lambda", lambda c: c.list_functions(), "TooManyRequestsException", 429),  # REST-JSON
]


@pytest.mark.parametrize(("service", "call", "code", "status"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_rate_one_throttles_every_call_in_the_services_format(
    sandbox, service: str, call: Callable[[Any], Any], code: str, status: int
) -> None:
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

    client = sandbox.client(service, config=NO_RETRIES)
    with throttled(sandbox, 1.0), pytest.raises(ClientError) as info:
        call(client)
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    # botocore's standard (and adaptive) retry modes see a throttle, not an ordinary error
    ctx = RetryContext(
        attempt_number=1,
        operation_model=client.meta.service_model.operation_model(info.value.operation_name),
        parsed_response=response,
        http_response=None,
        caught_exception=None,
    )
    assert ThrottledRetryableChecker().is_retryable(ctx), code
    call(client)  # and with the rate back at 0 the same call succeeds


def test_a_third_throttled_with_standard_retries_all_succeed(sandbox) -> None:
    retrying = Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=25)
    sts = sandbox.client("sts", config=retrying)
    ec2 = sandbox.client("ec2", config=retrying)
    cc = sandbox.client("codecommit", config=retrying)
    calls = [sts.get_caller_identity, ec2.describe_vpcs, cc.list_repositories] * 17  # 51 calls
    before = sandbox.router.throttled
    # concurrent, so that the jittered backoffs (up to 1 s, 2 s, 4 s...) overlap
    with throttled(sandbox, 0.3), ThreadPoolExecutor(25) as pool:
        answers = list(pool.map(lambda f: f(), calls[:50]))
    assert len(answers) == 50
    assert all(a["ResponseMetadata"]["HTTPStatusCode"] == 200 for a in answers)
    retried = sum(a["ResponseMetadata"]["RetryAttempts"] for a in answers)
    assert sandbox.router.throttled - before == retried > 0


def test_health_and_registry_traffic_is_never_throttled(sandbox) -> None:
    with throttled(sandbox, 1.0):
        assert probe(sandbox.endpoint_url)
        assert requests.get(f"{sandbox.endpoint_url}/_bluegreen/health", timeout=5).json()["throttle_rate"] == 1.0
        r = requests.get(f"http://{sandbox.registry_host}/v2/", timeout=5)
        assert r.status_code == 401 and "UNAUTHORIZED" in r.text  # the registry's answer, not a throttle


def test_start_option_and_seed_are_reproducible() -> None:
    def pattern() -> list[bool]:
        with start_sandbox(seed=False, throttle_rate=0.5, throttle_seed=42, region="eu-west-3") as h:
            ecs = h.client("ecs", config=NO_RETRIES)
            out = []
            for _ in range(12):
                try:
                    ecs.list_clusters()
                    out.append(False)
                except ClientError as exc:
                    assert exc.response["Error"]["Code"] == "ThrottlingException"
                    out.append(True)
            return out

    first = pattern()
    assert first == pattern()
    assert any(first) and not all(first)


def test_invalid_rates_are_refused(sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.router.throttle_rate = 1.5
    with pytest.raises(ValueError):
        start_sandbox(throttle_rate=-0.1)
    assert sandbox.router.throttle_rate == 0.0


# --- read calls only -----------------------------------------------------------------------------


def test_read_operation_names() -> None:
    from bluegreen.sandbox.router import is_read

    for name in ("DescribeServices", "GetObject", "ListTasks", "BatchGetDeployments", "HeadBucket"):
        assert is_read(name), name
    for name in ("CreateCluster", "PutObject", "BatchDeleteImage", "UpdateService", "Listen", "Getaway",
                 "StartPipelineExecution", "GET /bucket", "", None):
        assert not is_read(name), name


# (client, call, error code): reads in each protocol family, REST ones named from the model
READS: list[tuple[str, Callable[[Any], Any], str]] = [
    ("ecs", lambda c: c.list_clusters(), "ThrottlingException"),  # JSON
    ("ecs", lambda c: c.describe_clusters(clusters=["default"]), "ThrottlingException"),
    ("codedeploy", lambda c: c.batch_get_deployments(deploymentIds=["d-ABCDEFGHI"]), "ThrottlingException"),
    ("sts", lambda c: c.get_caller_identity(), "Throttling"),  # query
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded"),  # EC2 query
    ("s3", lambda c: c.list_buckets(), "SlowDown"),  # REST-XML: GET / is ListBuckets or ListDirectoryBuckets
    ("s3", lambda c: c.get_object(Bucket="throttle-reads", Key="k"), "SlowDown"),
    ("s3", lambda c: c.head_bucket(Bucket="throttle-reads"), "503"),  # an answer to HEAD has no body
    ("lambda", lambda c: c.list_functions(), "TooManyRequestsException"),  # REST-JSON
]


def test_reads_only_throttles_reads_and_lets_writes_through(sandbox) -> None:
    clients: dict[str, Any] = {}

    def client(name: str) -> Any:
        return clients.setdefault(name, sandbox.client(name, config=NO_RETRIES))

    sandbox.router.throttle_reads_only = True
    try:
        with throttled(sandbox, 1.0):
            # writes in each family go through (they would all fail at rate 1 otherwise)
            client("ecs").create_cluster(clusterName="throttle-reads")
            client("s3").create_bucket(Bucket="throttle-reads")
            client("s3").put_object(Bucket="throttle-reads", Key="k", Body=b"v")
            client("ec2").create_tags(Resources=[sandbox.seed.vpc_id], Tags=[{"Key": "throttle", "Value": "x"}])
            client("iam").create_role(RoleName="throttle-reads", AssumeRolePolicyDocument="{}")
            for service, call, code in READS:
                with pytest.raises(ClientError) as info:
                    call(client(service))
                assert info.value.response["Error"]["Code"] == code, service
    finally:
        sandbox.router.throttle_reads_only = False
    # the same reads pass again with the rate back at 0
    assert client("s3").get_object(Bucket="throttle-reads", Key="k")["Body"].read() == b"v"
    assert "throttle-reads" in [c.split("/")[-1] for c in client("ecs").list_clusters()["clusterArns"]]


def test_reads_only_at_run_time_and_in_the_health_answer(sandbox) -> None:
    ecs = sandbox.client("ecs", config=NO_RETRIES)
    url = f"{sandbox.endpoint_url}/_bluegreen/health"
    assert requests.get(url, timeout=5).json()["throttle_reads_only"] is False
    with throttled(sandbox, 1.0):
        with pytest.raises(ClientError):  # every call, the default
            ecs.create_cluster(clusterName="throttle-all")
        sandbox.router.throttle_reads_only = True
        try:
            assert requests.get(url, timeout=5).json()["throttle_reads_only"] is True
            ecs.create_cluster(clusterName="throttle-all")
            with pytest.raises(ClientError):
                ecs.list_clusters()
        finally:
            sandbox.router.throttle_reads_only = False
        with pytest.raises(ClientError):  # back to every call
            ecs.delete_cluster(cluster="throttle-all")
    ecs.delete_cluster(cluster="throttle-all")


def test_reads_only_with_a_seed_draws_only_for_reads() -> None:
    """Writes in between do not shift which reads are throttled: a seeded run repeats."""

    def pattern(writes: bool) -> list[bool]:
        with start_sandbox(seed=False, throttle_rate=0.5, throttle_seed=7, throttle_reads_only=True,
                           region="eu-west-3") as h:
            ecs = h.client("ecs", config=NO_RETRIES)
            out = []
            for i in range(12):
                if writes:
                    ecs.create_cluster(clusterName=f"c{i}")  # never throttled
                try:
                    ecs.list_clusters()
                    out.append(False)
                except ClientError as exc:
                    assert exc.response["Error"]["Code"] == "ThrottlingException"
                    out.append(True)
            return out

    first = pattern(writes=False)
    assert first == pattern(writes=True)
    assert any(first) and not all(first)


def test_cli_option_reads_only() -> None:
    import boto3
    from test_sandbox_cli import launch

    with launch("--port", "0", "--throttle-rate", "1", "--throttle-reads-only", "--region", "eu-north-1") as (
        _, endpoint, lines,
    ):
        assert "throttle:  100% of read calls" in "".join(lines)
        ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="eu-north-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing", config=NO_RETRIES)
        ecs.create_cluster(clusterName="reads-only")
        with pytest.raises(ClientError) as info:
            ecs.list_clusters()
        assert info.value.response["Error"]["Code"] == "ThrottlingException"
