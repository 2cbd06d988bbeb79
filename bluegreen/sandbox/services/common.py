"""What the service modules share: the handler base, reading moto's state, typed request
parameters, tag limits, and small helpers for requests and answers.

Each service module holds only its own service's behaviour; a rule every service follows the same
way is written here once.
"""

from __future__ import annotations

import base64
import binascii
import importlib
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..wire import AwsError, AwsRequest, Response


class Handler:
    """A router handler for one service (see :class:`bluegreen.sandbox.router.ServiceHandler`)
    that owns nothing and amends nothing until a subclass says otherwise.

    ``handle`` answers a request, or returns None to pass it on (to the service's next handler,
    then to moto), and may raise :class:`AwsError`; it may also rewrite ``req.body`` for moto.
    ``after`` amends moto's answer to a request that was passed on. A handler that answers
    operations itself declares them in ``_ops`` (operation name -> method)."""

    _ops: dict[str, Callable[..., Any]] = {}  # noqa: RUF012  (each handler sets its own, per instance)

    @property
    def operations(self) -> list[str]:
        """The operations this handler answers itself."""
        return sorted(self._ops)

    def handle(self, req: AwsRequest) -> Response | None:
        return None

    def after(self, req: AwsRequest, resp: Response) -> Response:
        return resp


class BackendHandler(Handler):
    """A handler that reads (or keeps) moto's state of one account, in the request's region."""

    def __init__(self, account_id: str, default_region: str) -> None:
        self.account_id = account_id
        self.default_region = default_region

    def region(self, req: AwsRequest) -> str:
        """The region the request is for: its signature's, else the sandbox's own."""
        return req.region or self.default_region

    def moto_backend(self, service: str, region: str) -> Any:
        """moto's backend of ``service`` (its module name) for this account and ``region``;
        KeyError for a region moto does not know for that service."""
        return moto_backend(service, self.account_id, region)


def moto_backend(service: str, account_id: str, region: str) -> Any:
    backends = getattr(importlib.import_module(f"moto.{service}.models"), f"{service}_backends")
    return backends[account_id][region]


def json_body_or_none(req: AwsRequest) -> dict[str, Any] | None:
    """The request's JSON body, or None when it is not one: a check that runs before moto leaves
    a body it cannot read for moto to answer."""
    try:
        return req.json_body()
    except AwsError:
        return None


def error_code(exc: ClientError) -> str:
    """The AWS error code of a failed call to moto."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def with_body(resp: Response, body: bytes) -> Response:
    """``resp`` with another body (and the Content-Length to match)."""
    headers = [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    return Response(resp.status, headers, body)


# --- request parameters ------------------------------------------------------------------------


def wrong_type(key: str, expected: str = "") -> AwsError:
    """What the JSON protocols answer a parameter of the wrong type."""
    message = f"Unexpected value type for '{key}'"
    return AwsError("SerializationException", f"{message}: expected {expected}" if expected else message)


class Params:
    """Typed access to a JSON request body: a value of the wrong type is a SerializationException,
    a missing or empty one the service's own *Required exception where the caller names one."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def text(self, key: str, required: str | None = None, message: str = "") -> str | None:
        value = self.body.get(key)
        if value is None:
            if required:
                raise AwsError(required, message or f"A value for {key} is required, but was not specified.")
            return None
        if not isinstance(value, str):
            raise wrong_type(key, "a string")
        if value == "" and required:
            raise AwsError(required, message or f"A value for {key} is required, but was not specified.")
        return value

    def required_text(self, key: str, required: str, message: str = "") -> str:
        """A string that must be there and not empty (``required`` is the error otherwise)."""
        value = self.text(key, required, message)
        assert value is not None
        return value

    def blob(self, key: str, required: str | None = None) -> bytes | None:
        value = self.text(key, required, f"The {key} is required.")
        if value is None:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AwsError("SerializationException", f"'{key}' is not valid base64") from exc

    def items(self, key: str) -> list[Any]:
        value = self.body.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise wrong_type(key, "a list")
        return value

    def flag(self, key: str) -> bool:
        value = self.body.get(key, False)
        if not isinstance(value, bool):
            raise wrong_type(key, "a boolean")
        return value

    def integer(self, key: str) -> int | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(key, "an integer")
        return value


# --- tags --------------------------------------------------------------------------------------

# The limits every service the sandbox owns applies to a resource's tags; each answers a
# breach with its own exception.
MAX_TAGS = 50  # per resource
MAX_TAG_KEY = 128  # characters, at least 1
MAX_TAG_VALUE = 256  # characters, may be empty
SYSTEM_TAG_PREFIX = "aws:"  # reserved for AWS's own tags


def tag_fits(key: str, value: str = "") -> bool:
    """Are a tag's key and value within the length limits?"""
    return 1 <= len(key) <= MAX_TAG_KEY and len(value) <= MAX_TAG_VALUE


def is_system_tag(key: str) -> bool:
    return key.startswith(SYSTEM_TAG_PREFIX)
