"""The front router: one WSGI app on the sandbox port.

Each request is classified (service, operation, protocol). Registry traffic (``/v2/`` without a
SigV4 signature) goes to the OCI registry; a request for a service the sandbox owns goes to its
handlers; the rest is forwarded to moto, and handlers may check a request before it is forwarded
(``before``) or amend moto's answer (``after``). Whatever happens, the client gets an AWS-shaped
answer, never a stack trace or an HTML error page.

Two things happen to every AWS API call before it is served: a fraction ``throttle_rate`` of them
(of the read calls only with ``throttle_reads_only``: see :func:`is_read`) is answered with the
service's throttling error (tests of retry logic), and the first call for a region calls
``on_region(region)`` (the sandbox seeds that region's network then).
``GET /_bluegreen/health`` answers ``{"sandbox": "bluegreen", ...}`` so a client can tell a
bluegreen sandbox from anything else listening on the port.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from . import validate, validate_rest
from .forward import InProcessMoto, MotoForwarder
from .wire import (
    AwsError,
    AwsRequest,
    Response,
    classify,
    error_response,
    throttling_response,
    unknown_operation,
)

log = logging.getLogger("bluegreen.sandbox.router")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ServiceHandler(Protocol):
    """Owned behaviour for one service (signing name); the services derive theirs from
    :class:`bluegreen.sandbox.services.common.Handler`."""

    def handle(self, req: AwsRequest) -> Response | None:
        """An answer, or None to forward the request to moto.  May raise AwsError."""

    def after(self, req: AwsRequest, resp: Response) -> Response:
        """Amend moto's answer to a forwarded request."""


# Signing name -> botocore service name, where they differ.
_BOTOCORE_NAMES = {
    "elasticloadbalancing": "elbv2",
    "monitoring": "cloudwatch",
    "email": "ses",
    "tagging": "resourcegroupstaggingapi",
}

HEALTH_PATH = "/_bluegreen/health"

# The largest body of an API call the sandbox reads (S3 objects and registry blobs excepted).
MAX_BODY = 10 * 1024 * 1024
# The HTTP methods AWS's endpoints answer; anything else is a 405 in the AWS error shape.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


# S3's message for its RequestTimeout (400), used for every protocol.
REQUEST_TIMEOUT_MESSAGE = (
    "Your socket connection to the server was not read from or written to within the timeout "
    "period. Idle connections will be closed."
)


class BodyTooLarge(Exception):
    pass


# Operation names of calls that only read. Head* (S3's HeadObject, HeadBucket) reads too, though
# its name says so less plainly.
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Head")


def is_read(operation: str | None) -> bool:
    """Is this the name of an operation that only reads (``DescribeServices``, ``GetObject``,
    ``ListTasks``, ``BatchGetDeployments``, ``HeadObject``)? A name must continue with a capital
    after the prefix (``Listen...`` would not count)."""
    if not operation:
        return False
    for prefix in READ_PREFIXES:
        rest = operation[len(prefix):]
        if operation.startswith(prefix) and rest[:1].isupper():
            return True
    return False


@functools.lru_cache(maxsize=64)
def operation_names(service: str) -> frozenset[str]:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(_BOTOCORE_NAMES.get(service, service))
    except Exception:  # unknown service
        return frozenset()
    return frozenset(model.operation_names)


@functools.lru_cache(maxsize=64)
def _model_protocol(service: str) -> str | None:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(_BOTOCORE_NAMES.get(service, service))
    except Exception:
        return None
    return str(model.metadata.get("protocol") or "") or None


