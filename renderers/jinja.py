"""The one Jinja2 environment every template is rendered with.

StrictUndefined: a template naming a value the renderer did not pass fails loudly
instead of writing an empty string into an artifact.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; artifacts need them as written
    # (the placeholders <IMAGE1_NAME> and <TASK_DEFINITION> must stay literal).
    return json.dumps(value, indent=indent, ensure_ascii=False)


@cache
def environment() -> Environment:
    env = Environment(
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
