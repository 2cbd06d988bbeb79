"""Reading and writing `bluegreen.yaml`, and turning every mistake into one clear message.

A mistake in a file ends in `ConfigError`: each problem names the field path, the rule
and a fix. Nothing else escapes `load_text`, whatever the text (a hypothesis test feeds
it arbitrary documents).
"""

from __future__ import annotations

import difflib
import io
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bluegreen.model.config import API_VERSION, KIND, Config
from bluegreen.model.files import write_atomic
from bluegreen.model.rules import RuleError

MAX_SHOWN = 20  # problems listed in one message; the rest are counted
MAX_BYTES = 1024 * 1024  # a stack's config is a few KB: anything near this is not one


@dataclass(frozen=True)
class Problem:
    path: str
    rule: str
    fix: str

    def __str__(self) -> str:
        fix = self.fix if self.fix[-1:] in ".?!" else f"{self.fix}."
        return f"{self.path}: {self.rule}. Fix: {fix}"


class ConfigError(Exception):
    """Bad input. The CLI prints it and exits 2."""

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.message())

    def message(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        lines = [f"{where}{len(self.problems)} problems:"]
        lines += [f"  - {problem}" for problem in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            lines.append(f"  ... and {len(self.problems) - MAX_SHOWN} more: fix these first, then validate again")
        return "\n".join(lines)


def _yaml(*, typ: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ=typ, pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def parse_yaml(text: str, source: str = "") -> Any:
    """The YAML document as plain Python data, or a ConfigError saying where it broke."""
    try:
        return _yaml(typ="safe").load(text)
    except Exception as exc:  # ruamel raises many types; all mean "not valid YAML"
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the document"
        reason = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            [Problem(where, f"is not valid YAML ({reason})",
                     "check indentation and quoting there; 'bluegreen init' writes a valid example")],
            source,
        ) from None


def from_data(data: Any, source: str = "") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem("(document)", "must be a mapping of settings",
                     f"start the file with 'apiVersion: {API_VERSION}' and 'kind: {KIND}'")],
            source,
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc.errors()), source) from None
    except RuleError as exc:  # raised by a model validator outside pydantic's wrapping
        raise ConfigError([Problem("(config)", exc.rule, exc.fix)], source) from None
    except RecursionError:
        raise ConfigError(
            [Problem("(document)", "is nested too deeply", "remove the deep nesting")], source
        ) from None


def load_text(text: str, source: str = "") -> Config:
    return from_data(parse_yaml(text, source), source)


