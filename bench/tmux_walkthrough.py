"""Drive the real wizard in tmux as a user would, and keep what each screen showed.

Starts `bluegreen wizard` in a 120x40 tmux window inside a scratch folder holding the
sample website, types a stack name, moves through every step with ctrl+n, applies on the
sandbox, exports the config (ctrl+e) and quits. Each screen's text goes to
docs/walkthrough/NN-<step>.txt, to be read by a person; the exported config is then
checked headlessly with `bluegreen plan`, which must report everything in sync.

Run: python bench/tmux_walkthrough.py   (needs tmux and a Docker engine)
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bluegreen.images.sample import write_sample_site

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "walkthrough"
SESSION = "bluegreen-walkthrough"
STEPS = ("Target", "Image", "Task definition", "AppSpec", "Source", "Network and load balancer",
         "Cluster and service", "CodeDeploy", "Pipeline", "Review", "Provisioning")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def wait_for(pattern: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = screen()
        if re.search(pattern, text):
            return text
        time.sleep(0.3)
    raise TimeoutError(f"never saw {pattern!r}; the screen was:\n{screen()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keep(index: int, name: str, text: str) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    (OUT / f"{index:02d}-{slug}.txt").write_text(text)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bluegreen-walk-"))
    # what `bluegreen init --sample sample-website` writes: the site and its static busybox
    assert write_sample_site(work / "sample-website"), "no static busybox on this machine (busybox-static)"
    # The wizard and the plan after it find the same sandbox, on a port of this run's own (a
    # sandbox someone keeps on 4599 is not touched).
    endpoint = f"http://127.0.0.1:{free_port()}"
    command = (f"cd {work} && BLUEGREEN_SANDBOX_URL={endpoint} {sys.executable} -c "
               "'from tui.cli import main; main()' wizard")
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", f"PYTHONPATH={ROOT} {command}")
    keystrokes = 0
    try:
        wait_for(r"✓ local sandbox at")
        tmux("send-keys", "-t", SESSION, "C-u")
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "-l", "walk")
        keystrokes += 5
        time.sleep(0.5)
        keep(0, STEPS[0], screen())
        for index, name in enumerate(STEPS[1:], start=1):
            tmux("send-keys", "-t", SESSION, "C-n")
            keystrokes += 1
            wait_for(rf"{index}\. {re.escape(name)}")
            if name == "Review":
                wait_for(r"Ready: \d+ changes", 90)
            if name == "Provisioning":
                wait_for(r"Done in [\d.]+s|Stopped", 300)
            time.sleep(1.0)  # let discovery fill the screen
            keep(index, name, screen())
        tmux("send-keys", "-t", SESSION, "C-e")
        wait_for(r"Save config \+ artifacts")
        tmux("send-keys", "-t", SESSION, "Enter")
        keep(len(STEPS), "Export", wait_for(r"Saved bluegreen.yaml"))
        keystrokes += 2
        plan = subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "plan", "-f",
                               str(work / "bluegreen.yaml"), "--sandbox"], cwd=work, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "BLUEGREEN_SANDBOX_URL": endpoint})
        (OUT / "plan-of-the-export.txt").write_text(plan.stdout + plan.stderr)
        tmux("send-keys", "-t", SESSION, "Escape")
        time.sleep(0.5)
        # the last step's Watch: the live monitor of the stack just made, with the deployment
        # that creating the pipeline started
        tmux("send-keys", "-t", SESSION, "C-n")
        keystrokes += 1
        wait_for(r"Production traffic")
        keep(len(STEPS) + 1, "Monitor", wait_for(r"Deployment d-\w+ · \w+", 120))
        tmux("send-keys", "-t", SESSION, "C-q")
        print(f"{keystrokes} keystrokes; screens in {OUT.relative_to(ROOT)}/")
        print(plan.stdout.strip().splitlines()[-1])
        if plan.returncode != 0 or not re.fullmatch(r"\d+ in sync", plan.stdout.strip().splitlines()[-1]):
            raise SystemExit("the exported config does not reproduce the stack")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
        # the image the wizard built and pushed, tagged for this run's registry
        listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                                capture_output=True, text=True).stdout.split()
        ours = [ref for ref in listed if ref.startswith(endpoint.removeprefix("http://") + "/")]
        if ours:
            subprocess.run(["docker", "rmi", "-f", *ours], capture_output=True)


if __name__ == "__main__":
    main()
