"""The sandbox side by side with plain moto, in the same run.

1. Whole process, time to the first answered call: ``start_sandbox()`` + ``ec2.describe_vpcs``
   versus ``ThreadedMotoServer().start()`` + ``ec2.describe_vpcs`` (each process exits right after
   the answer). Target (issue 3): <= 1.3x moto alone.
2. Per call, in one process: ``describe_vpcs`` through the sandbox router versus straight to moto's
   port, interleaved batches, median. Target: <= 1.2x moto direct. The router's optional HTTP
   forwarding mode (a second loopback hop to ThreadedMotoServer) is shown for comparison.

Prints the figures and ratios; writes nothing. Run: python bench/sandbox_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MOTO_FIRST_CALL = """
import boto3
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s.start()
host, port = s.get_host_and_port()
ec2 = boto3.client("ec2", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
ec2.describe_vpcs()
import os; os._exit(0)
"""

SANDBOX_FIRST_CALL = """
from bluegreen.sandbox.server import start_sandbox
h = start_sandbox()
h.client("ec2").describe_vpcs()
import os; os._exit(0)
"""

TARGET_STARTUP = 1.3
TARGET_PER_CALL = 1.2


def _time_processes(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {k: [] for k in commands}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in commands.values():  # warm caches (.pyc, page cache)
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - start)
    return samples


def _per_call(calls: int, batches: int) -> dict[str, float]:
    import boto3

    sys.path.insert(0, str(ROOT))
    from bluegreen.sandbox.server import start_sandbox

    def client(url: str):  # type: ignore[no-untyped-def]
        return boto3.client(
            "ec2",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    with start_sandbox() as h, start_sandbox(forward="http", seed=False) as h_http:
        clients = {
            "moto direct": client(h.moto_endpoint_url),
            "sandbox router (in-process forward)": client(h.endpoint_url),
            "sandbox router (HTTP forward)": client(h_http.endpoint_url),
        }
        for c in clients.values():
            for _ in range(20):
                c.describe_vpcs()
        per: dict[str, list[float]] = {k: [] for k in clients}
        for _ in range(batches):
            for name, c in clients.items():
                start = time.perf_counter()
                for _ in range(calls):
                    c.describe_vpcs()
                per[name].append((time.perf_counter() - start) / calls)
    return {k: statistics.median(v) for k, v in per.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="process runs per variant")
    parser.add_argument("--calls", type=int, default=50, help="calls per batch")
    parser.add_argument("--batches", type=int, default=15)
    args = parser.parse_args()

    lines: list[str] = []

    def say(text: str) -> None:
        print(text)
        lines.append(text)

    say(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    samples = _time_processes(
        {
            "moto alone: start + first describe_vpcs": [sys.executable, "-c", MOTO_FIRST_CALL],
            "sandbox: start (seeded) + first describe_vpcs": [sys.executable, "-c", SANDBOX_FIRST_CALL],
        },
        args.runs,
    )
    medians = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    base = next(iter(medians.values()))
    say(f"\nWhole process, time to first answered call ({args.runs} interleaved runs, median):")
    for name, ms in medians.items():
        say(f"  {name:52s} {ms:8.0f} ms   {ms / base:5.2f}x")
    ratio = list(medians.values())[1] / base
    say(f"  target <= {TARGET_STARTUP}x: {'met' if ratio <= TARGET_STARTUP else 'NOT met'} ({ratio:.2f}x)")

    per = _per_call(args.calls, args.batches)
    base = per["moto direct"]
    say(f"\nPer call, describe_vpcs ({args.batches} interleaved batches of {args.calls}, median):")
    for name, s in per.items():
        say(f"  {name:52s} {s * 1000:8.2f} ms   {s / base:5.2f}x")
    ratio = per["sandbox router (in-process forward)"] / base
    say(f"  target <= {TARGET_PER_CALL}x: {'met' if ratio <= TARGET_PER_CALL else 'NOT met'} ({ratio:.2f}x)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from report import write_section

    write_section("sandbox_startup", "## Sandbox start-up and router overhead (`bench/sandbox_startup.py`)\n\n```\n"
                  + "\n".join(lines).strip() + "\n```")


if __name__ == "__main__":
    main()