def read_body(environ: dict[str, Any], limit: int | None = None) -> bytes:
    """The request's body; :class:`BodyTooLarge` if it is longer than ``limit`` bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is not None and length > limit:
        raise BodyTooLarge
    if environ.get("wsgi.input_terminated"):
        data = bytes(stream.read() if limit is None else stream.read(limit + 1))
        if limit is not None and len(data) > limit:
            raise BodyTooLarge
        return data
    return bytes(stream.read(length)) if length > 0 else b""


def _body_limit(environ: dict[str, Any]) -> int | None:
    """The body limit of the request: none for S3 (objects), else :data:`MAX_BODY`."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    query = str(environ.get("QUERY_STRING", ""))
    if "/s3/aws4_request" in auth or "%2Fs3%2Faws4_request" in query or "/s3/aws4_request" in query:
        return None
    return MAX_BODY


class Router:
    def __init__(
        self,
        forwarder: MotoForwarder | InProcessMoto,
        latency_ms: float = 0,
        registry: WsgiApp | None = None,
        throttle_rate: float = 0.0,
        throttle_seed: int | None = None,
        throttle_reads_only: bool = False,
    ) -> None:
        self.forwarder = forwarder
        self.latency = max(0.0, latency_ms) / 1000.0
        self.registry = registry
        self.handlers: dict[str, list[ServiceHandler]] = {}
        self.throttle_rate = throttle_rate
        # True: only read calls (is_read) are throttled; changeable at run time like the rate
        self.throttle_reads_only = throttle_reads_only
        self.throttled = 0  # calls answered with a throttling error so far
        self._rng = random.Random(throttle_seed)
        self._rng_lock = threading.Lock()
        self.on_region: Callable[[str], object] | None = None
        self.info: dict[str, Any] = {}  # extra fields of the health answer

    @property
    def throttle_rate(self) -> float:
        """The fraction of AWS API calls answered with a throttling error (0: none, 1: all)."""
        return self._throttle_rate

    @throttle_rate.setter
    def throttle_rate(self, rate: float) -> None:
        rate = float(rate)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"throttle_rate must be between 0 and 1, not {rate}")
        self._throttle_rate = rate

    def _throttle(self, req: AwsRequest) -> bool:
        rate = self._throttle_rate
        if rate <= 0.0:
            return False
        if self.throttle_reads_only and not _is_read_call(req):
            return False  # a write is never throttled, and draws no number (seeded runs repeat)
        with self._rng_lock:
            hit = rate >= 1.0 or self._rng.random() < rate
            if hit:
                self.throttled += 1
        return hit

    def add(self, service: str, handler: ServiceHandler) -> None:
        self.handlers.setdefault(service, []).append(handler)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        auth = str(environ.get("HTTP_AUTHORIZATION", ""))
        if (
            self.registry is not None
            and (path == "/v2" or path.startswith("/v2/"))
            and not auth.startswith("AWS4-")
        ):
            return self.registry(environ, start_response)
        if path == HEALTH_PATH and not auth:
            return self._health(environ, start_response)
        started = time.monotonic()
        req: AwsRequest | None = None
        try:
            try:
                body = read_body(environ, _body_limit(environ))
            except BodyTooLarge:
                req = classify(environ, b"")
                raise AwsError(
                    "RequestEntityTooLarge",
                    f"Request body exceeds the maximum of {MAX_BODY} bytes.",
                    413,
                ) from None
            except TimeoutError:  # the body stalled (the connection's read timeout): it closes
                req = classify(environ, b"")
                raise AwsError("RequestTimeout", REQUEST_TIMEOUT_MESSAGE) from None
            except OSError:  # the client ended the body early (or sent broken chunks)
                req = classify(environ, b"")
                raise AwsError(
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                ) from None
            req = classify(environ, body)
            req.protocol = _protocol(req)  # REST-JSON services are told from their model
            if req.method not in HTTP_METHODS:
                raise AwsError(
                    "MethodNotAllowed", f"The HTTP method {req.method[:32]} is not allowed.", 405
                )
            if req.service and self._throttle(req):
                resp = throttling_response(req, _protocol(req))
            else:
                validate.check(req, owned=self._owned(req))
                validate_rest.check(req, req.protocol)
                if req.region and self.on_region is not None:
                    self.on_region(req.region)
                resp = self.dispatch(req)
        except AwsError as err:
            resp = error_response(req or _blank(environ), err)
        except Exception as exc:  # never a stack trace to the client
            log.exception("sandbox router failed on %s", req and (req.service, req.operation))
            resp = error_response(
                req or _blank(environ), AwsError("InternalFailure", f"sandbox error: {exc}", 500, False)
            )
        if self.latency:
            remaining = self.latency - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
        start_response(resp.status_line, resp.headers)
        return [resp.body]

    def _health(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        from . import __version__

        read_body(environ)  # whatever was sent, so the connection can carry on
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        payload = {"sandbox": "bluegreen", "version": __version__, **self.info}
        payload["throttle_rate"] = self._throttle_rate
        payload["throttle_reads_only"] = self.throttle_reads_only
        body = json.dumps(payload).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [b"" if method == "HEAD" else body]

    def _owned(self, req: AwsRequest) -> bool:
        """Does a handler answer the request's operation itself (with its service's checks)?"""
        return any(
            req.operation in getattr(h, "operations", ()) for h in self.handlers.get(req.service or "", [])
        )

    def dispatch(self, req: AwsRequest) -> Response:
        handlers = self.handlers.get(req.service or "", [])
        try:
            for h in handlers:
                answer = h.handle(req)
                if answer is not None:
                    return answer
        except AwsError as err:
            return error_response(req, err)
        try:
            resp = self.forwarder.forward(req)
        except Exception as exc:  # moto raised (in-process) instead of answering
            log.debug("moto failed on %s:%s: %r", req.service, req.operation, exc)
            return error_response(req, self._moto_failure(req, exc))
        for h in handlers:
            resp = h.after(req, resp)
        if resp.status >= 500 and _is_html(resp):
            return error_response(req, self._moto_failure(req))
        return resp

    def _moto_failure(self, req: AwsRequest, exc: Exception | None = None) -> AwsError:
        names = operation_names(req.service or "")
        if req.protocol not in ("rest-xml", "rest-json") and names and req.operation not in names:
            return unknown_operation(req)
        if isinstance(exc, NotImplementedError) or exc is None:
            return AwsError(
                "NotImplemented",
                f"The bluegreen sandbox does not implement {req.service}:{req.operation} "
                "(moto failed to serve it).",
                501,
                sender=False,
            )
        # moto choked on the input: what AWS answers a request it cannot use.
        code = "SerializationException" if req.protocol in ("json", "rest-json") else "InvalidParameterValue"
        return AwsError(code, f"The request could not be processed: {exc}")


def _protocol(req: AwsRequest) -> str:
    """The request's wire protocol, telling REST-JSON services from REST-XML ones."""
    if (
        req.protocol == "rest-xml"
        and req.service not in (None, "s3")
        and _model_protocol(req.service or "") == "rest-json"
    ):
        return "rest-json"
    return req.protocol


def _is_read_call(req: AwsRequest) -> bool:
    """JSON and query calls name their operation; a REST call's is found from its method and path
    (a read when every operation it fits best is one: S3's ``GET /`` is ``ListBuckets`` or
    ``ListDirectoryBuckets``)."""
    if req.protocol in ("rest-xml", "rest-json"):
        names = validate_rest.operation_names(req, req.protocol)
        return bool(names) and all(is_read(n) for n in names)
    return is_read(req.operation)


def _is_html(resp: Response) -> bool:
    ctype = next((v for k, v in resp.headers if k.lower() == "content-type"), "")
    return "html" in ctype or resp.body.lstrip()[:15].lower().startswith(b"<!doctype html")


def _blank(environ: dict[str, Any]) -> AwsRequest:
    return AwsRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("PATH_INFO", "/")),
        query_string="",
        headers={},
        body=b"",
        protocol="json" if environ.get("HTTP_X_AMZ_TARGET") else "query",
    )
