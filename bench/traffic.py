"""Load balancer data plane, part 1: the sandbox's proxy (bluegreen.sandbox.dataplane) side by side
with the same target server reached directly, on loopback.

Three processes, as in the sandbox: the target (a small aiohttp server answering "v1"), the data
plane (one listener forwarding to one target group holding the target) and this one, which drives
a bounded aiohttp load loop. Latency: one request at a time on one keep-alive connection, p50 and
p99. Throughput: a fixed number of requests kept in flight, completed requests per second, and the
CPU time each process spent per request (from /proc: Linux only). Rounds alternate direct and
proxy, so that machine noise hits both alike; medians are reported.
Run: python bench/traffic.py [--seconds S] [--rounds N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import machine, write_section

ROOT = Path(__file__).resolve().parents[1]


# --- the two servers, each run as `python bench/traffic.py --serve-...` in its own process -------

def serve_target(port: int) -> None:
    from aiohttp import web

    async def answer(request: web.BaseRequest) -> web.Response:
        return web.Response(text="v1")

    async def main() -> None:
        runner = web.ServerRunner(web.Server(answer, access_log=None), handle_signals=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_proxy(port: int, target_port: int) -> None:
    import signal

    from bluegreen.sandbox.dataplane import DataPlane, HealthCheck

    # Blocked before the data plane's thread starts (it inherits the mask): terminate() ends the
    # sigwait below, and the plane stops cleanly.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    with DataPlane(time_scale=60) as plane:
        plane.configure_group("tg", HealthCheck(), deregistration_delay_s=300)
        plane.register("tg", [("127.0.0.1", target_port)])
        plane.open_listener("listener", "127.0.0.1", port)
        plane.set_forward("listener", [("tg", 1)])
        while plane.target_health("tg")[0].state != "healthy":
            time.sleep(0.05)
        print("ready", flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError(f"{args[0]} did not start")
    return process


# --- the load loop -------------------------------------------------------------------------------

async def latencies(url: str, seconds: float) -> list[float]:
    """One request at a time on one keep-alive connection."""
    samples: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for _ in range(200):  # warm-up: connections, caches
            async with session.get(url) as response:
                await response.read()
        end = time.perf_counter() + seconds
        while (start := time.perf_counter()) < end:
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200
            samples.append(time.perf_counter() - start)
    return samples


async def throughput(url: str, seconds: float, concurrency: int) -> tuple[float, int]:
    """(completed requests per second, failed requests) with `concurrency` requests in flight."""
    done = failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        stop_at = 0.0

        async def worker() -> None:
            nonlocal done, failed
            while time.perf_counter() < stop_at:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                done += ok
                failed += not ok

        stop_at = time.perf_counter() + 0.5  # warm-up
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        done = failed = 0
        start = time.perf_counter()
        stop_at = start + seconds
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return done / elapsed, failed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--serve-target", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-proxy", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_target:
        return serve_target(args.serve_target)
    if args.serve_proxy:
        return serve_proxy(*args.serve_proxy)

    target_port, proxy_port = free_port(), free_port()
    target = spawn("--serve-target", str(target_port))
    try:
        proxy = spawn("--serve-proxy", str(proxy_port), str(target_port))
    except BaseException:
        target.terminate()
        raise
    urls = {"direct": f"http://127.0.0.1:{target_port}/", "proxy": f"http://127.0.0.1:{proxy_port}/"}
    processes = {"load loop": None, "target": target.pid, "proxy": proxy.pid}
    p50: dict[str, list[float]] = {name: [] for name in urls}
    p99: dict[str, list[float]] = {name: [] for name in urls}
    rps: dict[str, list[float]] = {name: [] for name in urls}
    # CPU microseconds per request of each process, during the throughput runs
    cpu: dict[str, dict[str, list[float]]] = {name: {p: [] for p in processes} for name in urls}
    failed = 0
    try:
        for _ in range(args.rounds):
            for name, url in urls.items():
                samples = asyncio.run(latencies(url, args.seconds))
                p50[name].append(percentile(samples, 0.50) * 1000)
                p99[name].append(percentile(samples, 0.99) * 1000)
                before = {p: cpu_seconds(pid) if pid else time.process_time() for p, pid in processes.items()}
                rate, lost = asyncio.run(throughput(url, args.seconds, args.concurrency))
                after = {p: cpu_seconds(pid) if pid else time.process_time() for p, pid in processes.items()}
                requests = rate * (args.seconds + 0.5)  # the CPU figures include the warm-up's half second
                for p in processes:
                    cpu[name][p].append((after[p] - before[p]) / requests * 1e6)
                rps[name].append(rate)
                failed += lost
    finally:
        for process in (proxy, target):
            process.terminate()
            process.wait(timeout=10)

    med = {key: {name: statistics.median(v) for name, v in table.items()} for key, table in
           (("p50", p50), ("p99", p99), ("rps", rps))}
    added = med["p50"]["proxy"] - med["p50"]["direct"]
    ratio = med["rps"]["proxy"] / med["rps"]["direct"]
    rounds = [proxy_rate / direct_rate for proxy_rate, direct_rate in zip(rps["proxy"], rps["direct"], strict=True)]
    rows = ["| path | p50 ms | p99 ms | max throughput req/s | CPU µs per request: load loop / target / proxy |",
            "|---|---|---|---|---|"]
    for name, label in (("direct", "direct to the target"), ("proxy", "through the data plane's proxy")):
        used = " / ".join(f"{statistics.median(cpu[name][p]):.0f}" if name == "proxy" or p != "proxy" else "-"
                          for p in processes)
        rows.append(f"| {label} | {med['p50'][name]:.2f} | {med['p99'][name]:.2f} | {med['rps'][name]:,.0f} | {used} |")
    verdict = {True: "met", False: "NOT met"}
    text = "\n".join([
        "## Load balancer data plane (`bench/traffic.py`)", "",
        f"{machine()}; target (aiohttp), proxy (a DataPlane listener) and load loop (aiohttp client) in three "
        f"processes on loopback; latency: one request at a time on a keep-alive connection; throughput: "
        f"{args.concurrency} requests in flight; {args.seconds:g} s per measurement, {args.rounds} interleaved "
        f"rounds, median; {failed} failed requests.",
        "", *rows, "",
        f"- p50 added by the proxy: **{added:.2f} ms** (goal <= 1 ms: {verdict[added <= 1]})",
        f"- throughput through the proxy: **{ratio:.3f}x** direct (goal >= 0.5x: {verdict[ratio >= 0.5]}); "
        f"round by round {min(rounds):.2f}x to {max(rounds):.2f}x on this shared machine",
        "- the proxy costs about what an aiohttp server and an aiohttp client cost together (compare its CPU "
        "per request with the target's and the load loop's): both run on one event loop, one core.",
    ])
    print(text)
    write_section("traffic", text)


if __name__ == "__main__":
    main()
