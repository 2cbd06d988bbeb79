""":class:`~.ports.PublicApi` over the sandbox's own public endpoint.

CodeDeploy on AWS moves traffic with ELBv2's ModifyListener like any client of ELB; here the
same calls go through the sandbox's front door (the pipeline engine's
:class:`~bluegreen.sandbox.pipeline.frontdoor.FrontDoor`), so the load balancer's data plane
follows exactly what the API was told.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..pipeline.frontdoor import FrontDoor
from ..wire import AwsError


def _aws_error(exc: ClientError) -> AwsError:
    error = exc.response.get("Error", {})
    return AwsError(str(error.get("Code") or "InternalFailure"), str(error.get("Message") or ""))


class FrontDoorApi:
    def __init__(self, endpoint_url: str) -> None:
        self.door = FrontDoor(endpoint_url)

    def _call(self, service: str, region: str, operation: str, **params: Any) -> dict[str, Any]:
        try:
            return dict(getattr(self.door.client(service, region), operation)(**params))
        except ClientError as exc:
            raise _aws_error(exc) from None

    def target_group_arn(self, region: str, name: str) -> str:
        groups = self._call("elbv2", region, "describe_target_groups", Names=[name])["TargetGroups"]
        return str(groups[0]["TargetGroupArn"])

    def forward(self, region: str, listener_arn: str, weights: dict[str, int]) -> None:
        groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
        self._call(
            "elbv2",
            region,
            "modify_listener",
            ListenerArn=listener_arn,
            DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}],
        )

    def weights(self, region: str, listener_arn: str) -> dict[str, int]:
        listeners = self._call("elbv2", region, "describe_listeners", ListenerArns=[listener_arn])["Listeners"]
        out: dict[str, int] = {}
        for action in listeners[0].get("DefaultActions") or []:
            if action.get("Type") != "forward":
                continue
            weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            for group in weighted:
                out[str(group["TargetGroupArn"])] = int(group.get("Weight", 1))
            if not weighted and action.get("TargetGroupArn"):
                out[str(action["TargetGroupArn"])] = 1
        return out

    def function_exists(self, region: str, name: str) -> bool:
        try:
            self._call("lambda", region, "get_function", FunctionName=name)
        except AwsError as err:
            if err.code == "ResourceNotFoundException":
                return False
            raise
        return True

    def read_object(self, region: str, bucket: str, key: str, version: str | None) -> bytes:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version:
            params["VersionId"] = version
        return bytes(self._call("s3", region, "get_object", **params)["Body"].read())

    def close(self) -> None:
        self.door.close()
