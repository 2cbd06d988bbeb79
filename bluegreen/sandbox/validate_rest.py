"""Checking REST requests (S3's rest-xml, the rest-json services) before moto sees them.

The operation is found in botocore's model of the service from the method, the path (against
each operation's ``requestUri`` template) and the query's sub-resources (``?tagging``,
``?list-type=2``) and required query/header members; a request that matches no operation, or two
equally, is left to moto as before. Then, as AWS does before it acts:

S3 (errors in S3's own codes):

- ``CreateBucket``: the bucket name follows S3's naming rules (``InvalidBucketName``); a
  ``LocationConstraint`` that is no region S3 knows (``InvalidLocationConstraint``);
- an object key longer than 1024 bytes (``KeyTooLongError``);
- an operation whose input is an XML document (``PutBucketTagging``, ``PutPublicAccessBlock``,
  ``PutBucketVersioning``, ``PutBucketNotificationConfiguration``, ``DeleteObjects``, ...): no body
  where the document is required (``MissingRequestBodyError``); a body that is not well-formed
  XML, has a DTD, a root element not named as the model says, unknown or repeated elements,
  required elements missing, booleans/integers that do not parse or a value outside an enum
  (``MalformedXML``); a document over :data:`MAX_XML` (``MaxMessageLengthExceeded``);
- query-string and header members the model types integer or boolean that do not parse
  (``InvalidArgument``, e.g. ``?versions&max-keys=ten``);
- a method and path no operation has (e.g. ``POST /bucket?versioning``): ``MethodNotAllowed``, 405
  (CORS preflights and browser form uploads, which the model does not describe, pass).

A body sent with an S3 operation that takes none is dropped before moto sees the request.

rest-json services: a body that is not a JSON object where the operation takes one, or a member
of the wrong JSON type (``SerializationException``, in the rest-json error shape).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.parsers import expat

from . import validate
from .wire import AwsError, AwsRequest, unknown_operation

MAX_XML = 10 * 1024 * 1024  # the largest XML document read (S3's own limit is unverified)
MAX_KEY_BYTES = 1024  # S3: "The name for a key is a sequence of Unicode characters whose UTF-8
#                       encoding is at most 1,024 bytes long."
_MAX_DEPTH = 32  # S3's documents nest a handful of levels; deeper is not one of them

MALFORMED_XML = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_VHOST = re.compile(r"^(?P<bucket>[^:]+?)\.(?:s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com|localhost)(?::\d+)?$")


def check(req: AwsRequest, protocol: str) -> None:
    """Raise :class:`AwsError` if AWS would refuse this REST request before acting on it.
    ``protocol``: ``rest-xml`` or ``rest-json`` (from the service's model)."""
    if not req.service or protocol not in ("rest-xml", "rest-json"):
        return
    model = validate.service_model(req.service)
    if model is None:
        return
    path = _model_path(req)
    query = parse_qs(req.query_string, keep_blank_values=True)
    op, params = _match(req.service, req.method, path, query, req.headers)
    if op is _NO_OPERATION:
        if req.service == "s3" and not _outside_the_model(req, path):
            raise unknown_operation(req)  # S3: 405 MethodNotAllowed
        return
    if op is None:
        return
    if req.service == "s3":
        _check_s3(req, op, params)
    else:
        _check_rest_json(req, op)


# --- finding the operation ----------------------------------------------------------------------


def operation_names(req: AwsRequest, protocol: str) -> list[str]:
    """The model's names of the operations a REST request fits best (``["GetObject"]``; S3's
    ``GET /`` fits ``ListBuckets`` and ``ListDirectoryBuckets`` equally); empty when the request
    is not REST or fits none."""
    if not req.service or protocol not in ("rest-xml", "rest-json") or validate.service_model(req.service) is None:
        return []
    query = parse_qs(req.query_string, keep_blank_values=True)
    return [str(t.op.name) for t, _ in _best(req.service, req.method, _model_path(req), query, req.headers)]


def _model_path(req: AwsRequest) -> str:
    """The request's path as the model's ``requestUri`` templates see it (S3: path style)."""
    path = req.path
    if req.service == "s3":
        m = _VHOST.match(req.headers.get("host", ""))
        if m:  # virtual-hosted style: the bucket is in the host name
            path = "/" + m.group("bucket") + ("" if path == "/" else path)
        if path.count("/") == 1 or (path.count("/") == 2 and path.endswith("/")):
            path = path.rstrip("/") or "/"  # "/bucket/" is the bucket, not an empty key
    return path


@dataclass
class _Template:
    op: Any
    segments: list[str]  # literal, "{Name}" or "{Name+}"
    literals: dict[str, str | None]  # query keys the requestUri names (value None: any)
    required: list[tuple[str, str]] = field(default_factory=list)  # (location, wire name)


@functools.lru_cache(maxsize=32)
def _templates(service: str) -> dict[str, list[_Template]]:
    """The operations of a service by HTTP method, with their parsed ``requestUri``."""
    model = validate.service_model(service)
    out: dict[str, list[_Template]] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http.get("requestUri", "/")
        path, _, qs = uri.partition("?")
        literals: dict[str, str | None] = {}
        for part in filter(None, qs.split("&")):
            key, eq, value = part.partition("=")
            literals[key] = value if eq else None
        required: list[tuple[str, str]] = []
        shape = op.input_shape
        if shape is not None:
            for member in shape.required_members:
                ser = shape.members[member].serialization
                if ser.get("location") in ("querystring", "header"):
                    required.append((ser["location"], ser.get("name", member)))
        segments = [s for s in path.split("/") if s]
        out.setdefault(op.http.get("method", "GET"), []).append(_Template(op, segments, literals, required))
    return out


def _match(
    service: str, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
) -> tuple[Any, dict[str, str]]:
    """The operation the request is for and its path parameters; :data:`_NO_OPERATION` when none
    fits, None when several fit equally."""
    winners = _best(service, method, path, query, headers)
    if not winners:
        return _NO_OPERATION, {}
    if len(winners) != 1:
        return None, {}
    return winners[0][0].op, winners[0][1]


def _best(
    service: str, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
) -> list[tuple[_Template, dict[str, str]]]:
    """The templates that fit the request best (deprecated ones dropped from a tie), with their
    path parameters."""
    parts = path.split("/")[1:] if path != "/" else []
    best: list[tuple[int, _Template, dict[str, str]]] = []
    for t in _templates(service).get(method, []):
        params = _fit(t.segments, parts)
        if params is None:
            continue
        if any(k not in query or (v is not None and v not in query[k]) for k, v in t.literals.items()):
            continue
        if not all(
            (name in query) if where == "querystring" else (name.lower() in headers) for where, name in t.required
        ):
            continue
        best.append((len(t.literals) + len(t.required), t, params))
    if not best:
        return []
    top = max(score for score, _, _ in best)
    winners = [(t, p) for score, t, p in best if score == top]
    if len(winners) > 1:
        winners = [(t, p) for t, p in winners if not t.op.deprecated]
    return winners


_NO_OPERATION = object()


def _outside_the_model(req: AwsRequest, path: str) -> bool:
    """S3 requests that botocore's model does not describe but S3 serves: CORS preflight and
    browser form uploads (``POST /bucket``, multipart/form-data)."""
    if req.method == "OPTIONS":
        return True
    form = req.headers.get("content-type", "").startswith("multipart/form-data")
    return req.method == "POST" and form and path.count("/") == 1


def _fit(segments: list[str], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, seg in enumerate(segments):
        if seg.startswith("{") and seg.endswith("+}"):
            rest = "/".join(parts[i:])
            if not rest:
                return None
            params[seg[1:-2]] = rest
            return params
        if i >= len(parts) or not parts[i]:
            return None
        if seg.startswith("{") and seg.endswith("}"):
            params[seg[1:-1]] = parts[i]
        elif seg != parts[i]:
            return None
    return params if len(parts) == len(segments) else None


# --- S3 -----------------------------------------------------------------------------------------


def _check_s3(req: AwsRequest, op: Any, params: dict[str, str]) -> None:
    shape = op.input_shape
    if op.name == "CreateBucket" and not valid_bucket_name(params.get("Bucket", "")):
        raise AwsError("InvalidBucketName", "The specified bucket is not valid.")
    key = params.get("Key")
    if key is not None and len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise AwsError("KeyTooLongError", "Your key is too long")
    if shape is None:
        return
    _check_scalars(req, shape)
    payload = shape.serialization.get("payload")
    if payload is not None:
        document, root_name = shape.members[payload], shape.members[payload].serialization.get("name", payload)
        if document.type_name != "structure":
            return  # an object's bytes, a policy's text
        required = payload in shape.required_members
    elif any(not m.serialization.get("location") for m in shape.members.values()):
        # the input's own members are the document (SelectObjectContent)
        document, root_name, required = shape, shape.serialization.get("name", op.name), True
    else:
        # The operation reads no body (CreateMultipartUpload, GetObject, ...): whatever was sent is
        # not part of the request (moto refuses some of these when a body comes along).
        req.body = b""
        return
    body = req.body
    if not body.strip():
        if required:
            raise AwsError("MissingRequestBodyError", "Request Body is empty")
        return
    if len(body) > MAX_XML:
        raise AwsError("MaxMessageLengthExceeded", "Your request was too big.")
    root = parse_xml(body)
    if root.name != root_name:
        raise AwsError("MalformedXML", MALFORMED_XML)
    if op.name == "CreateBucket":
        _check_location(root, document)
    if not _fits(root, document):
        raise AwsError("MalformedXML", MALFORMED_XML)
    if op.name == "CreateBucket" and not root.children:
        req.body = b""  # an empty configuration is no configuration (moto fails on it)


def valid_bucket_name(name: str) -> bool:
    """S3's naming rules for a new general purpose bucket."""
    if not _BUCKET_CHARS.match(name) or ".." in name:
        return False
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def _check_location(root: _Node, shape: Any) -> None:
    enum = shape.members["LocationConstraint"].enum if "LocationConstraint" in shape.members else []
    for child in root.children:
        if child.name == "LocationConstraint" and enum and child.value not in enum:
            raise AwsError("InvalidLocationConstraint", "The specified location-constraint is not valid")


def _check_scalars(req: AwsRequest, shape: Any) -> None:
    """Query-string and header members that must parse as integers or booleans."""
    query = parse_qs(req.query_string, keep_blank_values=True)
    for name, member in shape.members.items():
        ser = member.serialization
        where = ser.get("location")
        if where not in ("querystring", "header") or member.type_name not in ("integer", "long", "boolean"):
            continue
        wire = ser.get("name", name)
        if where == "querystring":
            found = query.get(wire)
            value = found[-1] if found else None
        else:
            value = req.headers.get(wire.lower())
        if value is None:
            continue
        if member.type_name == "boolean":
            if value.strip().lower() not in ("true", "false"):
                raise AwsError("InvalidArgument", f"Invalid value for {wire}: {value[:64]!r} is not a boolean")
        elif not re.fullmatch(r"-?\d{1,19}", value.strip()):
            raise AwsError("InvalidArgument", f"Provided {wire} not an integer or within integer range")


@dataclass
class _Node:
    name: str
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        return "".join(self.text).strip()


def parse_xml(body: bytes) -> _Node:
    """The document's element tree (local names, no namespaces); MalformedXML for anything that
    is not well-formed, has a DTD or entities, or nests deeper than S3's documents do."""
    top = _Node("")
    stack = [top]

    def start(name: str, attrs: Any) -> None:
        if len(stack) > _MAX_DEPTH:
            raise _Malformed
        node = _Node(name.rpartition(" ")[2])
        stack[-1].children.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        stack[-1].text.append(data)

    def refuse(*args: Any) -> None:
        raise _Malformed

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, _Malformed, ValueError):
        raise AwsError("MalformedXML", MALFORMED_XML) from None
    if len(top.children) != 1 or top.value:
        raise AwsError("MalformedXML", MALFORMED_XML)
    return top.children[0]


class _Malformed(Exception):
    pass


def _fits(node: _Node, shape: Any) -> bool:
    """Does the element read into the shape (as botocore's rest-xml serializer writes it)?"""
    kind = shape.type_name
    if kind == "structure":
        if node.value:
            return False
        wires: dict[str, tuple[str, Any, bool]] = {}  # element name -> (member, shape, flattened list)
        for name, member in shape.members.items():
            ser = member.serialization
            if ser.get("location") or ser.get("xmlAttribute"):
                continue
            flat = member.type_name == "list" and bool(ser.get("flattened"))
            wires[ser.get("name", name)] = (name, member, flat)
        seen: set[str] = set()
        for child in node.children:
            entry = wires.get(child.name)
            if entry is None:
                return False
            name, member, flat = entry
            if flat:
                if not _fits(child, member.member):
                    return False
            else:
                if name in seen or not _fits(child, member):
                    return False
            seen.add(name)
        elements = {entry[0] for entry in wires.values()}
        return all(name in seen for name in shape.required_members if name in elements)
    if kind == "list":
        if node.value:
            return False
        item = shape.member.serialization.get("name", "member")
        return all(child.name == item and _fits(child, shape.member) for child in node.children)
    if kind == "map":  # no S3 document the tool sends has one; accept what botocore would write
        return not node.value
    if node.children:
        return False
    value = node.value
    if kind == "boolean":
        return value in ("true", "false", "1", "0")
    if kind in ("integer", "long"):
        return re.fullmatch(r"-?\d{1,19}", value) is not None
    if kind in ("float", "double"):
        try:
            float(value)
        except ValueError:
            return False
        return True
    if kind == "string":
        enum = shape.enum
        return not enum or value in enum
    return True  # timestamps and blobs: their text is read as it comes


# --- rest-json ----------------------------------------------------------------------------------


def _check_rest_json(req: AwsRequest, op: Any) -> None:
    shape = op.input_shape
    if shape is None:
        return
    payload = shape.serialization.get("payload")
    if payload:
        target = shape.members[payload]
        if target.type_name != "structure":
            return  # a blob or string payload: any bytes
    else:
        body_members = [n for n, m in shape.members.items() if not m.serialization.get("location")]
        if not body_members:
            return
        target = shape
    if not req.body.strip():
        return
    body = validate.parse_json(req.body)
    errors = validate.type_errors(body, target)
    if errors:
        raise AwsError("SerializationException", errors[0])
