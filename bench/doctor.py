"""The doctor's speed: on a healthy stack with every AWS call 80 ms away (the sandbox's
`--latency-ms 80`), `bluegreen doctor` should take no more than 1.5x its longest chain of
dependent calls: the rules fetch in parallel and share every answer, so the chain (each call
needing a name only the answer before it gives) is all that has to wait in turn.

That chain, by the data each call needs (docs/doctor.md):
GetPipeline (names the deployment group) -> GetDeploymentGroup (names the service) ->
DescribeServices (names the task definition) -> DescribeTaskDefinition (names the execution
role) -> ListAttachedRolePolicies (names its managed policy) -> GetPolicy (names the default
version) -> GetPolicyVersion. The benchmark checks that the doctor really made each of these
calls (its own call log), replays them one by one on the same warm session, and compares
medians of `--runs` interleaved runs. Loopback only.
Run: python bench/doctor.py [--runs N] [--latency-ms MS]
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from report import machine, write_section

REGION = "us-east-1"


def data_chain(seed: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """The longest chain of calls that each need the answer before (see the docstring)."""
    from support.seed_stack import EXECUTION_POLICY

    execution_role = seed.exec_role.rsplit("/", 1)[-1]
    return [("codepipeline", "get_pipeline", {"name": seed.pipeline}),
            ("codedeploy", "get_deployment_group", {"applicationName": seed.app,
                                                    "deploymentGroupName": seed.deployment_group}),
            ("ecs", "describe_services", {"cluster": seed.app, "services": [seed.app]}),
            ("ecs", "describe_task_definition", {"taskDefinition": seed.taskdef}),
            ("iam", "list_attached_role_policies", {"RoleName": execution_role}),
            ("iam", "get_policy", {"PolicyArn": EXECUTION_POLICY}),
            ("iam", "get_policy_version", {"PolicyArn": EXECUTION_POLICY, "VersionId": "v1"})]


def made(log: list[Any], call: tuple[str, str, dict[str, Any]]) -> bool:
    service, operation, params = call
    return any((c.service, c.operation) == (service, operation)
               and all(c.params.get(k) == v for k, v in params.items()) for c in log)


def replay(session: Any, chain: list[tuple[str, str, dict[str, Any]]]) -> float:
    """The chain's calls one after another, as if nothing ran beside them."""
    started = time.perf_counter()
    for service, operation, params in chain:
        getattr(session.client(service), operation)(**params)
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
        chain = data_chain(seed)
        doctor_s: list[float] = []
        chain_s: list[float] = []
        report: Any = None
        calls = 0
        for _ in range(args.runs):
            seconds, (report, facts) = asyncio.run(doctor_once(session, seed.pipeline))
            doctor_s.append(seconds)
            calls = facts.calls
            missed = [f"{s}.{o}" for s, o, p in chain if not made(facts.log, (s, o, p))]
            assert not missed, f"the doctor did not make {missed}: the chain here is out of date"
            chain_s.append(replay(session, chain))
    assert report is not None and report.clean, report
    doctor_med, chain_med = statistics.median(doctor_s), statistics.median(chain_s)
    ratio = doctor_med / chain_med
    names = " → ".join(f"{service}.{operation}" for service, operation, _ in chain)
    text = f"""## Doctor ({machine()})

`python bench/doctor.py --runs {args.runs} --latency-ms {args.latency_ms:g}`: `diagnose()` of every rule
({report.rules_run}) on the seed procedure's stack built with plain boto3 (healthy: no finding),
the sandbox answering each call after {args.latency_ms:g} ms; medians of {args.runs} interleaved runs.

| | median | |
|---|---|---|
| the doctor ({calls} AWS calls) | {doctor_med * 1000:.0f} ms | |
| its longest chain of dependent calls ({len(chain)} calls), replayed one by one | {chain_med * 1000:.0f} ms | |
| **ratio** | **{ratio:.2f}x** | target ≤ 1.5x |

The chain (each call needs a name only the answer before it gives; the doctor's log shows it
made each): {names}.
"""
    print(text)
    if not args.no_write:
        write_section("doctor", text)
    if ratio > 1.5:
        sys.exit(f"the doctor took {ratio:.2f}x its longest chain (target 1.5x)")


if __name__ == "__main__":
    main()
