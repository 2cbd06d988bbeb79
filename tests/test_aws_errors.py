"""One table says what an AWS error code means; every caller asks it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from bluegreen.aws.errors import Meaning, is_in_use, is_not_found, meaning


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


@pytest.mark.parametrize(("code", "expected"), [
    ("NoSuchEntity", Meaning.NOT_FOUND), ("404", Meaning.NOT_FOUND),
    ("ClusterNotFoundException", Meaning.NOT_FOUND), ("InvalidGroup.NotFound", Meaning.NOT_FOUND),
    ("DeploymentGroupDoesNotExistException", Meaning.NOT_FOUND),
    ("AccessDenied", Meaning.ACCESS_DENIED), ("403", Meaning.ACCESS_DENIED),
    ("Throttling", Meaning.THROTTLED), ("ThrottlingException", Meaning.THROTTLED),
    ("DependencyViolation", Meaning.IN_USE), ("ClusterContainsServicesException", Meaning.IN_USE),
    ("ExpiredToken", Meaning.CREDENTIALS_EXPIRED), ("SignatureDoesNotMatch", Meaning.CREDENTIALS_REFUSED),
    ("InvalidRoleException", Meaning.ROLE_NOT_READY),
    ("ValidationError", None), ("", None),
])
def test_each_code_has_one_meaning(code: str, expected: Meaning | None) -> None:
    assert meaning(code) is expected
    assert meaning(client_error(code)) is expected if code else meaning(client_error(code)) is None


def test_helpers_and_non_aws_exceptions() -> None:
    assert is_not_found(client_error("LoadBalancerNotFound")) and not is_not_found(client_error("Throttling"))
    assert is_in_use(client_error("ResourceInUse")) and not is_in_use(client_error("NoSuchEntity"))
    assert meaning(ValueError("not an AWS error")) is None
