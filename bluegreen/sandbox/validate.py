"""Checking an API request against its operation's input shape, as AWS does before it acts.

The router calls :func:`check` on every AWS API call before any handler or moto sees it. The
wire request is read back into parameters (the JSON body for the JSON protocols, the form
parameters for the query protocol) and checked against botocore's model of the operation:
required members, value types, string lengths, enums and number ranges. A request AWS would
refuse is answered with the protocol's error (``SerializationException`` for a body or a value
the JSON protocols cannot read, ``ValidationException`` / ``ValidationError`` for a value that
breaks a constraint), the message in AWS's ``N validation error(s) detected: ...`` form.

EC2 (``ec2`` protocol): only top-level required parameters (``MissingParameter``) and scalars
that do not parse (``InvalidParameterValue``). REST requests (S3, REST-JSON) are checked by
:mod:`bluegreen.sandbox.validate_rest`. Not checked: string patterns.
No knowledge of any particular service lives here: everything comes from botocore's model.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from .wire import AwsError, AwsRequest, unknown_operation

# Signing name -> botocore service name, where they differ.
BOTOCORE_NAMES = {
    "elasticloadbalancing": "elbv2",
    "monitoring": "cloudwatch",
    "email": "ses",
    "tagging": "resourcegroupstaggingapi",
}

MAX_ERRORS = 10  # constraint violations listed in one message (AWS lists a few, not all)


@functools.lru_cache(maxsize=64)
def service_model(service: str) -> Any:
    """botocore's model of a service (by signing name), or None if botocore has none."""
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model(BOTOCORE_NAMES.get(service, service))
    except Exception:  # unknown service
        return None


def check(req: AwsRequest, owned: bool = False) -> None:
    """Raise :class:`AwsError` if AWS would refuse the request before acting on it.

    ``owned``: a handler of the sandbox answers the operation itself and applies the service's
    own checks (AWS answers those with service-specific exceptions, e.g. CodeCommit's
    ``RepositoryNameRequiredException``), so only the body and the value types are checked here."""
    if req.protocol not in ("json", "query", "ec2") or not req.service:
        return
    model = service_model(req.service)
    if model is None:
        return
    if req.protocol == "json":
        body = parse_json(req.body)
    if not req.operation:
        if req.protocol == "json":
            raise unknown_operation(req)
        raise AwsError("MissingAction", "The request must contain the parameter Action.")
    if req.operation not in model.operation_names:
        raise unknown_operation(req)
    shape = model.operation_model(req.operation).input_shape
    if shape is None:
        return
    if req.protocol == "ec2":
        return _check_ec2(req, shape, owned)
    if req.protocol == "json":
        errors = _Checker(json_types=True).run(body, shape)
        typed = [e for e in errors if e[0] == "type"]
        if typed:
            raise AwsError("SerializationException", typed[0][1])
        if owned:
            return
        code = "ValidationException"
    else:
        try:
            params = query_params(req.form(), shape)
        except _BadValue as exc:
            raise AwsError("ValidationError", _message([str(exc)])) from None
        if owned:
            return
        errors = _Checker(json_types=False).run(params, shape)
        code = "ValidationError"
    if errors:
        raise AwsError(code, _message([e[1] for e in errors]))


def _check_ec2(req: AwsRequest, shape: Any, owned: bool) -> None:
    """EC2: the top-level required parameters (``MissingParameter``) and scalar values that do not
    parse (``InvalidParameterValue``); no length/enum/range checks (EC2 does not apply its
    model's)."""
    try:
        params = query_params(req.form(), shape, ec2=True)
    except _BadValue as exc:
        raise AwsError("InvalidParameterValue", str(exc)) from None
    if owned:
        return
    for name in shape.required_members:
        if params.get(name) is None:
            wire = _ec2_name(shape.members[name], name)
            raise AwsError("MissingParameter", f"The request must contain the parameter {wire}")


def parse_json(raw: bytes) -> dict[str, Any]:
    """The JSON body as an object; SerializationException for anything else (also for JSON
    nested too deeply to read)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise AwsError("SerializationException", f"Could not parse request body: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise AwsError("SerializationException", "Start of structure or map found where not expected.")
    return value


def type_errors(value: Any, shape: Any) -> list[str]:
    """Members of the wrong JSON type, at any depth (what the JSON protocols answer with
    ``SerializationException``); for other checkers of JSON bodies (rest-json)."""
    return [message for kind, message in _Checker(json_types=True).run(value, shape) if kind == "type"]


def constraint_message(value: Any, shape: Any) -> str | None:
    """The ``N validation error(s) detected: ...`` message for the constraints JSON parameters
    break (required members, lengths, enums, ranges), or None: for handlers that answer an
    operation themselves and use their service's own exception for it."""
    broken = [message for kind, message in _Checker(json_types=True).run(value, shape) if kind == "constraint"]
    return _message(broken) if broken else None


def _message(violations: list[str]) -> str:
    n = len(violations)
    shown = violations[:MAX_ERRORS]
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(shown)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return f"'{text[:64]}{'...' if len(text) > 64 else ''}'"


