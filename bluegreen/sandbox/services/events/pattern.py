"""EventBridge event patterns: does an event match a pattern?

The pattern language as documented for EventBridge: every field of the pattern must match; a
leaf is an array of matchers, any of which may match (OR), and when the event's field is an array
any of its elements may match. Matchers: literal values (typed: "5" is not 5), ``prefix``,
``suffix``, ``equals-ignore-case``, ``wildcard``, ``anything-but`` (a value, a list, or a prefix /
suffix / equals-ignore-case / wildcard), ``exists``, ``numeric``, ``cidr``; and ``$or`` at any level.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache
from typing import Any

_MISSING = object()


class InvalidEventPattern(ValueError):
    pass


def parse(pattern: str | dict[str, Any]) -> dict[str, Any]:
    value = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(value, dict):
        raise InvalidEventPattern("Event pattern is not a JSON object")
    return value


def matches(pattern: str | dict[str, Any], event: dict[str, Any]) -> bool:
    return _match_object(parse(pattern), event)


def _match_object(pattern: dict[str, Any], event: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not isinstance(sub, list) or not sub:
                raise InvalidEventPattern("$or needs a non-empty array of patterns")
            if not any(_match_object(p, event) for p in sub):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(sub, dict):
            if value is _MISSING or value is None:
                if not _match_object(sub, {}):
                    return False
            elif isinstance(value, list):
                if not any(_match_object(sub, v) for v in value if isinstance(v, dict)):
                    return False
            elif isinstance(value, dict):
                if not _match_object(sub, value):
                    return False
            else:
                return False
        elif isinstance(sub, list):
            if not _match_leaf(sub, value):
                return False
        else:
            raise InvalidEventPattern(f"Match value for '{key}' must be an array or an object")
    return True


def _match_leaf(matchers: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return any(isinstance(m, dict) and m.get("exists") is False for m in matchers)
    values = value if isinstance(value, list) else [value]
    for m in matchers:
        if isinstance(m, dict):
            if "exists" in m:
                if m["exists"] is True:
                    return True
                continue
            if any(_match_op(m, v) for v in values):
                return True
        elif any(_equal(m, v) for v in values):
            return True
    return False


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equal(expected: Any, actual: Any) -> bool:
    if _is_number(expected) and _is_number(actual):
        return float(expected) == float(actual)
    if type(expected) is not type(actual):
        return False
    return bool(expected == actual)


@lru_cache(maxsize=256)
def _wildcard_re(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(?<!\\)\*", pattern)
    return re.compile(
        "".join(re.escape(p.replace("\\*", "*")) for p in parts[:1])
        + "".join(".*" + re.escape(p.replace("\\*", "*")) for p in parts[1:])
        + r"\Z",
        re.DOTALL,
    )


def _match_string_op(kind: str, arg: Any, v: Any) -> bool:
    if not isinstance(v, str):
        return False
    if kind == "prefix":
        if isinstance(arg, dict) and "equals-ignore-case" in arg:
            return v.lower().startswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(arg, str) and v.startswith(arg)
    if kind == "suffix":
        if isinstance(arg, dict) and "equals-ignore-case" in arg:
            return v.lower().endswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(arg, str) and v.endswith(arg)
    if kind == "equals-ignore-case":
        return isinstance(arg, str) and v.lower() == arg.lower()
    if kind == "wildcard":
        return isinstance(arg, str) and bool(_wildcard_re(arg).match(v))
    raise InvalidEventPattern(f"Unsupported matcher '{kind}'")


def _match_op(m: dict[str, Any], v: Any) -> bool:
    if len(m) != 1:
        raise InvalidEventPattern(f"A matcher object must have exactly one key: {m}")
    kind, arg = next(iter(m.items()))
    if kind in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
        return _match_string_op(kind, arg, v)
    if kind == "anything-but":
        if isinstance(arg, dict):
            ((sub_kind, sub_arg),) = arg.items()
            args = sub_arg if isinstance(sub_arg, list) else [sub_arg]
            if not isinstance(v, str):
                return False
            return not any(_match_string_op(sub_kind, a, v) for a in args)
        args = arg if isinstance(arg, list) else [arg]
        return not any(_equal(a, v) for a in args)
    if kind == "numeric":
        if not isinstance(arg, list) or not arg or len(arg) % 2:
            raise InvalidEventPattern(f"Bad numeric matcher {arg}")
        if not _is_number(v):
            return False
        for op, bound in zip(arg[::2], arg[1::2], strict=True):
            if not _is_number(bound):
                raise InvalidEventPattern(f"Bad numeric bound {bound}")
            ok = {
                "=": v == bound,
                "<": v < bound,
                "<=": v <= bound,
                ">": v > bound,
                ">=": v >= bound,
            }.get(op)
            if ok is None:
                raise InvalidEventPattern(f"Unknown numeric operator {op}")
            if not ok:
                return False
        return True
    if kind == "cidr":
        if not isinstance(v, str):
            return False
        try:
            return ipaddress.ip_address(v) in ipaddress.ip_network(str(arg), strict=False)
        except ValueError:
            return False
    raise InvalidEventPattern(f"Unsupported matcher '{kind}'")
