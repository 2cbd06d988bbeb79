"""Rules of the area 'ecs': the service, its target group pair and listeners (docs/doctor-rules.md §1.3)."""

from __future__ import annotations

import asyncio
from collections import Counter

from bluegreen.doctor.facts import Facts, Unavailable
from bluegreen.doctor.finding import Finding
from bluegreen.doctor.rule import rule
from bluegreen.doctor.rules.ecs_facts import cluster_and_service, forwards_to, lb_name, prod_listener, tg_name


@rule("service-not-code-deploy", "error", "ecs")
async def service_not_code_deploy(f: Facts) -> list[Finding]:
    service = await f.service()
    kind = str((service.get("deploymentController") or {}).get("type") or "ECS")
    if kind == "CODE_DEPLOY":
        return []
    name = cluster_and_service(service)
    cluster, svc = name.split("/", 1)
    group = await f.deployment_group()
    return [service_not_code_deploy.finding(
        f"Service {name} uses the {kind} deployment controller: CodeDeploy can only deploy a CODE_DEPLOY service",
        "A CodeDeploy blue/green deployment creates the replacement task set itself, which ECS allows only for a "
        "service created with deploymentController type CODE_DEPLOY; this deployment group's deployments fail.",
        f"Create the service again under CodeDeploy (`aws ecs create-service --cluster {cluster} --service-name "
        f"{svc}-bg --deployment-controller type=CODE_DEPLOY ...` with its load balancer and network settings) and "
        f"name it in the deployment group (`aws deploy update-deployment-group --application-name "
        f"{group.get('applicationName', '')} --current-deployment-group-name {group.get('deploymentGroupName', '')} "
        f"--ecs-services serviceName={svc}-bg,clusterName={cluster}`).")]


@rule("target-group-other-load-balancer", "error", "ecs")
async def target_group_other_load_balancer(f: Facts) -> list[Finding]:
    # A group attached to no load balancer is normal: CodeDeploy points the test listener at the
    # replacement group only during a deployment, so one group of the pair is idle between them.
    tgs, listener = await asyncio.gather(f.target_groups(), prod_listener(f))
    lb = str(listener["LoadBalancerArn"])
    out = []
    for group in tgs:
        attached = [str(a) for a in group.get("LoadBalancerArns") or []]
        if not attached or lb in attached:
            continue
        name = str(group["TargetGroupName"])
        out.append(target_group_other_load_balancer.finding(
            f"Target group {name} is attached to load balancer {', '.join(lb_name(a) for a in attached)}, "
            f"not to {lb_name(lb)} of the production listener (port {listener.get('Port')})",
            "CodeDeploy shifts traffic by pointing the production and test listeners at the pair's groups; a group "
            "another load balancer uses cannot be forwarded to by this one's listeners, and ECS refuses a group "
            "no listener of the service's load balancer forwards to.",
            f"Create a target group for {lb_name(lb)} (`aws elbv2 create-target-group --name {name}-2 --target-type "
            f"ip --protocol {group.get('Protocol', 'HTTP')} --port {group.get('Port', 80)} --vpc-id "
            f"{group.get('VpcId', '')}`) and name it in the deployment group's target group pair "
            "(`aws deploy update-deployment-group ... --load-balancer-info ...`), or remove the other load "
            f"balancer's listener rule that forwards to {name}."))
    return out


@rule("production-listener-forwards-elsewhere", "error", "ecs")
async def production_listener_forwards_elsewhere(f: Facts) -> list[Finding]:
    tgs, listener, primary = await asyncio.gather(f.target_groups(), prod_listener(f), f.primary())
    pair = [str(g["TargetGroupArn"]) for g in tgs]
    names = [str(g["TargetGroupName"]) for g in tgs]
    forwards = forwards_to(listener)
    port, arn = listener.get("Port"), str(listener["ListenerArn"])
    serving = [str(lb["targetGroupArn"]) for lb in primary.get("loadBalancers") or []
               if lb.get("targetGroupArn") in pair]
    why = ("CodeDeploy shifts traffic by rewriting the production listener's forward between the pair's groups, "
           "starting from the group of the original (PRIMARY) task set; otherwise the traffic shift fails: "
           f"'Primary taskset target group must be behind listener {arn}'.")
    blue = tg_name(serving[0]) if serving else (names[0] if names else "")
    fix = (f"`aws elbv2 modify-listener --listener-arn {arn} --default-actions "
           f"Type=forward,TargetGroupArn={serving[0] if serving else (pair[0] if pair else '<blue>')}` "
           f"(the group {blue} the service's tasks are registered in).")
    shown = ", ".join(tg_name(a) for a in forwards) or "no target group"
    if not set(forwards) & set(pair):
        return [production_listener_forwards_elsewhere.finding(
            f"Production listener {port} forwards to {shown}, neither target group of the deployment group "
            f"({', '.join(names)})", why, fix)]
    if serving and not set(serving) & set(forwards):
        return [production_listener_forwards_elsewhere.finding(
            f"Production listener {port} forwards to {shown}, not to {tg_name(serving[0])} where the service's "
            "PRIMARY task set runs", why, fix)]
    return []


