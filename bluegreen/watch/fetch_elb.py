"""ELBv2 reads: the load balancer's listeners and where their default actions forward (the
traffic split as the load balancer applies it), and each target group's target health.

One DescribeListeners of the load balancer answers both listeners; target health has no batch
call, so it is one DescribeTargetHealth per target group. The ARNs are looked up once
(DescribeLoadBalancers, DescribeTargetGroups) and kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bluegreen.watch.snapshot import ListenerWeights, TargetCounts

HEALTH_BUCKETS = ("healthy", "unhealthy", "initial", "draining")


@dataclass(frozen=True)
class Balancer:
    arn: str
    groups: dict[str, str]  # target group name -> ARN


def resolve(elbv2: Any, load_balancer: str, group_names: tuple[str, ...]) -> Balancer:
    arn = elbv2.describe_load_balancers(Names=[load_balancer])["LoadBalancers"][0]["LoadBalancerArn"]
    names = [name for name in group_names if name]
    groups = elbv2.describe_target_groups(Names=names)["TargetGroups"] if names else []
    return Balancer(str(arn), {str(g["TargetGroupName"]): str(g["TargetGroupArn"]) for g in groups})


def group_name(arn: str) -> str:
    """arn:...:targetgroup/<name>/<id> -> <name>: the name is in every target group ARN."""
    parts = arn.split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else arn


def read_listeners(elbv2: Any, balancer_arn: str, production_port: int, test_port: int) -> tuple[ListenerWeights, ...]:
    answer = elbv2.describe_listeners(LoadBalancerArn=balancer_arn)
    roles = {production_port: "production", test_port: "test"}
    found = []
    for listener in answer.get("Listeners") or []:
        role = roles.get(int(listener.get("Port") or 0))
        if role is not None:
            found.append(ListenerWeights(role, int(listener["Port"]), _weights(listener.get("DefaultActions") or [])))
    found.sort(key=lambda w: w.role != "production")
    return tuple(found)


def _weights(actions: list[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    """What a listener's forward action sends where: a ForwardConfig's weighted groups, or the
    single TargetGroupArn of a plain forward (all of the traffic)."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if groups:
            return tuple((group_name(str(g["TargetGroupArn"])), int(g.get("Weight", 1))) for g in groups)
        if action.get("TargetGroupArn"):
            return ((group_name(str(action["TargetGroupArn"])), 1),)
    return ()


def read_targets(elbv2: Any, groups: dict[str, str]) -> tuple[TargetCounts, ...]:
    counts = []
    for name, arn in groups.items():
        answer = elbv2.describe_target_health(TargetGroupArn=arn)
        tally = dict.fromkeys(HEALTH_BUCKETS, 0)
        other = 0
        reasons: list[str] = []
        for row in answer.get("TargetHealthDescriptions") or []:
            health = row.get("TargetHealth") or {}
            state = str(health.get("State") or "")
            bucket = "draining" if state == "unhealthy.draining" else state
            if bucket in tally:
                tally[bucket] += 1
            else:
                other += 1
            reason = str(health.get("Description") or "")
            if state.startswith("unhealthy") and reason and reason not in reasons:
                reasons.append(reason)
        counts.append(TargetCounts(name, tally["healthy"], tally["unhealthy"], tally["initial"], tally["draining"],
                                   other, tuple(reasons)))
    return tuple(counts)
