"""The deployment config a CodeDeploy deployment group uses: the resource CodePipeline's
``codedeploy:GetDeploymentConfig`` is authorized against. Read through the sandbox's front door,
where the sandbox's CodeDeploy answers it as it answers any client."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ..pipeline.frontdoor import FrontDoor


class GroupConfigs:
    def __init__(self, endpoint_url: str) -> None:
        self.front = FrontDoor(endpoint_url)

    def __call__(self, region: str, application: str, group: str) -> str | None:
        try:
            info = self.front.client("codedeploy", region).get_deployment_group(
                applicationName=application, deploymentGroupName=group
            )["deploymentGroupInfo"]
        except (ClientError, BotoCoreError):
            return None  # no such group: the deployment fails on it anyway
        return str(info.get("deploymentConfigName") or "") or None

    def close(self) -> None:
        self.front.close()