@rule("listeners-same", "error", "ecs")
async def listeners_same(f: Facts) -> list[Finding]:
    (prod, test), listeners = await asyncio.gather(f.listener_arns(), f.listeners())
    if not prod or not test:
        return []
    gone = [a for a in prod + test if a not in listeners]
    if gone:
        raise Unavailable(f"listener {gone[0]} of the deployment group does not exist")
    group = await f.deployment_group()
    fix = ("Create a second listener on another port of the production load balancer forwarding to the blue "
           "group (`aws elbv2 create-listener --load-balancer-arn <lb> --protocol HTTP --port 8080 "
           "--default-actions Type=forward,TargetGroupArn=<blue>`) and name it as the test route: "
           f"`aws deploy update-deployment-group --application-name {group.get('applicationName', '')} "
           f"--current-deployment-group-name {group.get('deploymentGroupName', '')} --load-balancer-info "
           "'{\"targetGroupPairInfoList\":[{\"targetGroups\":[...],\"prodTrafficRoute\":{\"listenerArns\":"
           f"[\"{prod[0]}\"]}},\"testTrafficRoute\":{{\"listenerArns\":[\"<new listener>\"]}}}}]}}'`.")
    why = ("The test listener sends test traffic to the replacement task set while the production listener still "
           "sends users to the original; one listener cannot do both, and test and production routes belong to "
           "one load balancer, whose listeners CodeDeploy rewrites together.")
    shared = [a for a in prod if a in test]
    if shared:
        return [listeners_same.finding(f"Production and test traffic use the same listener {shared[0]}", why, fix)]
    balancers = list(dict.fromkeys(str(listeners[a]["LoadBalancerArn"]) for a in prod + test if a in listeners))
    if len(balancers) > 1:
        return [listeners_same.finding(
            "Production and test traffic use listeners of two load balancers "
            f"{', '.join(lb_name(b) for b in balancers)}", why, fix)]
    return []


@rule("target-groups-same", "error", "ecs")
async def target_groups_same(f: Facts) -> list[Finding]:
    names = [str(g.get("name", "")) for g in (await f.pair()).get("targetGroups") or []]
    twice = [n for n, count in Counter(names).items() if count > 1]
    return [target_groups_same.finding(
        f"The deployment group's target group pair names {name} twice",
        "The replacement task set registers in the pair's other group while the original keeps serving from its "
        "own; with one group there is no second place to start the new version ('Target group pair must have "
        "distinct target groups').",
        f"Create a second target group like {name} (`aws elbv2 create-target-group --name {name}-2 --target-type "
        "ip --protocol HTTP --port <port> --vpc-id <vpc>`) and name both in the pair (`aws deploy "
        "update-deployment-group ... --load-balancer-info ...`).") for name in twice]


@rule("target-type-not-ip", "error", "ecs")
async def target_type_not_ip(f: Facts) -> list[Finding]:
    tgs, taskdef = await asyncio.gather(f.target_groups(), f.task_definition())
    if taskdef.get("networkMode") != "awsvpc":
        return []
    return [target_type_not_ip.finding(
        f"Target group {g['TargetGroupName']} has target type {g.get('TargetType')}, but the tasks use awsvpc "
        "networking: they can only register as ip targets",
        "Tasks with awsvpc networking (every Fargate task) have their own network interface and register by IP; "
        f"ECS refuses the group: 'The provided target group {g['TargetGroupArn']} has target type "
        f"{g.get('TargetType')}, which is incompatible with the awsvpc network mode specified in the task "
        "definition.'",
        f"A target type cannot be changed: create a new group (`aws elbv2 create-target-group --name "
        f"{g['TargetGroupName']}-ip --target-type ip --protocol {g.get('Protocol', 'HTTP')} --port "
        f"{g.get('Port', 80)} --vpc-id {g.get('VpcId', '')}`), then name it in the deployment group's pair and "
        "the listener in place of this one.")
        for g in tgs if g.get("TargetType", "ip") != "ip"]

