"""Shared by every benchmark: time whole processes side by side, and write one section
of docs/benchmarks.md (between markers, so each benchmark owns its own part)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def time_commands(commands: dict[str, Sequence[str]], runs: int, cwd: Path = ROOT) -> dict[str, list[float]]:
    """Run each command `runs` times, interleaved so that machine noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the page cache and any compile caches
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - start)
    return samples


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}"


def write_section(key: str, markdown: str) -> None:
    """Replace the section `key` of docs/benchmarks.md, keeping every other one."""
    begin, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    header = "# Benchmarks\n\nWritten by the scripts in `bench/`; each section is replaced by its own script.\n"
    text = DOC.read_text() if DOC.exists() else header
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
