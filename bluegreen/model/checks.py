"""Rules over a whole Config that the model itself does not refuse: the config loads, but the
stack it describes would not work (tasks that can't pull their image, two deployments of one
group at once). Hook names need no rule: the CodeDeploy role bluegreen renders may invoke each
configured hook (docs/fidelity/iam.md). The wizard shows them where they arise;
`bluegreen validate` refuses a config that breaks one. Each returns problems
("path: rule. Fix: ..."), none when all is well.

Rules that need what AWS holds (public subnets, existing applications) take those facts as
arguments and live in `bluegreen.aws.preflight`.
"""

from __future__ import annotations

import math
from typing import Any

from bluegreen.model.config import Config, CustomTrafficShift
from bluegreen.model.configfile import Problem


def public_ip_problems(config: Config, subnets_public: bool | None) -> list[Problem]:
    """Tasks in public subnets pull their image through the internet gateway, which carries
    only traffic of public IPs. `subnets_public`: whether the tasks' subnets are public (None:
    not known, nothing to say)."""
    if config.network.assign_public_ip or not subnets_public:
        return []
    return [Problem("network.assignPublicIp",
                    "the tasks' subnets are public (their way out is the internet gateway): without a public "
                    "IP the tasks can't pull their image from ECR and won't start",
                    "set assignPublicIp: true, or run the tasks in private subnets with a NAT gateway "
                    "or VPC endpoints")]


def auto_subnets_public(config: Config) -> bool | None:
    """What is known offline about the tasks' subnets: 'auto' (none listed) means the VPC's
    public subnets; listed ones can only be judged against discovery."""
    return True if not config.network.subnets else None


def parallel_problems(config: Config) -> list[Problem]:
    """PARALLEL lets a second pipeline execution reach the deploy action while the first one's
    deployment still runs; CodeDeploy runs one deployment of a deployment group at a time, so
    the second deploy action fails."""
    if config.pipeline.execution_mode != "PARALLEL":
        return []
    return [Problem("pipeline.executionMode",
                    "PARALLEL runs pipeline executions at the same time, but CodeDeploy runs one deployment "
                    f"of deployment group {config.code_deploy.deployment_group} at a time: a push during a "
                    "deployment would fail its deploy action instead of waiting",
                    "use QUEUED (every push is deployed, in turn) or SUPERSEDED (the newest push wins)")]


# The CodeDeployToECS action's run time limit (CodePipeline User Guide, "Quotas in AWS
# CodePipeline": CodeDeploy and CodeDeploy ECS (blue/green) deployment actions, 5 days; it is
# not configurable for this action type).
DEPLOY_ACTION_TIMEOUT_MINUTES = 5 * 24 * 60

_PREDEFINED_SHIFT_MINUTES = {
    "CodeDeployDefault.ECSAllAtOnce": 0,
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": 9,
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": 27,
    "CodeDeployDefault.ECSCanary10Percent5Minutes": 5,
    "CodeDeployDefault.ECSCanary10Percent15Minutes": 15,
}


def traffic_shift_minutes(config: Config) -> int:
    """The least time the deployment config takes to move all traffic to green (the first step
    moves at once, each next one after an interval)."""
    shift = config.code_deploy.deployment_config
    if isinstance(shift, CustomTrafficShift):
        steps = math.ceil(100 / shift.percent) - 1 if shift.type == "linear" else 1
        return steps * shift.interval_minutes
    return _PREDEFINED_SHIFT_MINUTES.get(shift, 0)


def deployment_minutes(config: Config) -> int:
    """The least time one deployment keeps the deploy action running: the wait for a manual
    continue, the traffic shift, then the wait before blue is terminated (the deployment, and
    so the action, succeeds only after that)."""
    cd = config.code_deploy
    return cd.ready_wait_minutes + traffic_shift_minutes(config) + cd.termination_wait_minutes


def timeout_problems(config: Config) -> list[Problem]:
    """Waits the deploy action cannot outlast."""
    total = deployment_minutes(config)
    if total <= DEPLOY_ACTION_TIMEOUT_MINUTES:
        return []
    cd = config.code_deploy
    path = "codeDeploy.readyWaitMinutes" if cd.ready_wait_minutes >= cd.termination_wait_minutes \
        else "codeDeploy.terminationWaitMinutes"
    return [Problem(path,
                    f"a deployment takes at least {total} minutes (ready wait {cd.ready_wait_minutes} + "
                    f"traffic shift {traffic_shift_minutes(config)} + termination wait "
                    f"{cd.termination_wait_minutes}), longer than the {DEPLOY_ACTION_TIMEOUT_MINUTES} minutes "
                    "(5 days) CodePipeline's CodeDeployToECS action may run: the action would time out",
                    f"shorten readyWaitMinutes or terminationWaitMinutes so their sum with the shift is at "
                    f"most {DEPLOY_ACTION_TIMEOUT_MINUTES}")]


def security_group_problems(config: Config) -> list[Problem]:
    """Task security groups the user brings while bluegreen creates the load balancer's: nothing
    bluegreen does opens the tasks to a group that does not exist yet, so the load balancer's
    health checks and traffic can't reach the tasks. (The opposite, user load balancer groups
    with a bluegreen task group, works: bluegreen opens the container port to the first of
    them.) When the user brings both, only their rules can tell: see `task_ingress_problems`."""
    net = config.network
    if not net.task_security_groups or net.alb_security_groups:
        return []
    return [Problem("network.taskSecurityGroups",
                    "these task security groups are yours but the load balancer's group is created by "
                    "bluegreen, so none of them lets the load balancer reach the container port "
                    f"{config.task.container_port}: targets would stay unhealthy",
                    "leave taskSecurityGroups empty (bluegreen creates one open to the load balancer), or "
                    "list your load balancer groups in albSecurityGroups and open the container port to them")]


def task_ingress_problems(config: Config, ingress: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    """The online half of `security_group_problems`, for user task and load balancer groups:
    `ingress` maps each task group id to its `IpPermissions` (EC2 DescribeSecurityGroups).
    A problem when no permission covers the container port over TCP from one of the load
    balancer's groups or from 0.0.0.0/0."""
    net = config.network
    if not net.task_security_groups or not net.alb_security_groups:
        return []
    port = config.task.container_port
    for group in net.task_security_groups:
        for permission in ingress.get(group, []):
            protocol = permission.get("IpProtocol")
            low, high = permission.get("FromPort", 0), permission.get("ToPort", 65535)
            if protocol not in ("tcp", "-1", "6"):
                continue
            if protocol != "-1" and not low <= port <= high:
                continue
            pairs = permission.get("UserIdGroupPairs") or []
            ranges = permission.get("IpRanges") or []
            if any(p.get("GroupId") in net.alb_security_groups for p in pairs):
                return []
            if any(r.get("CidrIp") == "0.0.0.0/0" for r in ranges):
                return []
    return [Problem("network.taskSecurityGroups",
                    f"no task security group opens TCP port {port} to the load balancer's groups "
                    f"({', '.join(net.alb_security_groups)}): targets would stay unhealthy",
                    f"add an inbound rule for TCP {port} from {net.alb_security_groups[0]} to "
                    f"{net.task_security_groups[0]}")]


def offline_problems(config: Config) -> list[Problem]:
    """Every rule here that needs nothing but the config: what `bluegreen validate` runs."""
    return [*public_ip_problems(config, auto_subnets_public(config)),
            *parallel_problems(config), *timeout_problems(config), *security_group_problems(config)]
