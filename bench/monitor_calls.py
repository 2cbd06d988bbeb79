"""The monitor's poller on the sandbox: AWS API calls per minute while traffic shifts and while
the stack is idle (the issue's budgets: <= 40 and <= 12), and the delay from a weight change in
the load balancer's proxy to the first snapshot that shows it (goal: <= 2 s).

It provisions the starter stack (`bluegreen init --sample`, `apply`) on a sandbox with real
containers at time scale 6, its deployment group shifting 10% every minute (10 s here), and
follows the deployment that creating the pipeline starts with `Poller.run`, as the monitor does.
Weight changes are timed where they take effect: the sandbox data plane's `set_forward`. Calls
are counted by the poller's own meter (every HTTP attempt). Needs a Docker engine. Loopback only.
Run: python bench/monitor_calls.py [--idle-minutes N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import machine, write_section
from sample_stack import sample_stack

SCALE = 6.0
LINEAR = "{type: linear, percent: 10, intervalMinutes: 1}"


def _split(weights: Any) -> tuple[tuple[str, int], ...]:
    """(group name, whole percent) of the groups a listener sends traffic to."""
    total = sum(w for _, w in weights)
    return tuple(sorted((n, round(100 * w / total)) for n, w in weights if w > 0)) if total else ()


async def _follow(poller: Any, handle: Any, idle_minutes: float) -> dict[str, Any]:
    from bluegreen.watch.fetch_elb import group_name
    from bluegreen.watch.pacing import Mode

    changes: list[tuple[float, tuple[tuple[str, int], ...]]] = []  # (when, production split)
    seen: list[tuple[float, tuple[tuple[str, int], ...], Any]] = []  # (when, production split, mode)
    plane = handle.services["dataplane"]
    production_arn = ""
    set_forward = plane.set_forward

    def timed(listener_id: str, forward: Any) -> None:
        set_forward(listener_id, forward)
        if listener_id == production_arn:
            changes.append((time.monotonic(), _split([(group_name(g), w) for g, w in forward])))

    elbv2 = handle.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=["my-app-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    production_arn = next(x["ListenerArn"] for x in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
                          if x["Port"] == 80)
    plane.set_forward = timed

    marks: list[tuple[float, int, Any]] = []  # (when, calls so far, mode) at each snapshot

    ops_at_shift: dict[str, int] = {}

    def on_snapshot(snapshot: Any) -> None:
        now = time.monotonic()
        if poller.pacer.mode is Mode.SHIFTING and not ops_at_shift:
            ops_at_shift.update(poller.meter.by_operation)
        production = next((x.weights for x in snapshot.listeners if x.role == "production"), ())
        seen.append((now, _split(production), poller.pacer.mode))
        marks.append((now, poller.meter.total, poller.pacer.mode))

    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(on_snapshot, stop))
    try:
        # the shift: from the first weight change to the deployment's end
        def shifted() -> bool:
            moved = any(len(split) == 2 for _, split in changes)
            return moved and len(changes[-1][1]) == 1 and poller.pacer.mode is not Mode.SHIFTING

        while not shifted():
            await asyncio.sleep(0.5)
        shift_calls = [(t, n) for t, n, mode in marks if mode is Mode.SHIFTING]
        shifting = (shift_calls[0], shift_calls[-1]) if len(shift_calls) > 1 else None
        shift_by_op = {op: n - ops_at_shift.get(op, 0) for op, n in poller.meter.by_operation.items()
                       if n - ops_at_shift.get(op, 0)}
        # idle: let the termination wait end and the window settle, then count
        while poller.pacer.mode is not Mode.IDLE:
            await asyncio.sleep(0.5)
        await asyncio.sleep(60)
        idle_from, idle_calls = time.monotonic(), poller.meter.total
        idle_ops = dict(poller.meter.by_operation)
        await asyncio.sleep(idle_minutes * 60)
        idle = (time.monotonic() - idle_from, poller.meter.total - idle_calls)
        idle_by_op = {op: n - idle_ops.get(op, 0) for op, n in poller.meter.by_operation.items()
                      if n - idle_ops.get(op, 0)}
    finally:
        stop.set()
        await task
        plane.set_forward = set_forward
    delays = []
    before: Any = changes[0][1] if changes else None  # where traffic went when the deployment began
    for when, split in changes:
        if split and split != before:  # a change of where traffic goes (not a group joining at 0)
            shown = next((t for t, s, _ in seen if t >= when - 0.05 and s == split), None)
            if shown is not None:
                delays.append(max(0.0, shown - when))
        before = split
    return {"changes": changes, "delays": delays, "shifting": shifting, "idle": idle, "shift_by_op": shift_by_op,
            "idle_by_op": idle_by_op}


def _ops(counts: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-minutes", type=float, default=2.0)
    args = parser.parse_args()

    from bluegreen.aws.session import AwsSession, Target
    from bluegreen.model.configfile import load
    from bluegreen.watch.poller import Poller
    from bluegreen.watch.target import target_of

    replacements = (("deploymentConfig: CodeDeployDefault.ECSAllAtOnce", f"deploymentConfig: {LINEAR}"),
                    ("terminationWaitMinutes: 5", "terminationWaitMinutes: 1"))
    with sample_stack(SCALE, replacements) as (handle, config):
        session = AwsSession(Target(endpoint_url=handle.endpoint_url, region="us-east-1"))
        poller = Poller(session, target_of(load(config)), aws_time_scale=SCALE, pace_speed=1.0)  # AWS's pace
        found = asyncio.run(_follow(poller, handle, args.idle_minutes))

    (t0, n0), (t1, n1) = found["shifting"]
    shift_rate = (n1 - n0) / ((t1 - t0) / 60)
    idle_s, idle_n = found["idle"]
    idle_rate = idle_n / (idle_s / 60)
    delays = found["delays"]
    lines = [
        machine(), "",
        f"sandbox at --time-scale {SCALE:g}, real containers; deployment config linear 10% every minute "
        f"({60 / SCALE:g} s a step here); the poller told the time scale for its waits and steps, "
        "but polling at AWS's pace (pace_speed=1):", "",
        "| measure | value | goal |", "|---|---|---|",
        f"| API calls per minute while traffic shifts ({t1 - t0:.0f} s) | {shift_rate:.1f} | <= 40 |",
        f"| API calls per minute idle ({idle_s / 60:.1f} min, after 1 min settling) | {idle_rate:.1f} | <= 12 |",
        f"| delay, weight change in the proxy -> snapshot, median ({len(delays)} changes) "
        f"| {statistics.median(delays):.2f} s | <= 2 s |",
        f"| delay, max | {max(delays):.2f} s | <= 2 s |",
        f"| delay, max after the first step | {max(delays[1:]):.2f} s | <= 2 s |",
        "",
        "delays of each change, in order: " + ", ".join(f"{d:.2f}" for d in delays) + " s",
        "calls while shifting, by operation: " + _ops(found["shift_by_op"]),
        "calls while idle, by operation: " + _ops(found["idle_by_op"]),
    ]
    print("\n".join(lines))
    write_section("monitor_calls", "\n".join(lines))


if __name__ == "__main__":
    main()
