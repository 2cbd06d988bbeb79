"""Provisioning speed against the sandbox with a realistic API latency, in one run:

(a) the seed procedure's creating calls made one at a time in its order (the baseline a
    careful script would make), (b) bluegreen's concurrent apply of the same stack, and
(c) the critical-path bound: the longest chain of dependent calls in that apply x latency.
Also discovery of everything vs its slowest kind, and the API call counts.

Goals (issue 4): apply <= 0.35x the baseline and <= 1.3x the bound.
Run: python bench/provision.py [--latency-ms 80]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import machine, write_section

from bluegreen.aws.session import AwsSession, Target
from bluegreen.engine import runner
from bluegreen.engine.context import Context
from bluegreen.engine.graph import build_nodes
from bluegreen.model.configfile import load_text
from bluegreen.sandbox.server import start_sandbox
from renderers import iam, requests

REGION = "us-east-2"
CURRENT_NODE: contextvars.ContextVar[str] = contextvars.ContextVar("node", default="?")


def config_for(name: str) -> Any:
    return load_text(json.dumps({"name": name, "region": REGION,
                                 "image": {"repository": "bench-app"},
                                 "task": {"containerName": "web"}}))


def put_image(session: AwsSession) -> str:
    ecr = session.client("ecr")
    ecr.create_repository(repositoryName="bench-app")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                           "digest": "sha256:" + "1" * 64}, "layers": []}
    answer = ecr.put_image(repositoryName="bench-app", imageManifest=json.dumps(manifest), imageTag="latest")
    return f"{answer['image']['repositoryName']}@{answer['image']['imageId']['imageDigest']}"


def sequential_baseline(session: AwsSession, config: Any, image: str) -> int:
    """The seed procedure, one call after another (what `aws ...` by hand or a naive script does)."""
    calls = 0

    def call(service: str, operation: str, **params: Any) -> Any:
        nonlocal calls
        calls += 1
        return getattr(session.client(service), operation)(**params)

    account = call("sts", "get_caller_identity")["Account"]
    from renderers.refs import Refs

    refs = Refs.offline(config, account)
    for role in iam.roles(config, refs):
        call("iam", "create_role", **requests.create_role(config, role))
        for policy in role.managed_policies:
            call("iam", "attach_role_policy", RoleName=role.name, PolicyArn=policy)
        inline = requests.put_role_policy(role)
        if inline:
            call("iam", "put_role_policy", **inline)
    bucket = config.pipeline.artifact_bucket
    call("s3", "create_bucket", **requests.create_bucket(config, bucket))
    call("s3", "put_bucket_tagging", **requests.put_bucket_tagging(config, bucket))
    call("codecommit", "create_repository", **requests.create_codecommit_repository(config))
    call("ecs", "create_cluster", **requests.create_cluster(config))
    call("logs", "create_log_group", **requests.create_log_group(config))
    call("codedeploy", "create_application", **requests.create_application(config))
    vpc = call("ec2", "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = call("ec2", "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                        {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    call("ec2", "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    refs = refs.with_values(vpc_id=vpc, subnet_ids=tuple(s["SubnetId"] for s in subnets[:2]))
    alb_sg = call("ec2", "create_security_group", **requests.create_security_group(config, refs, "alb"))["GroupId"]
    call("ec2", "authorize_security_group_ingress", **requests.alb_ingress(config, alb_sg))
    task_sg = call("ec2", "create_security_group", **requests.create_security_group(config, refs, "task"))["GroupId"]
    call("ec2", "authorize_security_group_ingress", **requests.task_ingress(config, task_sg, alb_sg))
    refs = refs.with_values(alb_security_group_ids=(alb_sg,), task_security_group_ids=(task_sg,))
    lb = config.load_balancer
    blue = call("elbv2", "create_target_group", **requests.create_target_group(config, refs, lb.blue_target_group))
    green = call("elbv2", "create_target_group", **requests.create_target_group(config, refs, lb.green_target_group))
    refs = refs.with_values(blue_target_group_arn=blue["TargetGroups"][0]["TargetGroupArn"],
                            green_target_group_arn=green["TargetGroups"][0]["TargetGroupArn"])
    alb = call("elbv2", "create_load_balancer", **requests.create_load_balancer(config, refs))["LoadBalancers"][0]
    call("elbv2", "describe_load_balancers", LoadBalancerArns=[alb["LoadBalancerArn"]])  # the waiter's poll
    refs = refs.with_values(load_balancer_arn=alb["LoadBalancerArn"])
    prod = call("elbv2", "create_listener", **requests.create_listener(config, refs, lb.production_port))
    test = call("elbv2", "create_listener", **requests.create_listener(config, refs, lb.test_port))
    refs = refs.with_values(production_listener_arn=prod["Listeners"][0]["ListenerArn"],
                            test_listener_arn=test["Listeners"][0]["ListenerArn"])
    call("ecs", "register_task_definition", **requests.register_task_definition(config, refs, image))
    call("codecommit", "create_commit", repositoryName=config.source.repository, branchName="main",
         putFiles=[{"filePath": "taskdef.json", "fileContent": requests.taskdef_json(config, refs).encode()},
                   {"filePath": "appspec.yaml", "fileContent": requests.appspec_yaml(config).encode()}])
    call("ecs", "create_service", **requests.create_service(config, refs))
    call("ecs", "describe_services", cluster=config.ecs.cluster, services=[config.ecs.service])
    call("codedeploy", "create_deployment_group", **requests.create_deployment_group(config, refs))
    call("codepipeline", "create_pipeline", **requests.create_pipeline(config, refs))
    for _, rule, targets in requests.event_rules(config, refs):
        call("events", "put_rule", **rule)
        call("events", "put_targets", **targets)
    return calls


class NodeCalls:
    """Counts API calls per node (the node is known through a context variable that
    asyncio.to_thread carries into the worker threads)."""

    def __init__(self) -> None:
        self.per_node: Counter[str] = Counter()

    def __call__(self, **_: Any) -> None:
        # Early inspections run ahead, off the chain of dependent calls: counted apart.
        prefix = "early:" if runner.INSPECT_PHASE.get() == "early" else ""
        self.per_node[prefix + CURRENT_NODE.get()] += 1


def instrument(nodes: list[Any]) -> None:
    for node in nodes:
        for name in ("inspect", "create", "update"):
            method = getattr(node, name)

            def wrapped(*args: Any, _method: Any = method, _id: str = node.id) -> Any:
                CURRENT_NODE.set(_id)
                return _method(*args)

            setattr(node, name, wrapped)
        wait = node.wait

        async def waited(ctx: Any, _wait: Any = wait, _id: str = node.id) -> None:
            CURRENT_NODE.set(_id)
            await _wait(ctx)

        node.wait = waited


def critical_path(nodes: list[Any], calls: Counter[str]) -> tuple[int, list[str]]:
    """The longest chain of calls that must follow one another, counted in calls.

    A node's early inspection follows its dependencies' early inspections; its run follows
    both its own early inspection and its dependencies' runs (bluegreen.engine.runner.apply)."""
    early: dict[str, tuple[int, list[str]]] = {}
    done: dict[str, tuple[int, list[str]]] = {}
    for node in nodes:  # already in dependency order
        before = max((early[d] for d in node.deps if d in early), default=(0, []), key=lambda b: b[0])
        early[node.id] = (before[0] + calls["early:" + node.id], [*before[1], f"{node.id} (find)"])
        start = max([early[node.id], *(done[d] for d in node.deps if d in done)], key=lambda b: b[0])
        done[node.id] = (start[0] + calls[node.id], [*start[1], node.id])
    return max(done.values(), key=lambda b: b[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=80)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with start_sandbox(port=0, region=REGION, latency_ms=0) as handle:
        session = AwsSession(Target(endpoint_url=handle.endpoint_url, region=REGION), concurrency=24)
        image = put_image(session)
        for name in ("warm",):  # load every client and service model before timing
            asyncio.run(runner.apply(Context(session, config_for(name)), build_nodes(config_for(name))))
        handle.router.latency = latency

        baselines, applies = [], []
        counter = NodeCalls()
        session.on_call(counter)
        for run in range(args.runs):  # interleaved, so machine noise hits both alike
            start = time.perf_counter()
            baseline_calls = sequential_baseline(session, config_for(f"baseline{run}"), image)
            baselines.append(time.perf_counter() - start)

            counter.per_node.clear()
            config = config_for(f"bench{run}")
            nodes = build_nodes(config)
            instrument(nodes)
            start = time.perf_counter()
            result = asyncio.run(runner.apply(Context(session, config), nodes, concurrency=24))
            applies.append(time.perf_counter() - start)
            assert result.ok, result
        baseline, applied = statistics.median(baselines), statistics.median(applies)
        chain_calls, chain = critical_path(nodes, counter.per_node)
        bound = chain_calls * latency

        from bluegreen.aws.discovery import discover_all

        start = time.perf_counter()
        found = asyncio.run(discover_all(session, local=False))
        discovery = time.perf_counter() - start
        kinds = {k: v for k, v in vars(found).items() if hasattr(v, "seconds")}
        slowest = max(kinds.values(), key=lambda f: f.seconds)

    apply_calls = sum(n for node, n in counter.per_node.items() if node != "?")
    vs_baseline, vs_bound = applied / baseline, applied / bound
    slowest_kind = next(k for k, v in kinds.items() if v is slowest)
    text = "\n".join([
        "## Provisioning (`bench/provision.py`)", "",
        f"{machine()}; sandbox with {args.latency_ms:.0f} ms per API answer; the seed stack "
        f"(image already in ECR, so no Docker build is timed); median of {args.runs} interleaved runs, "
        "concurrency 24.", "",
        "| run | wall s | API calls |", "|---|---|---|",
        f"| (a) seed procedure, one call at a time (baseline) | {baseline:.2f} | {baseline_calls} |",
        f"| bluegreen apply, concurrent (finds, then creates) | {applied:.2f} | {apply_calls} |",
        f"| (b) critical-path bound: {chain_calls} dependent calls x latency | {bound:.2f} | |",
        f"| discovery of everything (`discover_all`) | {discovery:.2f} | |",
        f"| slowest single discovery kind ({slowest_kind}) | {slowest.seconds:.2f} | |", "",
        f"- apply / baseline: **{vs_baseline:.2f}x** (goal <= 0.35x: {'met' if vs_baseline <= 0.35 else 'NOT met'})",
        f"- apply / bound: **{vs_bound:.2f}x** (goal <= 1.3x: {'met' if vs_bound <= 1.3 else 'NOT met'})",
        f"- discovery / slowest kind: **{discovery / slowest.seconds:.2f}x**; discovery / one call "
        f"({args.latency_ms:.0f} ms): {discovery / latency:.1f}x (goal <= 1.5x of the slowest single call: "
        "not reachable as written, since ECS services take three dependent calls: list clusters, list "
        "services, describe services)",
        f"- critical path: {' -> '.join(chain)}",
    ])
    print(text)
    write_section("provision", text)


if __name__ == "__main__":
    main()
