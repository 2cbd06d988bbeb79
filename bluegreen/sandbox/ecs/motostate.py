"""What the ECS emulation reads from (and, for a service's task definition, writes to) moto's
state: task definitions, subnets, target groups, services. Errors are ECS's."""

from __future__ import annotations

from typing import Any

from ..services.common import moto_backend
from ..wire import AwsError


class MotoState:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def backend(self, service: str, region: str) -> Any:
        return moto_backend(service, self.account_id, region)

    def task_definition(self, region: str, reference: str) -> dict[str, Any]:
        """A family, family:revision or ARN as DescribeTaskDefinition shapes it (the fields the
        runtime and DescribeTasks use); ClientException when there is none."""
        ecs = self.backend("ecs", region)
        try:
            found = ecs.describe_task_definition(reference)
        except Exception:
            raise AwsError("ClientException", "Unable to describe task definition.") from None
        return {
            "taskDefinitionArn": found.arn,
            "family": found.family,
            "revision": found.revision,
            "containerDefinitions": [dict(c) for c in found.container_definitions],
            "networkMode": found.network_mode,
            "cpu": found.cpu,
            "memory": found.memory,
        }

    def subnet(self, region: str, subnet_id: str) -> tuple[str, str, set[str]]:
        """CIDR, availability zone, and the private IPs EC2's own interfaces hold there."""
        ec2 = self.backend("ec2", region)
        subnet = ec2.get_subnet(subnet_id)
        taken = {str(eni.private_ip_address) for eni in list(getattr(ec2, "enis", {}).values())
                 if getattr(eni, "subnet", None) is not None and eni.subnet.id == subnet_id}
        return str(subnet.cidr_block), str(subnet.availability_zone), taken

    def target_group_exists(self, region: str, arn: str) -> bool:
        return arn in self.backend("elbv2", region).target_groups

    def service(self, region: str, cluster: str, name: str) -> Any | None:
        """moto's service object (any status), or None."""
        return self.backend("ecs", region).services.get(f"{cluster}:{name}")

    def cluster(self, region: str, name_or_arn: str) -> Any | None:
        return self.backend("ecs", region).clusters.get(name_or_arn.split("/")[-1])
