"""Start-up of the CLI as whole processes, side by side with a bare interpreter that
imports jinja2 and yaml (the floor any templating CLI pays).

Target (issue 2): `bluegreen render` of the seed config within 2x of the baseline.
Run: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, median_ms, time_commands, write_section

TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    entry = shutil.which("bluegreen", path=str(Path(sys.executable).parent))
    cli = [entry] if entry else [sys.executable, "-c", "from tui.cli import main; main()"]
    out = Path(tempfile.mkdtemp(prefix="bluegreen-bench-"))
    try:
        commands = {
            "python -c 'import jinja2, yaml' (baseline)": [sys.executable, "-c", "import jinja2, yaml"],
            "python -c 'import pydantic, jinja2, yaml' (the libraries' floor)": [
                sys.executable, "-c", "import jinja2, yaml; from pydantic import BaseModel"],
            "bluegreen --help": [*cli, "--help"],
            "bluegreen render -f examples/seed.yaml": [*cli, "render", "-f", "examples/seed.yaml", "-o", str(out)],
        }
        samples = time_commands(commands, args.runs)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    base = median_ms(next(iter(samples.values())))
    rows = ["| command | median ms | ratio to baseline |", "|---|---|---|"]
    for name, values in samples.items():
        rows.append(f"| `{name}` | {median_ms(values):.0f} | {median_ms(values) / base:.2f}x |")
    render_ratio = median_ms(samples["bluegreen render -f examples/seed.yaml"]) / base
    verdict = "met" if render_ratio <= TARGET else "NOT met"
    text = "\n".join([
        "## Start-up (`bench/startup.py`)", "",
        f"{machine()}; {args.runs} interleaved runs each, whole processes, median.", "",
        *rows, "",
        f"Target: `render` within {TARGET:.1f}x of the baseline: **{verdict}** ({render_ratio:.2f}x). "
        "The config is a pydantic model (issue 2 asks for pydantic v2): importing pydantic alone costs "
        "the 'libraries' floor' row, and building the model classes about 50 ms more.",
    ])
    print(text)
    write_section("startup", text)


if __name__ == "__main__":
    main()
