"""Rules that judge a config against what the account holds, given the discovered records
(no calls here): the wizard runs them on what it discovered, as the user chooses. Each returns
problems ("path: rule. Fix: ..."), none when all is well. Rules over the config alone live in
`bluegreen.model.checks`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bluegreen.aws.discovery_records import CodeDeployApplication, Subnet
from bluegreen.model.config import Config
from bluegreen.model.configfile import Problem

SUBNETS = "network.subnets"
# What AWS answers an account that never had a CodeCommit repository (closed to new customers in
# 2024, reopened in late 2025): any CodeCommit call may carry it.
CODECOMMIT_CLOSED = "not allowed because there is no existing repository"


def subnet_problems(chosen: Sequence[Subnet], scheme: str) -> list[Problem]:
    """Why these subnets can't carry the load balancer: an internet-facing one needs public
    subnets (by the route-table rule), and every load balancer needs 2 zones, one subnet each."""
    if not chosen:
        return [Problem(SUBNETS, "no subnet is ticked: an Application Load Balancer needs subnets in at least 2 "
                                 "availability zones", "tick one public subnet in each of two zones")]
    out: list[Problem] = []
    if scheme == "internet-facing":
        for s in chosen:
            if not s.public:
                named = f"{s.id} ({s.name})" if s.name else s.id
                table = f"its route table {s.route_table_id}" if s.route_table_id else "its route table"
                out.append(Problem(SUBNETS, f"{named} is private: {table} has no 0.0.0.0/0 route to an internet "
                                            "gateway, so an internet-facing load balancer can't be reached through it",
                                   "untick it and tick a PUBLIC subnet, or make the scheme internal"))
    if len(chosen) == 1:
        out.append(Problem(SUBNETS, f"only one subnet is ticked ({chosen[0].id} in {chosen[0].az}): an Application "
                                    "Load Balancer needs subnets in at least 2 availability zones",
                           "tick a subnet in another zone"))
        return out
    by_zone: dict[str, list[str]] = {}
    for s in chosen:
        by_zone.setdefault(s.az, []).append(s.id)
    if len(by_zone) == 1:
        zone, ids = next(iter(by_zone.items()))
        out.append(Problem(SUBNETS, f"{' and '.join(ids)} are all in {zone}: an Application Load Balancer needs "
                                    "subnets in at least 2 availability zones",
                           "replace one with a subnet of another zone"))
    else:
        for zone, ids in by_zone.items():
            if len(ids) > 1:
                out.append(Problem(SUBNETS, f"{' and '.join(ids)} are both in {zone}: a load balancer takes one "
                                            "subnet per availability zone", "keep one of them"))
    return out


def codecommit_closed(error: str) -> bool:
    """Whether an AWS error says this account may not use CodeCommit at all."""
    return CODECOMMIT_CLOSED in error


def application_problems(config: Config, applications: Sequence[CodeDeployApplication]) -> list[Problem]:
    """An existing application of the configured name must be an ECS one to take the group."""
    name = config.code_deploy.application
    app = next((a for a in applications if a.name == name), None)
    if app is None or app.compute_platform == "ECS":
        return []
    return [Problem("codeDeploy.application", f"{app.name} is a {app.compute_platform} application",
                    "choose another name")]
