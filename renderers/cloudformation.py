"""The whole stack as one CloudFormation template (`cloudformation.yaml`).

It mirrors what the engine creates through the API (see `renderers.requests`): same names,
same settings, same tags, and the IAM documents of `renderers.iam` unchanged except that
account, partition and region become pseudo parameters. The Jinja template holds the
document's shape; this module computes the values, each injected with `tojson` (JSON is
valid YAML, so quoting is always right). Intrinsic functions use their JSON forms
(`{"Ref": ...}`, `{"Fn::Sub": ...}`), which any YAML parser reads without custom tags.
"""

from __future__ import annotations

from typing import Any

from bluegreen.model.config import TAG_KEY, Config, CustomTrafficShift
from renderers import iam
from renderers.jinja import render_template
from renderers.refs import Refs
from renderers.requests import IMAGE_ARTIFACT, SOURCE_ARTIFACT

Value = Any  # plain data, or a CloudFormation intrinsic function in its JSON form

# Refs.offline(config, ACCOUNT) builds every ARN with this in the account field; the
# template turns it into ${AWS::AccountId}.
ACCOUNT = "<ACCOUNT_ID>"

ROLE_IDS = {
    "execution": "ExecutionRole",
    "codedeploy": "CodeDeployRole",
    "pipeline": "PipelineRole",
    "events": "EventsRole",
}


def ref(logical_id: str) -> Value:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> Value:
    return {"Fn::GetAtt": [logical_id, attribute]}


def literal(text: str) -> str:
    """Text placed inside an Fn::Sub string, kept as written."""
    return text.replace("${", "${!")


def sub(text: str) -> Value:
    """Fn::Sub when `text` has a ${...} variable, else the plain string (cfn-lint W1020)."""
    return {"Fn::Sub": text} if "${" in text.replace("${!", "") else text.replace("${!", "${")


def _arn(text: str, region: str) -> Value:
    """An ARN built by `renderers.refs.Arns` with account ACCOUNT: partition,
    region and account become pseudo parameters, so the template works in any account."""
    parts = text.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return text
    _, _partition, service, arn_region, account, resource = parts
    arn_region = "${AWS::Region}" if arn_region == region else literal(arn_region)
    account = "${AWS::AccountId}" if account == ACCOUNT else literal(account)
    return sub(f"arn:${{AWS::Partition}}:{service}:{arn_region}:{account}:{literal(resource)}")


def _pseudo(value: Value, config: Config, keep: frozenset[str]) -> Value:
    """Every generated ARN (and account placeholder) in a document, as Fn::Sub."""
    if isinstance(value, dict):
        return {k: _pseudo(v, config, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_pseudo(v, config, keep) for v in value]
    if isinstance(value, str) and value not in keep:
        if value.startswith("arn:aws:"):
            return _arn(value, config.region)
        if ACCOUNT in value:
            return sub(literal(value).replace(ACCOUNT, "${AWS::AccountId}"))
    return value


def _roles(config: Config, refs: Refs) -> list[dict[str, Value]]:
    keep = frozenset(a for a in (config.task.execution_role_arn, config.task.task_role_arn) if a)
    out = []
    for spec in iam.roles(config, refs):
        out.append({
            "id": ROLE_IDS.get(spec.key, spec.key.title().replace("-", "") + "Role"),
            "name": spec.name,
            "description": spec.description,
            "trust": spec.trust_policy,
            "managed": [_pseudo(arn, config, keep) for arn in spec.managed_policies],
            "policy_name": spec.inline_policy_name,
            "policy": _pseudo(spec.inline_policy, config, keep) if spec.inline_policy else None,
        })
    return out


def _security_groups(config: Config) -> dict[str, Value]:
    net = config.network
    lb = config.load_balancer
    tag = [{"Key": TAG_KEY, "Value": config.name}]
    alb: list[Value] = list(net.alb_security_groups) or [ref("AlbSecurityGroup")]
    task: list[Value] = list(net.task_security_groups) or [ref("TaskSecurityGroup")]
    port = config.task.container_port
    return {
        "create_alb_sg": not net.alb_security_groups,
        "create_task_sg": not net.task_security_groups,
        "alb_sgs": alb,
        "task_sgs": task,
        "alb_sg": {
            "name": f"{config.name}-alb",
            "description": f"bluegreen {config.name}: load balancer",
            "ingress": [
                {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIp": "0.0.0.0/0",
                 "Description": what}
                for p, what in ((lb.production_port, "production traffic"),
                                (lb.test_port, "test traffic"))
            ],
            "tags": [*tag, {"Key": "Name", "Value": f"{config.name}-alb"}],
        },
        "task_sg": {
            "name": f"{config.name}-task",
            "description": f"bluegreen {config.name}: ECS tasks",
            "ingress": [
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                 "SourceSecurityGroupId": group, "Description": "from the load balancer"}
                for group in alb
            ],
            "tags": [*tag, {"Key": "Name", "Value": f"{config.name}-task"}],
        },
    }


