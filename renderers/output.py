"""Writing rendered artifacts into a folder, each file atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from bluegreen.model.files import write_atomic


class HasPathAndText(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def text(self) -> str: ...


def write_artifacts(artifacts: Iterable[HasPathAndText], out_dir: Path) -> list[Path]:
    written = []
    for artifact in artifacts:
        target = out_dir / artifact.path
        write_atomic(target, artifact.text)
        written.append(target)
    return written
