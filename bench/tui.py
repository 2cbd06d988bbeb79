"""The wizard as a user meets it: time from process start to the first screen taking keys,
with and without --sandbox (the sandbox boots in the background and must not delay it),
side by side with a minimal Textual app started the same way.

Target (issue 5): <= 2.2x the minimal app. Run: python bench/tui.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import ROOT, machine, write_section  # noqa: E402

MINIMAL = """
import os, time
from textual.app import App
from textual.widgets import Input
class Minimal(App):
    def compose(self):
        yield Input()
    def on_mount(self):
        def check():
            if self.focused is not None:
                open(os.environ["BLUEGREEN_READY_FILE"], "w").write(f"{time.time():.6f}")
                timer.stop()
        timer = self.set_interval(0.005, check)
Minimal().run(headless=True)
"""

WIZARD = """
import sys
from tui.app import BlueGreenApp
BlueGreenApp(sandbox=%s).run(headless=True)
"""


def time_to_ready(code: str) -> float:
    """Seconds from spawning the process to the app writing its ready file; then stop it."""
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder) / "ready"
        env = {**os.environ, "BLUEGREEN_READY_FILE": str(ready)}
        start = time.time()
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = start + 60
            while not ready.exists() or not ready.read_text():
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode()[-2000:] if process.stderr else "died")
                if time.time() > deadline:
                    raise TimeoutError("the app never became ready")
                time.sleep(0.002)
            return float(ready.read_text()) - start
        finally:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    kinds = {
        "minimal Textual app (one Input)": MINIMAL,
        "bluegreen wizard, AWS target": WIZARD % "False",
        "bluegreen wizard, --sandbox (boots in the background)": WIZARD % "True",
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for name, code in kinds.items():  # warm caches
        time_to_ready(code)
    for _ in range(args.runs):
        for name, code in kinds.items():
            samples[name].append(time_to_ready(code))
    base = statistics.median(samples["minimal Textual app (one Input)"])
    rows = ["| app | median ms to first input | ratio |", "|---|---|---|"]
    ratios = []
    for name, values in samples.items():
        median = statistics.median(values)
        ratios.append(median / base)
        rows.append(f"| {name} | {median * 1000:.0f} | {median / base:.2f}x |")
    worst = max(ratios[1:])
    text = "\n".join([
        "## Wizard start-up (`bench/tui.py`)", "",
        f"{machine()}; headless, {args.runs} interleaved runs, median; 'first input' = the first step "
        "screen shown with a focused widget.", "", *rows, "",
        f"Target: <= 2.2x the minimal app: **{'met' if worst <= 2.2 else 'NOT met'}** (worst {worst:.2f}x).",
    ])
    print(text)
    write_section("tui", text)


if __name__ == "__main__":
    main()
