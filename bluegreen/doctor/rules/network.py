"""Rules of the area 'network': subnets, zones, egress and security groups of the load balancer and
the tasks (docs/doctor-rules.md §1.5). Network ACLs are not read (the report says so)."""

from __future__ import annotations

import asyncio

from bluegreen.doctor.facts import Facts
from bluegreen.doctor.finding import Finding
from bluegreen.doctor.rule import rule
from bluegreen.doctor.rules.ecs_facts import container_port, lb_name, prod_listener
from bluegreen.doctor.rules.network_facts import (
    S3,
    SubnetFact,
    endpoints,
    lb_subnet_ids,
    missing_endpoints,
    nat_route,
    opened_to,
    opens_port,
    security_groups,
    subnets,
    task_subnet_ids,
    uses_awslogs,
    vpc_id,
)
from bluegreen.doctor.rules.network_facts import allows as sg_allows


def _where(subnets_: list[SubnetFact]) -> str:
    return ", ".join(f"{s.id} ({s.az})" for s in subnets_)


async def _task_subnets(f: Facts) -> list[SubnetFact]:
    awsvpc, known = await asyncio.gather(f.awsvpc(), subnets(f))
    return [known[i] for i in task_subnet_ids(awsvpc) if i in known]


@rule("internet-facing-lb-private-subnets", "error", "network")
async def internet_facing_lb_private_subnets(f: Facts) -> list[Finding]:
    lb, known = await asyncio.gather(f.load_balancer(), subnets(f))
    if lb.get("Scheme") != "internet-facing":
        return []
    mine = [known[i] for i in lb_subnet_ids(lb) if i in known]
    private = [s for s in mine if not s.public]
    if not private:
        return []
    name = str(lb.get("LoadBalancerName", ""))
    tables = ", ".join(dict.fromkeys(s.route_table_id for s in private))
    return [internet_facing_lb_private_subnets.finding(
        f"Internet-facing load balancer {name} is in private subnet(s) {_where(private)}: their route table(s) "
        f"{tables} have no 0.0.0.0/0 route to an internet gateway",
        "An internet-facing load balancer's nodes are reached through public subnets; a node in a private subnet "
        "cannot be reached from the internet" + (", so the load balancer cannot be reached at all." if len(private)
                                                  == len(mine) else ": users sent to that zone's node time out."),
        f"Give it a public subnet in each zone: `aws elbv2 set-subnets --load-balancer-arn {lb['LoadBalancerArn']} "
        "--subnets <public subnet per zone>` (console: Load balancer -> Network mapping -> Edit subnets), or add "
        "a 0.0.0.0/0 route to the VPC's internet gateway to those route tables "
        f"(`aws ec2 create-route --route-table-id {private[0].route_table_id} --destination-cidr-block 0.0.0.0/0 "
        "--gateway-id <igw>`).",
        severity="error" if len(private) == len(mine) else "warning")]


async def _image(f: Facts) -> str:
    containers = (await f.task_definition()).get("containerDefinitions") or []
    return ", ".join(str(c.get("image", "")) for c in containers) or "the image"


@rule("tasks-public-subnet-no-ip", "error", "network")
async def tasks_public_subnet_no_ip(f: Facts) -> list[Finding]:
    awsvpc, tasks, found, taskdef = await asyncio.gather(f.awsvpc(), _task_subnets(f), endpoints(f),
                                                         f.task_definition())
    if awsvpc.get("assignPublicIp") == "ENABLED":
        return []
    stuck = [s for s in tasks if s.public and missing_endpoints(s, found, uses_awslogs(taskdef))]
    if not stuck:
        return []
    image = await _image(f)
    return [tasks_public_subnet_no_ip.finding(
        f"Tasks run in public subnet(s) {_where(stuck)} with assignPublicIp {awsvpc.get('assignPublicIp', 'DISABLED')}"
        f" and no ECR endpoints: they cannot pull {image}",
        "A Fargate task needs a route to the internet to pull its image: in a public subnet (route to an internet "
        "gateway) that means a public IP on the task's network interface, or ECR and S3 VPC endpoints. Tasks stop "
        "with CannotPullContainerError / ResourceInitializationError (i/o timeout).",
        "Give new task sets a public IP: the AppSpec's NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp: "
        "ENABLED (for a CODE_DEPLOY service the deployment's AppSpec sets the task set's network), or run the "
        "tasks in private subnets with a NAT gateway.")]


