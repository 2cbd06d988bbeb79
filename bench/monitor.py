"""The monitor as a user runs it (`bluegreen watch` in a 120x40 tmux pane) on the sandbox: API
calls per minute while traffic shifts and while idle (as the app's own status line reports
them; goals <= 40 and <= 12), the app's CPU while idle (goal <= 3% of a core), the delay from a
weight change in the load balancer's proxy to the screen (goal <= 2 s), and the app's peak
memory.

The sandbox runs in this process (real containers, time scale 1: AWS's pace, which the monitor
keeps only at that scale; the starter stack shifting 25% every minute); weight changes are timed
where they take effect, the data plane's `set_forward`; the screen is read with `tmux
capture-pane` every 50 ms. The app process is measured from /proc. Needs Docker and tmux. Loopback only.
Run: python bench/monitor.py [--idle-seconds 120]  (writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import machine, write_section
from sample_stack import sample_stack

SCALE = 1.0
SESSION = "bluegreen-bench-monitor"
GREEN = re.compile(r"green (\d+)%")
CALLS = re.compile(r"([\d.]+) calls/min")
TICKS = os.sysconf("SC_CLK_TCK")


def capture() -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True).stdout


def app_pid() -> int:
    shell = int(subprocess.run(["tmux", "list-panes", "-t", SESSION, "-F", "#{pane_pid}"], capture_output=True,
                               text=True, check=True).stdout.split()[0])
    children = Path(f"/proc/{shell}/task/{shell}/children")
    found = children.read_text().split() if children.exists() else []
    return int(found[0]) if found else shell  # `exec` in the pane: the shell is the app


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Screen(threading.Thread):
    """Reads the pane every 50 ms: the green share the traffic bar shows, and the calls/min."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.shown: list[tuple[float, int]] = []  # (when, green %) at each change on screen
        self.calls: list[tuple[float, float]] = []  # (when, calls/min as the status line says)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            text, now = capture(), time.monotonic()
            green = GREEN.search(text)
            if green and (not self.shown or self.shown[-1][1] != int(green.group(1))):
                self.shown.append((now, int(green.group(1))))
            calls = CALLS.search(text)
            if calls:
                self.calls.append((now, float(calls.group(1))))
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    args = parser.parse_args()

    from bluegreen.watch.fetch_elb import group_name

    replacements = (("deploymentConfig: CodeDeployDefault.ECSAllAtOnce",
                     "deploymentConfig: {type: linear, percent: 25, intervalMinutes: 1}"),
                    ("terminationWaitMinutes: 5", "terminationWaitMinutes: 1"))
    changes: list[tuple[float, int]] = []  # (when, green %) of each production weight change
    screen = Screen()
    with sample_stack(SCALE, replacements) as (handle, config):
        try:
            plane, elbv2 = handle.services["dataplane"], handle.client("elbv2")
            lb = elbv2.describe_load_balancers(Names=["my-app-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
            production = next(x["ListenerArn"] for x in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
                              if x["Port"] == 80)
            set_forward = plane.set_forward

            def timed(listener_id: str, forward: Any) -> None:
                set_forward(listener_id, forward)
                if listener_id == production:
                    total = sum(w for _, w in forward) or 1
                    # green: the group that was not carrying the traffic before the shift
                    weights = {group_name(g): w for g, w in forward}
                    green = weights.get("my-app-green", 0)
                    changes.append((time.monotonic(), round(100 * green / total)))

            plane.set_forward = timed
            program = Path(sys.executable).with_name("bluegreen")
            command = f"BLUEGREEN_SANDBOX_URL={handle.endpoint_url} exec {program} watch -f {config} --sandbox"
            subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40",
                            f"cd {Path(__file__).resolve().parents[1]} && {command}"], check=True)
            time.sleep(1)
            pid = app_pid()
            screen.start()
            # the shift of the deployment that creating the pipeline started
            deadline = time.monotonic() + 600
            while not (changes and changes[-1][1] == 100) and time.monotonic() < deadline:
                time.sleep(0.5)
            shift_end = time.monotonic()
            shift_start = next((t for t, g in changes if g > 0), shift_end)
            # idle: the termination wait (a minute) ends, then a minute to settle, then measure
            time.sleep(3 + 60 + 60)
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            time.sleep(args.idle_seconds)
            cpu1, t1 = cpu_seconds(pid), time.monotonic()
            peak = peak_rss_mib(pid)
        finally:
            screen.stop.set()
            subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)

    delays = []
    for when, green in changes:
        shown = next((t for t, g in screen.shown if t >= when - 0.05 and g == green), None)
        if shown is not None and green > 0:
            delays.append(max(0.0, shown - when))
    active = [c for t, c in screen.calls if shift_start + 30 <= t <= shift_end]
    idle = [c for t, c in screen.calls if t0 <= t <= t1]
    idle_cpu = 100.0 * (cpu1 - cpu0) / (t1 - t0)
    lines = [
        machine(), "",
        f"`bluegreen watch` in a 120x40 tmux pane on the sandbox (--time-scale {SCALE:g}, real containers), "
        "linear 25% every minute:", "",
        "| measure | value | goal |", "|---|---|---|",
        f"| API calls per minute while traffic shifts (the app's status line, median) "
        f"| {statistics.median(active) if active else float('nan'):.1f} | <= 40 |",
        f"| API calls per minute idle (median over {args.idle_seconds:.0f} s) "
        f"| {statistics.median(idle) if idle else float('nan'):.1f} | <= 12 |",
        f"| app CPU while idle ({args.idle_seconds:.0f} s) | {idle_cpu:.2f}% of a core | <= 3% |",
        f"| delay, weight change in the proxy -> on screen, median ({len(delays)} of {len(changes)} changes) "
        f"| {statistics.median(delays) if delays else float('nan'):.2f} s | <= 2 s |",
        f"| delay, max | {max(delays) if delays else float('nan'):.2f} s | <= 2 s |",
        f"| app peak memory (VmHWM) | {peak:.0f} MiB | |",
    ]
    text = "\n".join(lines)
    print(text)
    write_section("monitor", text)


if __name__ == "__main__":
    main()
