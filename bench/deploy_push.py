"""A push reaching production on the sandbox: from `bluegreen push` of a new version of the sample
site to every answer of the load balancer coming from it, with CodeDeployDefault.ECSAllAtOnce at
time scale 60 (the issue's goal: 20 s at most), split into the push itself (build and upload) and
the rest (the EventBridge rule, the pipeline, CodeDeploy's lifecycle and the traffic switch).

It provisions the starter stack (`bluegreen init --sample`, `apply`) on a sandbox with real
containers, lets the execution that creating the pipeline starts finish, then pushes versions
2, 3, ... one round each. Needs a Docker engine. Loopback only.
Run: python bench/deploy_push.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from report import machine, write_section
from sample_stack import sample_stack
from support.waiting import until

GOAL_S = 20.0
SAME_ANSWERS = 20  # consecutive answers of the new version: production is on it


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from click.testing import CliRunner

    from bluegreen.aws.probe import probe
    from tui.cli import main as cli

    rows: list[tuple[str, float, float]] = []
    with sample_stack(60) as (handle, config):
        run = CliRunner().invoke
        cp = handle.client("codepipeline")
        dns = handle.client("elbv2").describe_load_balancers(Names=["my-app-alb"])["LoadBalancers"][0]["DNSName"]
        url = f"http://{dns}:80/"

        def settled() -> bool:
            runs = cp.list_pipeline_executions(pipelineName="my-app")["pipelineExecutionSummaries"]
            return bool(runs) and all(r["status"] != "InProgress" for r in runs)

        until(settled, "the stack settled (no deployment running)", 300, 0.05)
        original = config.read_text()
        for version in range(2, 2 + args.rounds):
            config.write_text(original.replace("  context: site\n",
                                               f"  context: site\n  buildArgs:\n    VERSION: '{version}'\n"))
            started = time.monotonic()
            pushed = run(cli, ["push", "-f", str(config), "--sandbox", "--no-follow"])
            assert pushed.exit_code == 0, pushed.output
            uploaded = time.monotonic()

            def on_new(version: int = version) -> bool:
                return all(probe(url, sandbox=True).answered_by.endswith(f"v{version}")
                           for _ in range(SAME_ANSWERS))

            until(on_new, "production answering from the new version", 300, 0.05)
            arrived = time.monotonic()
            rows.append((f"v{version}", uploaded - started, arrived - started))
            until(settled, "the termination wait ended", 300, 0.05)  # before the next round

    total = statistics.median(r[2] for r in rows)
    lines = [f"{machine()}", "", "push of the sample site, AllAtOnce, sandbox at --time-scale 60 (real containers):",
             "", "| round | push (build + upload) | push to 100% on the new version |", "|---|---|---|"]
    lines += [f"| {name} | {push:.1f} s | {whole:.1f} s |" for name, push, whole in rows]
    verdict = "met" if total <= GOAL_S else "NOT met"
    lines += ["", f"median push to 100%: **{total:.1f} s**; goal <= {GOAL_S:g} s: {verdict}"]
    text = "\n".join(lines)
    print(text)
    write_section("deploy_push", "## A push reaching production (sandbox)\n\n" + text)


if __name__ == "__main__":
    main()
