"""The import arrow points one way (tui -> screens -> engine -> aws -> images -> renderers ->
model), the sandbox stands apart, and the core never imports Textual: the import-linter
contracts in pyproject.toml say so, and this test runs them (a broken contract fails CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_FREE = ("bluegreen", "renderers")


def test_every_import_linter_contract_is_kept() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports;"
         "sys.exit(lint_imports(no_cache=True))"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "6 kept, 0 broken" in result.stdout


def test_importing_every_core_module_loads_no_textual() -> None:
    """The contract reads the code; this checks what really loads (a lazy import inside a
    function, an import through a string)."""
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in UI_FREE for p in sorted((ROOT / package).rglob("*.py"))
    ]
    probe = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
