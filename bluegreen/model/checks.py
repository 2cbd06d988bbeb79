"""Rules over a whole Config that the model itself does not refuse: the config loads, but the
stack it describes would not work (a hook CodeDeploy may not call, tasks that can't pull their
image). The wizard shows them where they arise; `bluegreen validate` refuses a config that
breaks one. Each returns problems ("path: rule. Fix: ..."), none when all is well.

Rules that need what AWS holds (public subnets, existing applications) take those facts as
arguments and live in `bluegreen.aws.preflight`.
"""

from __future__ import annotations

from bluegreen.model.config import Config
from bluegreen.model.configfile import Problem

# AWSCodeDeployRoleForECS(Limited), the CodeDeploy role's policy, may only invoke these functions.
INVOKABLE_HOOK_PREFIX = "CodeDeployHook_"


def hook_problems(config: Config) -> list[Problem]:
    """AppSpec hooks CodeDeploy's role is not allowed to invoke."""
    outside = [f for f in config.code_deploy.hooks.values() if not f.startswith(INVOKABLE_HOOK_PREFIX)]
    if not outside:
        return []
    return [Problem("codeDeploy.hooks", f"CodeDeploy's role may only call functions named {INVOKABLE_HOOK_PREFIX}*",
                    f"rename {', '.join(outside)}, or allow lambda:InvokeFunction on it to "
                    f"{config.code_deploy.service_role_name}")]


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


def offline_problems(config: Config) -> list[Problem]:
    """Every rule here that needs nothing but the config: what `bluegreen validate` runs."""
    return [*hook_problems(config), *public_ip_problems(config, auto_subnets_public(config))]
