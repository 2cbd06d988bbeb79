"""What the service modules share: the handler base, reading moto's state, and small helpers for
requests and answers.

Each service module holds only its own service's behaviour; a rule every service follows the same
way is written here once.
"""

from __future__ import annotations

import importlib
from typing import Any

from botocore.exceptions import ClientError

from ..wire import AwsError, AwsRequest, Response


class Handler:
    """A router handler for one service (see :class:`bluegreen.sandbox.router.ServiceHandler`)
    that owns nothing and amends nothing until a subclass says otherwise.

    ``handle`` answers a request, or returns None to pass it on (to the service's next handler,
    then to moto), and may raise :class:`AwsError`; it may also rewrite ``req.body`` for moto.
    ``after`` amends moto's answer to a request that was passed on."""

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
