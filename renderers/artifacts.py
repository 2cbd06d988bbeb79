"""Every artifact of a stack, rendered from one `Config`: what `bluegreen render` writes.

JSON artifacts carry the (service, operation) whose request they are, so tests can
validate each against botocore's input shape and the engine can send it unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bluegreen.model.config import Config
from renderers import iam, requests
from renderers.refs import Refs


@dataclass(frozen=True)
class Artifact:
    path: str  # relative, with "/" separators
    text: str
    service: str = ""  # boto3 service name, for requests
    operation: str = ""  # boto3 method name, e.g. "create_service"
    about: str = ""

    @property
    def request(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.text)
        return data


def _json(path: str, service: str, operation: str, request: dict[str, Any], about: str) -> Artifact:
    return Artifact(path, json.dumps(request, indent=2) + "\n", service, operation, about)


def render_all(config: Config, refs: Refs | None = None) -> list[Artifact]:
    from renderers.cloudformation import render_cloudformation

    refs = refs or Refs.offline(config)
    out = [
        _json("taskdef.json", "ecs", "register_task_definition",
              json.loads(requests.taskdef_json(config, refs)),
              "task definition template committed to the source repo (image: <IMAGE1_NAME>)"),
        Artifact("appspec.yaml", requests.appspec_yaml(config),
                 about="AppSpec committed to the source repo (TaskDefinition: <TASK_DEFINITION>)"),
        _json("create-service.json", "ecs", "create_service", requests.create_service(config, refs),
              "the ECS service under the CODE_DEPLOY controller"),
        _json("deployment-group.json", "codedeploy", "create_deployment_group",
              requests.create_deployment_group(config, refs),
              "the CodeDeploy blue/green deployment group"),
        _json("pipeline.json", "codepipeline", "create_pipeline",
              requests.create_pipeline(config, refs), "the pipeline: sources, then CodeDeployToECS"),
    ]
    custom = requests.create_deployment_config(config)
    if custom:
        out.append(_json("deployment-config.json", "codedeploy", "create_deployment_config", custom,
                         "the custom traffic-shifting config"))
    for stem, rule, targets in requests.event_rules(config, refs):
        out.append(_json(f"events/{stem}.rule.json", "events", "put_rule", rule,
                         "EventBridge rule that starts the pipeline"))
        out.append(_json(f"events/{stem}.targets.json", "events", "put_targets", targets,
                         "its target: the pipeline, through the events role"))
    for role in iam.roles(config, refs):
        out.append(_json(f"iam/{role.key}-role.json", "iam", "create_role",
                         requests.create_role(config, role), role.description))
        policy = requests.put_role_policy(role)
        if policy:
            out.append(_json(f"iam/{role.key}-policy.json", "iam", "put_role_policy", policy,
                             f"inline policy of the {role.key} role"))
        for attach in requests.attach_role_policies(role):
            managed = attach["PolicyArn"].rsplit("/", 1)[-1]
            out.append(_json(f"iam/{role.key}-attach-{managed}.json", "iam", "attach_role_policy", attach,
                             f"managed policy {managed} of the {role.key} role"))
    out.append(_json("iam/ecs-service-linked-role.json", "iam", "create_service_linked_role",
                     requests.create_service_linked_role(),
                     "ECS's service-linked role, only when the account has none yet"))
    out += _storage(config, refs)
    out += _network(config, refs)
    out.append(Artifact("cloudformation.yaml", render_cloudformation(config),
                        about="the whole stack as one CloudFormation template"))
    out.append(Artifact("README.md", _readme(config, out), about="this list"))
    return out


def _storage(config: Config, refs: Refs) -> list[Artifact]:
    """The account-level resources of wave 0, the buckets and the source files."""
    src = config.source
    out = [
        _json("ecr-repository.json", "ecr", "create_repository", requests.create_repository(config),
              "the image repository (used as it is when it exists)"),
        _json("cluster.json", "ecs", "create_cluster", requests.create_cluster(config), "the ECS cluster"),
        _json("log-group.json", "logs", "create_log_group", requests.create_log_group(config),
              "the tasks' log group"),
        _json("application.json", "codedeploy", "create_application", requests.create_application(config),
              "the CodeDeploy application"),
        _json("register-task-definition.json", "ecs", "register_task_definition",
              requests.register_task_definition(config, refs, refs.image_uri),
              "the first task definition revision, with the pushed image (the service starts from it)"),
    ]
    buckets = [("artifacts", config.pipeline.artifact_bucket)]
    if src.type == "s3":
        buckets.append(("source", src.bucket))
    for kind, bucket in buckets:
        out += [
            _json(f"buckets/{kind}.json", "s3", "create_bucket", requests.create_bucket(config, bucket),
                  f"the {kind} bucket"),
            _json(f"buckets/{kind}-tagging.json", "s3", "put_bucket_tagging",
                  requests.put_bucket_tagging(config, bucket), "its stack tag"),
            _json(f"buckets/{kind}-public-access-block.json", "s3", "put_public_access_block",
                  requests.put_public_access_block(bucket), "no public access"),
        ]
    versioning, notification = requests.put_bucket_versioning(config), requests.put_bucket_notification(config)
    if versioning:
        out.append(_json("buckets/source-versioning.json", "s3", "put_bucket_versioning", versioning,
                         "versioning, which CodePipeline needs of an S3 source"))
    if notification:
        out.append(_json("buckets/source-notification.json", "s3", "put_bucket_notification_configuration",
                         notification, "its events sent to EventBridge (the source-change rule sees them)"))
    if src.type == "codecommit":
        out += [
            _json("codecommit-repository.json", "codecommit", "create_repository",
                  requests.create_codecommit_repository(config), "the source repository"),
            _json("source-commit.json", "codecommit", "create_commit", requests.create_commit(config, refs),
                  "the first commit of taskdef.json and appspec.yaml (a later one names its parent)"),
        ]
    else:
        out.append(_json("source-object.json", "s3", "put_object", requests.put_source_object(config),
                         "the upload of the source zip (taskdef.json + appspec.yaml); Body is the zip"))
    return out


def _network(config: Config, refs: Refs) -> list[Artifact]:
    lb = config.load_balancer
    out: list[Artifact] = []
    if not config.network.alb_security_groups:
        out.append(_json("network/alb-security-group.json", "ec2", "create_security_group",
                         requests.create_security_group(config, refs, "alb"),
                         "security group of the load balancer"))
        out.append(_json("network/alb-security-group-ingress.json", "ec2",
                         "authorize_security_group_ingress",
                         requests.alb_ingress(config, refs.alb_security_group_ids[0]),
                         "production and test ports open to the internet"))
    if not config.network.task_security_groups:
        out.append(_json("network/task-security-group.json", "ec2", "create_security_group",
                         requests.create_security_group(config, refs, "task"),
                         "security group of the tasks"))
        out.append(_json("network/task-security-group-ingress.json", "ec2",
                         "authorize_security_group_ingress",
                         requests.task_ingress(config, refs.task_security_group_ids[0],
                                               refs.alb_security_group_ids[0]),
                         "container port open to the load balancer only"))
    for color, name in (("blue", lb.blue_target_group), ("green", lb.green_target_group)):
        out.append(_json(f"network/target-group-{color}.json", "elbv2", "create_target_group",
                         requests.create_target_group(config, refs, name), f"{color} target group"))
    out.append(_json("network/load-balancer.json", "elbv2", "create_load_balancer",
                     requests.create_load_balancer(config, refs), "the Application Load Balancer"))
    for kind, port in (("production", lb.production_port), ("test", lb.test_port)):
        out.append(_json(f"network/listener-{kind}.json", "elbv2", "create_listener",
                         requests.create_listener(config, refs, port), f"{kind} listener :{port}"))
    return out


_PLACEHOLDER = re.compile(r"<([A-Z0-9_]+)>")
_PIPELINE_PLACEHOLDERS = {"IMAGE1_NAME", "TASK_DEFINITION"}


def unresolved(artifacts: list[Artifact]) -> list[str]:
    """Placeholders that only AWS can fill (ids and ARNs), not the pipeline's own two."""
    found = {m for a in artifacts for m in _PLACEHOLDER.findall(a.text)}
    return sorted(found - _PIPELINE_PLACEHOLDERS)


def _readme(config: Config, artifacts: list[Artifact]) -> str:
    lines = [f"# bluegreen stack `{config.name}` ({config.region})", "",
             "Rendered by `bluegreen render`. Each JSON file is the exact request of one boto3 call.",
             "", "| file | call | what |", "|---|---|---|"]
    for a in artifacts:
        call = f"`{a.service}.{a.operation}`" if a.operation else ""
        lines.append(f"| {a.path} | {call} | {a.about} |")
    missing = unresolved(artifacts)
    if missing:
        lines += ["", "Values in angle brackets exist only once AWS creates the resource; "
                  "`bluegreen apply` fills them in: " + ", ".join(f"`<{m}>`" for m in missing) + ".",
                  "`<IMAGE1_NAME>` and `<TASK_DEFINITION>` stay: CodePipeline replaces them on each run."]
    return "\n".join(lines) + "\n"
