"""What an AWS error code means, in one table: every module that must tell "not found" from
"throttled" or "still in use" asks here, instead of keeping its own list of codes.

Services spell the same meaning differently (IAM's `NoSuchEntity`, ECS's
`ClusterNotFoundException`, S3's bare `404`); the table holds the spellings bluegreen meets,
and two patterns cover the rest of the not-found family (`...NotFound...`,
`...DoesNotExistException`).
"""

from __future__ import annotations

from enum import Enum

from bluegreen.errors import aws_error_code


class Meaning(Enum):
    NOT_FOUND = "not found"
    ACCESS_DENIED = "access denied"
    THROTTLED = "throttled"
    IN_USE = "still in use"  # a delete AWS refuses until a dependency lets go
    CREDENTIALS_EXPIRED = "credentials expired"
    CREDENTIALS_REFUSED = "credentials refused"
    ROLE_NOT_READY = "role not assumable yet"  # IAM has not spread a new role yet


TABLE: dict[str, Meaning] = {
    # not found, where the code does not say so by the patterns below
    "NoSuchEntity": Meaning.NOT_FOUND,
    "NoSuchBucket": Meaning.NOT_FOUND,
    "404": Meaning.NOT_FOUND,
    "ResourceNotFoundException": Meaning.NOT_FOUND,
    # access
    "AccessDenied": Meaning.ACCESS_DENIED,
    "AccessDeniedException": Meaning.ACCESS_DENIED,
    "UnauthorizedOperation": Meaning.ACCESS_DENIED,
    "403": Meaning.ACCESS_DENIED,
    "Forbidden": Meaning.ACCESS_DENIED,
    # throttling (each service's spelling)
    "ThrottlingException": Meaning.THROTTLED,
    "Throttling": Meaning.THROTTLED,
    "TooManyRequestsException": Meaning.THROTTLED,
    "RequestLimitExceeded": Meaning.THROTTLED,
    # a delete that must wait for AWS to let go of a dependency
    "DependencyViolation": Meaning.IN_USE,
    "ResourceInUse": Meaning.IN_USE,
    "ResourceInUseException": Meaning.IN_USE,
    "ClusterContainsServicesException": Meaning.IN_USE,
    "ClusterContainsTasksException": Meaning.IN_USE,
    # credentials
    "ExpiredToken": Meaning.CREDENTIALS_EXPIRED,
    "ExpiredTokenException": Meaning.CREDENTIALS_EXPIRED,
    "RequestExpired": Meaning.CREDENTIALS_EXPIRED,
    "InvalidClientTokenId": Meaning.CREDENTIALS_REFUSED,
    "SignatureDoesNotMatch": Meaning.CREDENTIALS_REFUSED,
    "UnrecognizedClientException": Meaning.CREDENTIALS_REFUSED,
    # IAM eventual consistency
    "InvalidRoleException": Meaning.ROLE_NOT_READY,
}


def meaning(exc_or_code: BaseException | str) -> Meaning | None:
    """What the error means, or None for a code the table does not know."""
    code = exc_or_code if isinstance(exc_or_code, str) else aws_error_code(exc_or_code)
    if not code:
        return None
    known = TABLE.get(code)
    if known is not None:
        return known
    if "NotFound" in code or code.endswith("DoesNotExistException"):
        return Meaning.NOT_FOUND
    return None


def is_not_found(exc: BaseException) -> bool:
    return meaning(exc) is Meaning.NOT_FOUND


def is_in_use(exc: BaseException) -> bool:
    return meaning(exc) is Meaning.IN_USE
