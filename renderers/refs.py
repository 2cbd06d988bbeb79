"""Identifiers that only exist once resources do: account id, ARNs with random suffixes, ids.

Renderers take a `Refs` next to the `Config`. Offline (`bluegreen render`) the unknown
ones are visible placeholders such as `<ACCOUNT_ID>`; the engine passes the real values
it found or created, so the same renderer writes the exact request it sends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bluegreen.model.config import Config
from bluegreen.model.rules import partition


@dataclass(frozen=True)
class Refs:
    account_id: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    alb_security_group_ids: tuple[str, ...]
    task_security_group_ids: tuple[str, ...]
    load_balancer_arn: str
    blue_target_group_arn: str
    green_target_group_arn: str
    production_listener_arn: str
    test_listener_arn: str
    image_uri: str

    @classmethod
    def offline(cls, config: Config, account_id: str = "<ACCOUNT_ID>") -> Refs:
        """What can be known without AWS; placeholders in angle brackets for the rest."""
        region = config.region
        elb = f"arn:{partition(region)}:elasticloadbalancing:{region}:{account_id}"
        lb = config.load_balancer
        net = config.network
        subnets = tuple(s.id for s in net.subnets) or ("<SUBNET_1>", "<SUBNET_2>")
        registry = f"{account_id}.dkr.ecr.{region}.amazonaws.com"
        return cls(
            account_id=account_id,
            vpc_id=net.vpc if net.vpc != "default" else "<DEFAULT_VPC_ID>",
            subnet_ids=subnets,
            alb_security_group_ids=tuple(net.alb_security_groups) or ("<ALB_SECURITY_GROUP_ID>",),
            task_security_group_ids=tuple(net.task_security_groups)
            or ("<TASK_SECURITY_GROUP_ID>",),
            load_balancer_arn=f"{elb}:loadbalancer/app/{lb.name}/<ID>",
            blue_target_group_arn=f"{elb}:targetgroup/{lb.blue_target_group}/<ID>",
            green_target_group_arn=f"{elb}:targetgroup/{lb.green_target_group}/<ID>",
            production_listener_arn=f"{elb}:listener/app/{lb.name}/<ID>/<PRODUCTION_LISTENER_ID>",
            test_listener_arn=f"{elb}:listener/app/{lb.name}/<ID>/<TEST_LISTENER_ID>",
            image_uri=f"{registry}/{config.image.repository}:{config.image.tag}",
        )

    def with_values(self, **values: object) -> Refs:
        return replace(self, **values)  # type: ignore[arg-type]


class Arns:
    """ARNs that follow from names alone (no random part)."""

    def __init__(self, config: Config, refs: Refs) -> None:
        self.config = config
        self.region = config.region
        # Every ARN's second field. Only "aws" passes the Config today (rules.check_region);
        # the ARNs here follow the region so that lifting that refusal changes nothing here.
        self.partition = partition(config.region)
        self.account = refs.account_id
        self.refs = refs

    def role(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    @property
    def execution_role(self) -> str:
        task = self.config.task
        return task.execution_role_arn or self.role(task.execution_role_name)

    @property
    def codedeploy_role(self) -> str:
        cd = self.config.code_deploy
        return cd.service_role_arn or self.role(cd.service_role_name)

    @property
    def pipeline_role(self) -> str:
        p = self.config.pipeline
        return p.role_arn or self.role(p.role_name)

    @property
    def events_role(self) -> str:
        p = self.config.pipeline
        return p.events_role_arn or self.role(p.events_role_name)

    @property
    def pipeline(self) -> str:
        return f"arn:{self.partition}:codepipeline:{self.region}:{self.account}:{self.config.pipeline.name}"

    @property
    def ecr_repository(self) -> str:
        return f"arn:{self.partition}:ecr:{self.region}:{self.account}:repository/{self.config.image.repository}"

    @property
    def codecommit_repository(self) -> str:
        return f"arn:{self.partition}:codecommit:{self.region}:{self.account}:{self.config.source.repository}"

    @staticmethod
    def bucket(name: str, region: str = "us-east-1") -> str:
        return f"arn:{partition(region)}:s3:::{name}"

    @property
    def log_group(self) -> str:
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{self.config.task.log_group}"

    @property
    def codedeploy_application(self) -> str:
        app = self.config.code_deploy.application
        return f"arn:{self.partition}:codedeploy:{self.region}:{self.account}:application:{app}"

    @property
    def codedeploy_group(self) -> str:
        cd = self.config.code_deploy
        return (
            f"arn:{self.partition}:codedeploy:{self.region}:{self.account}:deploymentgroup:"
            f"{cd.application}/{cd.deployment_group}"
        )

    @property
    def codedeploy_config(self) -> str:
        name = self.config.deployment_config_name
        return f"arn:{self.partition}:codedeploy:{self.region}:{self.account}:deploymentconfig:{name}"