@rule("tasks-private-no-egress", "error", "network")
async def tasks_private_no_egress(f: Facts) -> list[Finding]:
    tasks, found, taskdef = await asyncio.gather(_task_subnets(f), endpoints(f), f.task_definition())
    stuck: list[SubnetFact] = []
    missing: list[str] = []
    for subnet in tasks:
        if subnet.public or nat_route(subnet.route_table):
            continue
        lacking = missing_endpoints(subnet, found, uses_awslogs(taskdef))
        if lacking:
            stuck.append(subnet)
            missing += [m for m in lacking if m not in missing]
    if not stuck:
        return []
    region, vpc = f.region, await vpc_id(f)
    shown = ", ".join(f"{m} (gateway)" if m == S3 else m for m in missing)
    tables = list(dict.fromkeys(s.route_table_id for s in stuck))
    commands = [f"`aws ec2 create-vpc-endpoint --vpc-endpoint-type Gateway --service-name com.amazonaws.{region}.s3 "
                f"--vpc-id {vpc} --route-table-ids {' '.join(tables)}`" if m == S3 else
                f"`aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name com.amazonaws.{region}.{m} "
                f"--vpc-id {vpc} --subnet-ids {' '.join(s.id for s in stuck)} --security-group-ids <sg allowing 443 "
                "from the tasks> --private-dns-enabled`" for m in missing]
    return [tasks_private_no_egress.finding(
        f"Tasks run in private subnet(s) {_where(stuck)} (route table(s) {', '.join(tables)}) with neither a NAT "
        f"route nor the endpoints {shown}",
        "A task in a private subnet reaches ECR, S3 (where ECR keeps image layers) and CloudWatch Logs only "
        "through a NAT gateway or VPC endpoints; without them it cannot pull its image "
        "(CannotPullContainerError / ResourceInitializationError) and its deployment never turns healthy.",
        "Add a NAT gateway route (`aws ec2 create-route --route-table-id " + tables[0] + " --destination-cidr-block "
        "0.0.0.0/0 --nat-gateway-id <nat in a public subnet>`), or the endpoints: " + "; ".join(commands) + ".")]


@rule("task-subnets-one-az", "warning", "network")
async def task_subnets_one_az(f: Facts) -> list[Finding]:
    tasks = await _task_subnets(f)
    zones = sorted({s.az for s in tasks})
    if len(zones) != 1:
        return []
    return [task_subnets_one_az.finding(
        f"All tasks' subnets ({', '.join(s.id for s in tasks)}) are in {zones[0]}: a zone outage stops the service",
        "ECS places tasks only in the subnets it is given, so every task runs in that one zone.",
        "Give the tasks a subnet in a second zone the load balancer enables: in the AppSpec's "
        "NetworkConfiguration.AwsvpcConfiguration.Subnets (a CODE_DEPLOY service's task sets take it from the "
        "deployment).")]


@rule("task-az-not-on-load-balancer", "error", "network")
async def task_az_not_on_load_balancer(f: Facts) -> list[Finding]:
    lb, tasks = await asyncio.gather(f.load_balancer(), _task_subnets(f))
    enabled = sorted({str(z.get("ZoneName", "")) for z in lb.get("AvailabilityZones") or []})
    task_zones = sorted({s.az for s in tasks})
    outside = [z for z in task_zones if z not in enabled]
    if not outside:
        return []
    name = str(lb.get("LoadBalancerName", ""))
    none_inside = len(outside) == len(task_zones)
    return [task_az_not_on_load_balancer.finding(
        f"Tasks in {', '.join(outside)} (subnet(s) {', '.join(s.id for s in tasks if s.az in outside)}) are not in "
        f"a zone load balancer {name} enables ({', '.join(enabled)}): they get no traffic",
        "Targets registered in a zone the load balancer does not enable receive no traffic from it"
        + (": no task can serve, and the replacement never turns healthy." if none_inside else "."),
        f"Add a load balancer subnet in {', '.join(outside)} (`aws elbv2 set-subnets --load-balancer-arn "
        f"{lb['LoadBalancerArn']} --subnets <its subnets and one in each of {', '.join(outside)}>`), or give the "
        "tasks subnets in the load balancer's zones.",
        severity="error" if none_inside else "warning")]


