"""Small readings of the ECS and load balancer facts the ecs and network rules share."""

from __future__ import annotations

from typing import Any

from bluegreen.doctor.facts import Facts, Unavailable


def tg_name(arn: str) -> str:
    """`arn:...:targetgroup/demo-tg1/0123` -> `demo-tg1`."""
    parts = arn.split(":", 5)[-1].split("/")
    return parts[1] if len(parts) > 2 else arn


def lb_name(arn: str) -> str:
    """`arn:...:loadbalancer/app/demo-alb/0123` -> `demo-alb`."""
    parts = arn.split(":", 5)[-1].split("/")
    return parts[2] if len(parts) > 3 else arn


def forwards_to(listener: dict[str, Any]) -> list[str]:
    """The target group ARNs the listener's default actions forward to (weighted ones too)."""
    out: list[str] = []
    for action in listener.get("DefaultActions") or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            out.append(str(action["TargetGroupArn"]))
        out += [str(g["TargetGroupArn"]) for g in (action.get("ForwardConfig") or {}).get("TargetGroups") or []
                if g.get("TargetGroupArn")]
    return list(dict.fromkeys(out))


async def prod_listener(f: Facts) -> dict[str, Any]:
    prod, _ = await f.listener_arns()
    listeners = await f.listeners()
    if not prod or prod[0] not in listeners:
        raise Unavailable("the deployment group has no production listener")
    return listeners[prod[0]]


def cluster_and_service(service: dict[str, Any]) -> str:
    cluster = str(service.get("clusterArn", "")).rsplit("/", 1)[-1]
    return f"{cluster}/{service.get('serviceName', '')}"


async def container_port(f: Facts) -> int:
    """The port the load balancer sends traffic to on a task: the service's load balancer
    container port (PRIMARY task set first), else the target group's port."""
    tgs = await f.target_groups()
    pair = {str(g["TargetGroupArn"]) for g in tgs}
    for holder in (await f.primary(), await f.service()):
        for lb in holder.get("loadBalancers") or []:
            if lb.get("containerPort") and (not pair or lb.get("targetGroupArn") in pair):
                return int(lb["containerPort"])
    if tgs and tgs[0].get("Port"):
        return int(tgs[0]["Port"])
    raise Unavailable("neither the service nor its target groups name the tasks' port")