def load(path: str | os.PathLike[str]) -> Config:
    """Read a config file: a regular file of at most MAX_BYTES (a FIFO, a device such as
    /dev/zero or a huge file is refused at once, never read until memory runs out)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), "does not exist", "check the path, or create one with 'bluegreen init'")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"can't be read ({exc.strerror or exc})",
                                   "check the path and its permissions")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError([Problem(str(path), "is a folder, not a config file",
                                   f"pass the file inside it, e.g. {path / 'bluegreen.yaml'}")])
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError([Problem(str(path), "is not a regular file (a pipe, a device or a socket)",
                                   "save the config to a file and pass that")])
    if info.st_size > MAX_BYTES:
        raise ConfigError([Problem(str(path), f"is {info.st_size:,} bytes; a config is at most {MAX_BYTES:,}",
                                   "pass the stack's bluegreen.yaml, not another file")])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # it may have grown since stat
        if len(data) > MAX_BYTES:
            raise ConfigError([Problem(str(path), f"is larger than {MAX_BYTES:,} bytes",
                                       "pass the stack's bluegreen.yaml, not another file")])
        text = data.decode("utf-8")
    except PermissionError:
        raise ConfigError([Problem(str(path), "can't be read: permission denied",
                                   f"give yourself read access (chmod u+r {path}) or run as its owner")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), f"is not UTF-8 text (byte {exc.start})",
                                   "save it as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"can't be read ({exc.strerror or exc})", "check the file")]) from None
    return load_text(text, str(path))


def to_data(config: Config) -> dict[str, Any]:
    """Plain data in file order; empty optional values are left out."""
    return config.model_dump(by_alias=True, exclude_none=True, mode="json")


def dump_text(config: Config) -> str:
    stream = io.StringIO()
    yaml = _yaml(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump(to_data(config), stream)
    return stream.getvalue()


def save(config: Config, path: str | os.PathLike[str]) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    write_atomic(Path(path), dump_text(config))


# -- pydantic errors -> Problem -----------------------------------------------------

_GENERIC_FIX = "see 'bluegreen init' for an annotated example"

_TYPE_RULES: dict[str, tuple[str, str]] = {
    "missing": ("is required", "add it"),
    "string_type": ("must be text", "write text; put it in quotes if YAML reads it as a number"),
    "int_type": ("must be a whole number", "write a number without quotes, e.g. 80"),
    "int_parsing": ("must be a whole number", "write a number without quotes, e.g. 80"),
    "int_from_float": ("must be a whole number", "drop the fraction"),
    "bool_type": ("must be true or false", "write true or false"),
    "bool_parsing": ("must be true or false", "write true or false"),
    "dict_type": ("must be a mapping of settings", "write 'key: value' lines under it"),
    "model_type": ("must be a mapping of settings", "write 'key: value' lines under it"),
    "model_attributes_type": ("must be a mapping of settings", "write 'key: value' lines under it"),
    "list_type": ("must be a list", "write '- item' lines under it"),
}


_BRANCH_LABELS = ("str", "CustomTrafficShift", "function-plain[_to_plain()]")


def _problems(errors: Sequence[Any]) -> list[Problem]:
    kept = [e for e in errors if not _wrong_union_branch(e)]
    # a dict keeps the first of each problem in order, in linear time (16,000 list items that
    # are all wrong make 16,000 problems)
    return list(dict.fromkeys(_problem(error) for error in kept or errors))


def _wrong_union_branch(error: Any) -> bool:
    """For `str | Model` fields, a mapping was clearly not meant to be the string."""
    loc = tuple(error.get("loc", ()))
    return "str" in loc and isinstance(error.get("input"), dict)


def _problem(error: Any) -> Problem:
    loc: tuple[Any, ...] = tuple(error.get("loc", ()))
    path = _path(loc)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, RuleError):
        if cause.field:
            path = f"{path}.{cause.field}" if loc else cause.field
        return Problem(path, cause.rule, cause.fix)
    if kind == "greater_than_equal":
        return Problem(path, f"must be at least {ctx.get('ge')}", f"use {ctx.get('ge')} or more")
    if kind == "less_than_equal":
        return Problem(path, f"must be at most {ctx.get('le')}", f"use {ctx.get('le')} or less")
    if kind == "too_short":
        return Problem(path, f"needs at least {ctx.get('min_length')} item(s)", "add items")
    if kind == "too_long":
        return Problem(path, f"takes at most {ctx.get('max_length')} items", "remove some")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return Problem(path, f"must be one of {expected}", "pick one of those values")
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in _TYPE_RULES:
        rule, fix = _TYPE_RULES[kind]
        return Problem(path, rule, fix)
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    return Problem(path, message[:1].lower() + message[1:], _GENERIC_FIX)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part in _BRANCH_LABELS:
            continue  # pydantic's union branch labels, not keys the user wrote
        else:
            out += f".{part}" if out else str(part)
    return out or "(config)"


def _unknown_key(loc: tuple[Any, ...]) -> Problem:
    key = loc[-1] if loc else "?"
    known = _known_keys(loc[:-1])
    guess = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if guess:
        fix = f"did you mean '{guess[0]}'?"
    elif known:
        fix = f"remove it; the settings here are: {', '.join(known)}"
    else:
        fix = "remove it"
    return Problem(_path(loc), "is not a known setting", fix)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The aliases of the model found by walking `loc` down from Config."""
    model: type[BaseModel] | None = Config
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = _field_by_alias(model, str(part))
        model = _model_in(field.annotation) if field is not None else None
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_by_alias(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