class _Checker:
    """Walks parameters along a shape, collecting (kind, message): kind "type" for a value of
    the wrong type, "constraint" for a broken constraint."""

    def __init__(self, json_types: bool) -> None:
        self.json_types = json_types
        self.errors: list[tuple[str, str]] = []

    def run(self, params: Any, shape: Any) -> list[tuple[str, str]]:
        self._walk(params, shape, "")
        return self.errors

    def _type(self, path: str, expected: str) -> None:
        self.errors.append(("type", f"Unexpected value type for '{path or 'input'}': expected {expected}"))

    def _fail(self, path: str, value: Any, constraint: str) -> None:
        self.errors.append(
            ("constraint", f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}")
        )

    def _walk(self, value: Any, shape: Any, path: str) -> None:
        if len(self.errors) > 100:
            return
        kind = shape.type_name
        if kind == "structure":
            if getattr(shape, "is_document_type", False):
                return
            if not isinstance(value, dict):
                return self._type(path, "a structure")
            for name in shape.required_members:
                if value.get(name) is None:
                    self._fail(_join(path, name), None, "Member must not be null")
            for name, member in shape.members.items():
                if value.get(name) is not None:
                    self._walk(value[name], member, _join(path, name))
        elif kind == "list":
            if not isinstance(value, list):
                return self._type(path, "a list")
            self._size(value, shape, path, "length")
            for i, item in enumerate(value, 1):
                if item is not None:
                    self._walk(item, shape.member, f"{path}.{i}.member")
        elif kind == "map":
            if not isinstance(value, dict):
                return self._type(path, "a map")
            self._size(value, shape, path, "length")
            for k, v in value.items():
                self._walk(k, shape.key, f"{path}.{k}.key")
                if v is not None:
                    self._walk(v, shape.value, f"{path}.{k}.value")
        elif kind == "string":
            if not isinstance(value, str):
                return self._type(path, "a string")
            self._size(value, shape, path, "length")
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                self._fail(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                return self._type(path, "an integer")
            self._range(value, shape, path)
        elif kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return self._type(path, "a number")
            self._range(value, shape, path)
        elif kind == "boolean":
            if not isinstance(value, bool):
                return self._type(path, "a boolean")
        elif kind == "blob":
            if not isinstance(value, (str, bytes)):
                return self._type(path, "a base64 string")
        elif kind == "timestamp":
            ok = isinstance(value, str) or (
                not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            )
            if not ok:
                return self._type(path, "a timestamp")
        return None

    def _size(self, value: Any, shape: Any, path: str, what: str) -> None:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        n = len(value)
        if lo is not None and n < lo:
            self._fail(path, value, f"Member must have {what} greater than or equal to {lo}")
        elif hi is not None and n > hi:
            self._fail(path, value, f"Member must have {what} less than or equal to {hi}")

    def _range(self, value: float, shape: Any, path: str) -> None:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and value < lo:
            self._fail(path, value, f"Member must have value greater than or equal to {lo}")
        elif hi is not None and value > hi:
            self._fail(path, value, f"Member must have value less than or equal to {hi}")


def _dotted(key: str) -> str:
    return ".".join(_camel(part) for part in key.split("."))


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)


# --- the query protocol: form parameters back into parameters ------------------------------------


class _BadValue(ValueError):
    pass


def _not_a(raw: str, key: str, what: str) -> str:
    return f"Value '{raw[:64]}' at '{_dotted(key)}' failed to satisfy constraint: Member must be {what}"


def query_params(form: dict[str, str], shape: Any, ec2: bool = False) -> dict[str, Any]:
    """The form parameters of a query-protocol request (``Tags.member.1.Key=...``) as the
    parameters botocore would have serialized them from; scalars typed per the shape.
    ``ec2``: the EC2 protocol's names (``queryName``, capitalized ``locationName``) and lists
    (always ``Name.N``)."""
    keys = [k for k in form if k not in ("Action", "Version")]
    value = _read(form, keys, shape, "", ec2)
    return value if isinstance(value, dict) else {}


def _present(keys: list[str], prefix: str) -> bool:
    dotted = prefix + "."
    return any(k == prefix or k.startswith(dotted) for k in keys)


def _ec2_name(shape: Any, name: str) -> str:
    if "queryName" in shape.serialization:
        return str(shape.serialization["queryName"])
    if "name" in shape.serialization:
        loc = str(shape.serialization["name"])
        return loc[:1].upper() + loc[1:]
    return name


def _read(form: dict[str, str], keys: list[str], shape: Any, prefix: str, ec2: bool = False) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = _ec2_name(member, name) if ec2 else member.serialization.get("name", name)
            full = f"{prefix}.{key}" if prefix else key
            if _present(keys, full):
                out[name] = _read(form, keys, member, full, ec2)
        return out
    if kind == "list":
        if form.get(prefix) == "" and not _present([k for k in keys if k != prefix], prefix):
            return []
        item_name = shape.member.serialization.get("name", "member")
        base = prefix if ec2 or shape.serialization.get("flattened") else f"{prefix}.{item_name}"
        items = []
        i = 1
        while _present(keys, f"{base}.{i}") and i <= 10000:
            items.append(_read(form, keys, shape.member, f"{base}.{i}", ec2))
            i += 1
        return items
    if kind == "map":
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        entries: dict[Any, Any] = {}
        i = 1
        while _present(keys, f"{base}.{i}") and i <= 10000:
            k = form.get(f"{base}.{i}.{kname}")
            entries[k] = _read(form, keys, shape.value, f"{base}.{i}.{vname}", ec2)
            i += 1
        return entries
    raw = form.get(prefix)
    if raw is None:
        return None
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise _BadValue(_not_a(raw, prefix, "a number")) from None
    if kind in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            raise _BadValue(_not_a(raw, prefix, "a number")) from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise _BadValue(_not_a(raw, prefix, "a boolean"))
        return raw.lower() == "true"
    return raw
