"""Writing files so that a crash or a bad input never leaves half of one behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol


class HasPathAndText(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def text(self) -> str: ...


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_artifacts(artifacts: Iterable[HasPathAndText], out_dir: Path) -> list[Path]:
    written = []
    for artifact in artifacts:
        target = out_dir / artifact.path
        write_atomic(target, artifact.text)
        written.append(target)
    return written
