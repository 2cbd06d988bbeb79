"""The wizard as a user meets it: time from process start to the first screen taking keys,
with and without --sandbox (the sandbox boots in the background and must not delay it),
side by side with a minimal Textual app started the same way.

Target (issue 5): <= 2.2x the minimal app. Run: python bench/wizard.py [--runs N]
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import ROOT, machine, write_section

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


async def longest_stall() -> tuple[float, float, int, str]:
    """Drive the wizard headless to the Image step and press Build and push, then go on to
    the Task step while it runs; meanwhile a 10 ms ticker on the event loop records how late
    it fires. Returns (longest stall on a screen the user stays on, longest stall within a
    second of a screen change (the user's own step: composing the next screen), ticks, outcome)."""
    from screens.image import ImageScreen
    from tui.app import BlueGreenApp

    os.chdir(ROOT / "examples")  # the sample website's Dockerfile is found here
    app = BlueGreenApp(sandbox=True)
    steady: list[float] = []
    switching: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        async def until(condition: object, seconds: float) -> None:
            for _ in range(int(seconds * 20)):
                if condition():  # type: ignore[operator]
                    return
                await pilot.pause(0.05)
            raise TimeoutError(str(condition))

        last = [time.perf_counter()]
        shown: list[Any] = [None, 0.0]  # the screen, and when it was first seen

        def tick() -> None:
            now = time.perf_counter()
            if app.screen is not shown[0]:
                shown[:] = [app.screen, now]
            late = now - last[0] - 0.01
            (switching if now - shown[1] < 1.0 else steady).append(late)
            last[0] = now

        await until(lambda: app.context.session is not None, 60)
        last[0] = time.perf_counter()
        app.set_interval(0.01, tick)
        await pilot.press("ctrl+n")  # to the Image step: Dockerfiles, local images and ECR are discovered
        await until(lambda: isinstance(app.screen, ImageScreen), 20)
        await pilot.pause(1.0)
        await pilot.click("#build")
        await pilot.press("ctrl+n")  # on to the Task step while the build and push run
        job = app.context.image_job
        await until(lambda: job.phase not in ("idle", "repository", "build", "push"), 180)
        phase = job.phase
    return max(steady), max(switching), len(steady) + len(switching), phase


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import asyncio

    stall, switch_stall, ticks, phase = asyncio.run(longest_stall())
    kinds = {
        "minimal Textual app (one Input)": MINIMAL,
        "bluegreen wizard, AWS target": WIZARD % "False",
        "bluegreen wizard, --sandbox (boots in the background)": WIZARD % "True",
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for code in kinds.values():  # warm caches
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
        "## Wizard start-up (`bench/wizard.py`)", "",
        f"{machine()}; headless, {args.runs} interleaved runs, median; 'first input' = the first step "
        "screen shown with a focused widget.", "", *rows, "",
        f"Target: <= 2.2x the minimal app: **{'met' if worst <= 2.2 else 'NOT met'}** (worst {worst:.2f}x).",
        "",
        f"Event-loop stalls while discovery, then an image build and push ({phase}), ran in the background "
        f"and the user moved on to the next step ({ticks} ticks of a 10 ms timer; the sandbox runs in its own "
        "process, as the wizard starts it):",
        f"- longest stall on a screen the user stays on: **{stall * 1000:.0f} ms** "
        f"(target <= 50 ms: {'met' if stall <= 0.05 else 'NOT met'});",
        f"- longest stall within a second of a screen change (Textual composing the next step): "
        f"{switch_stall * 1000:.0f} ms.",
    ])
    print(text)
    write_section("wizard", text)


if __name__ == "__main__":
    main()