def _container(config: Config) -> dict[str, Value]:
    """The parts of taskdef.json's container that need more than a scalar."""
    task = config.task
    health = task.health_check
    return {
        "image": {"Fn::If": [
            "UseRepositoryImage",
            {"Fn::Sub": f"${{ImageRepository.RepositoryUri}}:{literal(config.image.tag)}"},
            ref("ImageUri"),
        ]},
        "environment": [{"Name": k, "Value": v} for k, v in sorted(task.environment.items())],
        "health_check": health and {
            "Command": health.command, "Interval": health.interval, "Timeout": health.timeout,
            "Retries": health.retries, "StartPeriod": health.start_period,
        },
        "log_options": {
            "awslogs-group": ref("LogGroup"),
            "awslogs-region": ref("AWS::Region"),
            "awslogs-stream-prefix": task.log_stream_prefix or task.container_name,
        },
    }


def _deployment(config: Config) -> dict[str, Value]:
    cd = config.code_deploy
    shift = cd.deployment_config
    routing: Value = None
    if isinstance(shift, CustomTrafficShift):
        if shift.type == "linear":
            routing = {"Type": "TimeBasedLinear", "TimeBasedLinear": {
                "LinearPercentage": shift.percent, "LinearInterval": shift.interval_minutes}}
        else:
            routing = {"Type": "TimeBasedCanary", "TimeBasedCanary": {
                "CanaryPercentage": shift.percent, "CanaryInterval": shift.interval_minutes}}
    ready: dict[str, Value] = {"ActionOnTimeout": cd.ready_action}
    if cd.ready_action == "STOP_DEPLOYMENT":
        ready["WaitTimeInMinutes"] = cd.ready_wait_minutes
    rollback = {"Enabled": bool(cd.auto_rollback_events), "Events": list(cd.auto_rollback_events)}
    alarms = cd.alarms and {"Enabled": True, "Alarms": [{"Name": a} for a in cd.alarms]}
    return {
        "routing": routing,
        "config_name": ref("DeploymentConfig") if routing else config.deployment_config_name,
        "ready": ready,
        "rollback": rollback,
        "alarms": alarms or None,
    }


def _source(config: Config) -> dict[str, Value]:
    """The pipeline's source action and the EventBridge pattern of a source change."""
    src = config.source
    if src.type == "codecommit":
        return {
            "provider": "CodeCommit",
            "configuration": {
                "RepositoryName": get_att("SourceRepository", "Name"),
                "BranchName": src.branch,
                "PollForSourceChanges": "false",  # the EventBridge rule starts the pipeline
            },
            "pattern": {
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [get_att("SourceRepository", "Arn")],
                "detail": {"event": ["referenceCreated", "referenceUpdated"],
                           "referenceType": ["branch"], "referenceName": [src.branch]},
            },
            "where": f"committed to the CodeCommit repository {src.repository}, branch {src.branch}",
        }
    return {
        "provider": "S3",
        "configuration": {
            "S3Bucket": ref("SourceBucket"),
            "S3ObjectKey": src.key,
            "PollForSourceChanges": "false",
        },
        "pattern": {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [ref("SourceBucket")]}, "object": {"key": [src.key]}},
        },
        "where": f"zipped (both at the zip's root) and uploaded to s3://{src.bucket}/{src.key}",
    }


def render_cloudformation(config: Config) -> str:
    refs = Refs.offline(config, account_id=ACCOUNT)
    net = config.network
    lb = config.load_balancer
    image_pattern = {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"],
                   "repository-name": [ref("ImageRepository")], "image-tag": [config.image.tag]},
    }
    execution_role: Value = (
        get_att("ExecutionRole", "Arn") if config.creates_execution_role
        else config.task.execution_role_arn
    )
    # a role given by ARN is used as it is; the others are the template's own
    brought_roles: dict[str, Value] = {
        "codedeploy": config.code_deploy.service_role_arn or get_att("CodeDeployRole", "Arn"),
        "pipeline": config.pipeline.role_arn or get_att("PipelineRole", "Arn"),
        "events": config.pipeline.events_role_arn or get_att("EventsRole", "Arn"),
    }
    return render_template(
        "cloudformation.yaml.j2",
        config=config,
        tags=[{"Key": TAG_KEY, "Value": config.name}],
        roles=_roles(config, refs),
        execution_role=execution_role,
        role_arns=brought_roles,
        vpc_default=net.vpc if net.vpc != "default" else None,
        subnets_default=",".join(s.id for s in net.subnets) or None,
        **_security_groups(config),
        container=_container(config),
        deployment=_deployment(config),
        source=_source(config),
        image_pattern=image_pattern,
        pipeline_arn=sub(
            "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}"
        ),
        source_artifact=SOURCE_ARTIFACT,
        image_artifact=IMAGE_ARTIFACT,
        assign_public_ip="ENABLED" if net.assign_public_ip else "DISABLED",
        production_url=sub(_url(lb.production_port)),
        test_url=sub(_url(lb.test_port)),
    )


def _url(port: int) -> str:
    return "http://${LoadBalancer.DNSName}" + ("" if port == 80 else f":{port}")