@rule("security-groups-block-lb", "error", "network")
async def security_groups_block_lb(f: Facts) -> list[Finding]:
    lb, awsvpc, known, groups, tgs, port = await asyncio.gather(
        f.load_balancer(), f.awsvpc(), subnets(f), security_groups(f), f.target_groups(), container_port(f))
    lb_groups = [str(g) for g in lb.get("SecurityGroups") or []]
    if not lb_groups:
        return []  # a load balancer without security groups (an NLB) is not filtered by one
    task_groups = [str(g) for g in awsvpc.get("securityGroups") or []]
    health = {int(g["HealthCheckPort"]) for g in tgs if str(g.get("HealthCheckPort", "traffic-port")).isdigit()}
    ports = [port, *sorted(health - {port})]
    task_sg = task_groups[0] if task_groups else "<task sg>"
    lb_cidrs = [known[i].cidr for i in lb_subnet_ids(lb) if i in known]
    task_cidrs = [known[i].cidr for i in task_subnet_ids(awsvpc) if i in known]
    ingress = [p for g in task_groups for p in (groups.get(g) or {}).get("IpPermissions") or []]
    egress = [p for g in lb_groups for p in (groups.get(g) or {}).get("IpPermissionsEgress") or []]
    name, lbs, tasks = str(lb.get("LoadBalancerName", "")), ", ".join(lb_groups), ", ".join(task_groups)
    why = ("The load balancer must reach its targets on the traffic port and the health check port; blocked, the "
           "health checks time out (Target.Timeout), the replacement tasks never turn healthy and the deployment "
           "fails or rolls back.")
    out = []
    for p in ports:
        if not sg_allows(ingress, p, lb_groups, lb_cidrs):
            out.append(security_groups_block_lb.finding(
                f"Security group(s) {tasks} of the tasks do not let load balancer {name} ({lbs}) reach port {p}", why,
                f"`aws ec2 authorize-security-group-ingress --group-id {task_sg}"
                f" --protocol tcp --port {p} --source-group {lb_groups[0]}`"))
        if not sg_allows(egress, p, task_groups, task_cidrs):
            out.append(security_groups_block_lb.finding(
                f"The load balancer's security group(s) {lbs} allow no egress to the tasks ({tasks}) on port {p}", why,
                f"`aws ec2 authorize-security-group-egress --group-id {lb_groups[0]} --ip-permissions "
                f"IpProtocol=tcp,FromPort={p},ToPort={p},UserIdGroupPairs=[{{GroupId={task_sg}}}]`"))
    return out


@rule("lb-listener-port-closed", "warning", "network")
async def lb_listener_port_closed(f: Facts) -> list[Finding]:
    lb, groups, listener = await asyncio.gather(f.load_balancer(), security_groups(f), prod_listener(f))
    lb_groups = [str(g) for g in lb.get("SecurityGroups") or []]
    if not lb_groups or listener.get("Port") is None:
        return []
    port = int(listener["Port"])
    inbound = [p for g in lb_groups for p in (groups.get(g) or {}).get("IpPermissions") or []]
    if lb.get("Scheme") == "internet-facing":
        if opened_to(inbound, port, "0.0.0.0/0") or opened_to(inbound, port, "::/0"):
            return []
        source = "0.0.0.0/0"
    else:
        # an internal load balancer's clients are the VPC's or peered networks': any source will do
        if opens_port(inbound, port):
            return []
        source = "any source"
    return [lb_listener_port_closed.finding(
        f"Load balancer {lb.get('LoadBalancerName', lb_name(str(lb.get('LoadBalancerArn', ''))))}'s security "
        f"group(s) {', '.join(lb_groups)} allow no inbound traffic on production port {port} from {source}",
        "A security group drops what no inbound rule allows: clients of the production listener cannot connect "
        "(a narrower source may be intended, hence a warning).",
        f"`aws ec2 authorize-security-group-ingress --group-id {lb_groups[0]} --protocol tcp --port {port} "
        f"--cidr {'0.0.0.0/0' if source == '0.0.0.0/0' else '<the VPC CIDR>'}`")]

