"""What the code cites is in the repository: every `docs/...` path named in code exists, and
no file points at documents that live outside it (the team's design notes)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("bluegreen", "renderers", "screens", "tui", "tests", "bench", "scripts")
OUTSIDE = re.compile(r"aws-reference|DESIGN\.md|seed-procedure|\.\./shared")


def sources() -> list[Path]:
    return [p for folder in CODE for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in (".py", ".j2", ".sh", ".tcss", ".md") and p != Path(__file__)]


def test_no_file_cites_a_document_outside_the_repository() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in sources()
                 for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders


def test_every_cited_doc_exists() -> None:
    cited = {(p.relative_to(ROOT), m) for p in sources() if "tests" not in p.relative_to(ROOT).parts
             for m in re.findall(r"docs/[\w./-]+\.md", p.read_text(errors="replace"))}
    missing = [f"{where} cites {doc}" for where, doc in cited if not (ROOT / doc).is_file()]
    assert not missing
