"""Reading AWS requests and writing AWS-shaped answers.

One job: turn a WSGI environ into an :class:`AwsRequest` (service, region, operation, protocol)
and build responses and errors in the wire format of that protocol (JSON 1.1, query XML, EC2 XML,
REST XML/JSON). No knowledge of any particular service's semantics lives here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

# X-Amz-Target prefix -> signing name of the service (JSON 1.0/1.1 protocols).
TARGET_PREFIXES: dict[str, str] = {
    "CodeCommit_20150413": "codecommit",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "CodeDeploy_20141006": "codedeploy",
    "CodePipeline_20150709": "codepipeline",
    "AWSEvents": "events",
    "Logs_20140328": "logs",
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "secretsmanager": "secretsmanager",
    "TrentService": "kms",
    "AmazonSSM": "ssm",
    "DynamoDB_20120810": "dynamodb",
    "ResourceGroupsTaggingAPI_20170126": "tagging",
}

# Signing name -> protocol, for the services the seed procedure uses.  Anything else is taken from
# the request itself (target header: json; Action parameter: query; else rest).
PROTOCOLS: dict[str, str] = {
    "codecommit": "json",
    "ecr": "json",
    "ecs": "json",
    "codedeploy": "json",
    "codepipeline": "json",
    "events": "json",
    "logs": "json",
    "tagging": "json",
    "ec2": "ec2",
    "elasticloadbalancing": "query",
    "iam": "query",
    "sts": "query",
    "s3": "rest-xml",
}

_CRED_RE = re.compile(r"Credential=([^/,\s]*)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_HOST_RE = re.compile(r"^(?P<service>[a-z0-9-]+)\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass
class AwsRequest:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    service: str | None = None
    region: str | None = None
    operation: str | None = None
    protocol: str = "rest-xml"
    access_key: str | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def json_body(self) -> dict[str, Any]:
        """The parsed JSON body; raises :class:`AwsError` (SerializationException) if it is not
        a JSON object, as the JSON protocols answer a body they cannot deserialize."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise AwsError("SerializationException", f"Could not parse request body: {exc}") from None
        if not isinstance(value, dict):
            raise AwsError("SerializationException", "Start of list found where not expected")
        return value

    def form(self) -> dict[str, str]:
        """Query-protocol parameters (URL query and form body merged; body wins)."""
        params = {k: v[-1] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}
        if self.method == "POST" and self.body:
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            params.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
        return params


class AwsError(Exception):
    """An error answered in the wire format of the request's protocol."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        return status_line(self.status)


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    416: "Requested Range Not Satisfiable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def status_line(status: int) -> str:
    """``200 OK``: the status line of an answer, for every WSGI app of the sandbox."""
    return f"{status} {_REASONS.get(status, 'Status')}"


def classify(environ: dict[str, Any], body: bytes) -> AwsRequest:
    """Service from the SigV4 credential scope, else the target header, else the host name;
    operation from X-Amz-Target (JSON), Action (query) or method+path (REST)."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = str(environ["CONTENT_LENGTH"])
    req = AwsRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "/")) or "/",
        query_string=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
    )
    auth = headers.get("authorization", "")
    m = _CRED_RE.search(auth)
    if m:
        req.access_key, _, req.region, req.service = m.group(1), m.group(2), m.group(3), m.group(4)
    target = headers.get("x-amz-target", "")
    prefix, _, op = target.partition(".")
    if target:
        if req.service is None:
            req.service = TARGET_PREFIXES.get(prefix)
        req.protocol = "json"
        req.operation = op or None
    if req.service is None:
        hm = _HOST_RE.match(headers.get("host", ""))
        if hm:
            req.service, req.region = hm.group("service"), hm.group("region")
    if not target:
        proto = PROTOCOLS.get(req.service or "")
        if proto in ("query", "ec2") or (proto is None and _looks_like_query(req)):
            req.protocol = proto or "query"
            req.operation = req.form().get("Action") or None
        elif proto == "json":
            req.protocol = "json"
        else:
            req.protocol = proto or "rest-xml"
            req.operation = f"{req.method} {req.path}"
    return req


def _looks_like_query(req: AwsRequest) -> bool:
    return "Action=" in req.query_string or (
        req.method == "POST"
        and req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    )


# --- answers -----------------------------------------------------------------------------------


def json_response(req: AwsRequest, payload: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(
        status,
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("x-amzn-RequestId", req.request_id),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def error_response(req: AwsRequest, err: AwsError) -> Response:
    """The error in the format the request's protocol uses (botocore parses each; REST-JSON
    services read the code from ``x-amzn-ErrorType``)."""
    if req.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        headers = [
            ("Content-Type", JSON_CONTENT_TYPE if req.protocol == "json" else "application/json"),
            ("x-amzn-RequestId", req.request_id),
            ("x-amzn-ErrorType", err.code),
        ]
    elif req.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
            f"</Error></Errors><RequestID>{req.request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    elif req.protocol == "query":
        kind = "Sender" if err.sender else "Receiver"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>'
            f"<Type>{kind}</Type><Code>{escape(err.code)}</Code>"
            f"<Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{req.request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", req.request_id)]
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
            f"<RequestId>{req.request_id}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", req.request_id)]
    headers.append(("Content-Length", str(len(body))))
    return Response(err.status, headers, body)


def unknown_operation(req: AwsRequest) -> AwsError:
    """What AWS answers an operation the service does not have."""
    if req.protocol == "json":
        return AwsError("UnknownOperationException", "")
    if req.protocol in ("query", "ec2"):
        name = req.operation or ""
        return AwsError("InvalidAction", f"The action {name} is not valid for this web service.")
    return AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)


# --- throttling --------------------------------------------------------------------------------

# What each service answers when it throttles a caller, where it differs from its protocol's
# usual answer: (code, message, HTTP status).  All of these codes are in botocore's list of
# throttling errors, so its retry modes (legacy, standard, adaptive) back off and retry.
_THROTTLE_BY_SERVICE: dict[str, tuple[str, str, int]] = {
    "ec2": ("RequestLimitExceeded", "Request limit exceeded.", 503),
    "s3": ("SlowDown", "Please reduce your request rate.", 503),
    "tagging": ("ThrottledException", "Rate exceeded", 400),
    "sqs": ("RequestThrottled", "Rate exceeded", 400),
}
_THROTTLE_BY_PROTOCOL: dict[str, tuple[str, str, int]] = {
    "json": ("ThrottlingException", "Rate exceeded", 400),
    "query": ("Throttling", "Rate exceeded", 400),
    "ec2": ("RequestLimitExceeded", "Request limit exceeded.", 503),
    "rest-xml": ("SlowDown", "Please reduce your request rate.", 503),
    "rest-json": ("TooManyRequestsException", "Rate exceeded", 429),
}


def throttling_response(req: AwsRequest, protocol: str | None = None) -> Response:
    """The throttling error of the request's service, in its exact wire format.

    ``protocol`` overrides the request's (the router knows REST-JSON services from their model;
    :func:`classify` files every REST request as ``rest-xml``)."""
    proto = protocol or req.protocol
    code, message, status = _THROTTLE_BY_SERVICE.get(req.service or "") or _THROTTLE_BY_PROTOCOL.get(
        proto, _THROTTLE_BY_PROTOCOL["rest-xml"]
    )
    if proto == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", req.request_id),
            ("x-amzn-ErrorType", code),
            ("Content-Length", str(len(body))),
        ]
        return Response(status, headers, body)
    err = AwsError(code, message, status, sender=status < 500)
    if proto != req.protocol:
        req = AwsRequest(**{**req.__dict__, "protocol": proto})
    return error_response(req, err)
