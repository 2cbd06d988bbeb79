"""README.md stays true: the test command CI runs, and a row for every config key."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bluegreen.model.config import Config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += keys(annotation, key + ".")
        else:
            out.append(key)
    return out


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    command = re.search(r'TEST_CMD="([^"]+)"', (ROOT / ".ci" / "run").read_text())
    assert command
    assert f"&& {command.group(1)}\n" in README


def test_every_config_key_has_a_row_in_the_reference() -> None:
    missing = [key for key in keys(Config) if f"| `{key}` |" not in README]
    assert not missing
