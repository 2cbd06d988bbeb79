"""The doctor's speed: on a healthy stack with every AWS call 80 ms away (the sandbox's
`--latency-ms 80`), `bluegreen doctor` should take no more than 1.5x its longest chain of
dependent calls: the rules fetch in parallel and share every answer, so the chain (each call
needing the one before) is all that has to wait in turn.

The chain is read from the doctor's own call log, not assumed: a call depends on one that ended
just before it was asked for (within a few ms; with 80 ms per call the links stand out), and the
longest path of such links is replayed call by call, sequentially, on the same warm session.
Both are timed in the same run, `--runs` times interleaved; medians compared.
Loopback only. Run: python bench/doctor.py [--runs N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from report import machine, write_section

REGION = "us-east-1"
LINK_S = 0.015  # a call asked for within this long after another ended is taken to follow it


def longest_chain(log: list[Any]) -> list[Any]:
    """The longest path of "asked right after that one ended" links, in call order."""
    calls = sorted(log, key=lambda c: c.asked)
    best: list[list[Any]] = []
    for i, call in enumerate(calls):
        before = [best[j] for j in range(i) if 0 <= call.asked - calls[j].ended <= LINK_S]
        best.append([*max(before, key=len, default=[]), call])
    return max(best, key=len, default=[])


def replay(session: Any, chain: list[Any]) -> float:
    """The chain's calls one after another, as if nothing ran beside them."""
    started = time.perf_counter()
    for call in chain:
        # a "missing" answer (e.g. NoSuchEntity) is an answer too: it took its round trip
        with contextlib.suppress(Exception):
            getattr(session.client(call.service), call.operation)(**call.params)
    return time.perf_counter() - started


async def doctor_once(session: Any, pipeline: str) -> tuple[float, Any]:
    from bluegreen.doctor.diagnose import diagnose
    from bluegreen.doctor.facts import Facts

    facts = Facts(session, pipeline)
    started = time.perf_counter()
    report = await diagnose(session, pipeline, facts=facts)
    return time.perf_counter() - started, (report, facts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=80)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    from support.seed_stack import build_seed_stack

    from bluegreen.aws.session import AwsSession, Target
    from bluegreen.sandbox.server import start_sandbox

    with start_sandbox(port=0, region=REGION, latency_ms=args.latency_ms, tasks="simulated") as handle:
        seed = build_seed_stack(handle.client, app="benchdoc", region=REGION)
        session = AwsSession(Target(endpoint_url=handle.endpoint_url, region=REGION))
        asyncio.run(doctor_once(session, seed.pipeline))  # warm: clients made, modules imported
        doctor_s: list[float] = []
        chain_s: list[float] = []
        chain: list[Any] = []
        report: Any = None
        calls = 0
        for _ in range(args.runs):
            seconds, (report, facts) = asyncio.run(doctor_once(session, seed.pipeline))
            doctor_s.append(seconds)
            calls = facts.calls
            found = longest_chain(facts.log)
            chain = found if len(found) > len(chain) else chain
            chain_s.append(replay(session, chain))
    assert report is not None and report.clean, report
    doctor_med, chain_med = statistics.median(doctor_s), statistics.median(chain_s)
    ratio = doctor_med / chain_med
    names = " → ".join(f"{c.service}.{c.operation}" for c in chain)
    text = f"""## Doctor ({machine()})

`python bench/doctor.py --runs {args.runs} --latency-ms {args.latency_ms:g}`: `diagnose()` of every rule
({report.rules_run}) on the seed procedure's stack built with plain boto3 (healthy: no finding),
the sandbox answering each call after {args.latency_ms:g} ms; medians of {args.runs} interleaved runs.

| | median | |
|---|---|---|
| the doctor ({calls} AWS calls) | {doctor_med * 1000:.0f} ms | |
| its longest chain of dependent calls ({len(chain)} calls), replayed one by one | {chain_med * 1000:.0f} ms | |
| **ratio** | **{ratio:.2f}x** | target ≤ 1.5x |

The chain, read from the doctor's call log: {names}.
"""
    print(text)
    if not args.no_write:
        write_section("doctor", text)
    if ratio > 1.5:
        sys.exit(f"the doctor took {ratio:.2f}x its longest chain (target 1.5x)")


if __name__ == "__main__":
    main()
