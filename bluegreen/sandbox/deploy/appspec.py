"""Reading an ECS AppSpec: the task definition, the container and port traffic goes to, the
Lambda hooks.

The structure is the User Guide's ("AppSpec 'resources' section for Amazon ECS deployments",
"AppSpec 'hooks' section for an Amazon ECS deployment"): YAML or JSON with ``version``,
``Resources`` (one ``AWS::ECS::Service`` resource whose ``Properties`` hold ``TaskDefinition``
and ``LoadBalancerInfo`` ``ContainerName``/``ContainerPort``, optionally ``PlatformVersion``,
``NetworkConfiguration``, ``CapacityProviderStrategy``) and ``Hooks`` (a list of
``{lifecycle event: function}``). AWS's own examples spell the section names both capitalised and
not, so keys are matched without regard to case. A content that does not fit is
``InvalidRevisionException``, the error CodeDeploy declares for a revision in an invalid format
(the words after its documented sentence are the sandbox's: docs/sandbox-deployments.md).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from ..wire import AwsError
from .model import HOOK_EVENTS

ECS_SERVICE_TYPE = "AWS::ECS::Service"


@dataclass(frozen=True)
class AppSpec:
    task_definition: str
    container_name: str
    container_port: int
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None
    hooks: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (event, function) in file order

    def hook(self, event: str) -> list[str]:
        return [fn for name, fn in self.hooks if name == event]


def invalid(reason: str) -> AwsError:
    return AwsError("InvalidRevisionException", f"The revision was specified in an invalid format: {reason}.")


def _load(content: str) -> Any:
    try:
        return json.loads(content)  # JSON first: AWS's JSON examples hold tabs, which YAML refuses
    except ValueError:
        pass
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(io.StringIO(content))
    except YAMLError as exc:
        raise invalid(f"the AppSpec content is neither YAML nor JSON ({str(exc).splitlines()[0]})") from None


def _get(mapping: Any, key: str) -> Any:
    """``mapping[key]`` matched without regard to case; None when absent."""
    if not isinstance(mapping, dict):
        return None
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


def parse(content: str) -> AppSpec:
    document = _load(content)
    if not isinstance(document, dict):
        raise invalid("the AppSpec content is not a YAML or JSON mapping")
    resources = _get(document, "Resources")
    if not isinstance(resources, list) or not resources:
        raise invalid("the AppSpec file has no Resources section")
    services = []
    for entry in resources:
        if not isinstance(entry, dict):
            continue
        for resource in entry.values():
            if str(_get(resource, "Type") or "") == ECS_SERVICE_TYPE:
                services.append(resource)
    if len(services) != 1:
        raise invalid(f"the AppSpec file must have exactly one resource of type {ECS_SERVICE_TYPE}")
    props = _get(services[0], "Properties")
    if not isinstance(props, dict):
        raise invalid("the AWS::ECS::Service resource has no Properties")
    task_definition = _get(props, "TaskDefinition")
    if not isinstance(task_definition, str) or not task_definition:
        raise invalid("TaskDefinition is required in the Properties of the AWS::ECS::Service resource")
    lb = _get(props, "LoadBalancerInfo")
    name, port = _get(lb, "ContainerName"), _get(lb, "ContainerPort")
    if not isinstance(name, str) or not name:
        raise invalid("LoadBalancerInfo.ContainerName is required")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise invalid("LoadBalancerInfo.ContainerPort is required and must be a port number")
    platform = _get(props, "PlatformVersion")
    network = _get(props, "NetworkConfiguration")
    return AppSpec(
        task_definition=task_definition,
        container_name=name,
        container_port=port,
        platform_version=str(platform) if platform is not None else None,
        network_configuration=dict(network) if isinstance(network, dict) else None,
        hooks=_hooks(_get(document, "Hooks")),
    )


def _hooks(section: Any) -> tuple[tuple[str, str], ...]:
    if section is None:
        return ()
    if not isinstance(section, list):
        raise invalid("the Hooks section must be a list of lifecycle event hooks")
    found: list[tuple[str, str]] = []
    for entry in section:
        if not isinstance(entry, dict):
            raise invalid("each entry of the Hooks section maps a lifecycle event to a Lambda function")
        for event, function in entry.items():
            if event not in HOOK_EVENTS:
                raise invalid(f"{event} is not a lifecycle event hook of an Amazon ECS deployment")
            if not isinstance(function, str) or not function:
                raise invalid(f"the {event} hook must name a Lambda function")
            found.append((str(event), function))
    return tuple(found)
