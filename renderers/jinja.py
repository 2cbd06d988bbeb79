"""The one Jinja2 environment every template is rendered with.

StrictUndefined: a template naming a value the renderer did not pass fails loudly
instead of writing an empty string into an artifact.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; artifacts need them as written
    # (the placeholders <IMAGE1_NAME> and <TASK_DEFINITION> must stay literal).
    return json.dumps(value, indent=indent, ensure_ascii=False)


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between runs: compiling cloudformation.yaml.j2 costs more
    than rendering it, and `bluegreen render` is a short-lived process."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "bluegreen", "jinja")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    return FileSystemBytecodeCache(folder)


@cache
def environment() -> Environment:
    env = Environment(
        bytecode_cache=_bytecode_cache(),
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = _tojson
    return env


def render_template(name: str, **values: Any) -> str:
    return environment().get_template(name).render(**values)
