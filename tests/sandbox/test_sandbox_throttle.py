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
