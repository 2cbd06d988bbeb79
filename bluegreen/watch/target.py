"""What to watch: the names of a stack's resources, from its config (`target_of`) or found from
its pipeline on the account (`find_target`), and the stacks a region holds (`find_stacks`).

Finding from the pipeline reads what the pipeline itself is wired to, so it also works for a
pipeline bluegreen did not make: the CodeDeployToECS action names the application and deployment
group; the group names the ECS service and the target group pair with its production and test
listeners; the service's task definition names the container behind the load balancer and its
awslogs group; the ECR source action names the watched image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bluegreen.aws.errors import Meaning, meaning
from bluegreen.aws.session import AwsSession
from bluegreen.errors import BadInput, Failed, aws_error_code
from bluegreen.model.config import TAG_KEY, Config, tag_value
from bluegreen.watch.fetch_pipeline import DEPLOY_PROVIDERS
from bluegreen.watch.snapshot import WatchTarget


def target_of(config: Config) -> WatchTarget:
    lb = config.load_balancer
    return WatchTarget(
        stack=config.name, region=config.region, pipeline=config.pipeline.name,
        application=config.code_deploy.application, deployment_group=config.code_deploy.deployment_group,
        cluster=config.ecs.cluster, service=config.ecs.service, load_balancer=lb.name,
        blue_target_group=lb.blue_target_group, green_target_group=lb.green_target_group,
        production_port=lb.production_port, test_port=lb.test_port, log_group=config.task.log_group,
        container=config.task.container_name, watched_image=f"{config.image.repository}:{config.image.tag}",
    )


def find_target(session: AwsSession, pipeline: str) -> WatchTarget:
    codepipeline = session.client("codepipeline")
    try:
        answer = codepipeline.get_pipeline(name=pipeline)
    except Exception as exc:
        if aws_error_code(exc) == "PipelineNotFoundException":
            raise BadInput(f"no pipeline named {pipeline!r} in {session.region}",
                           "check the name and the region (aws codepipeline list-pipelines)") from None
        raise
    actions = [a for stage in answer["pipeline"].get("stages") or [] for a in stage.get("actions") or []]
    deploy = next((a for a in actions if (a.get("actionTypeId") or {}).get("provider") in DEPLOY_PROVIDERS), None)
    if deploy is None:
        raise Failed(f"pipeline {pipeline!r} has no CodeDeploy action",
                     "bluegreen watches pipelines that deploy to ECS blue/green with a CodeDeployToECS action")
    application = str(deploy["configuration"]["ApplicationName"])
    group_name = str(deploy["configuration"]["DeploymentGroupName"])
    image = next((a for a in actions if (a.get("actionTypeId") or {}).get("provider") == "ECR"), None)
    watched = ""
    if image is not None:
        options = image.get("configuration") or {}
        watched = f"{options.get('RepositoryName', '')}:{options.get('ImageTag') or 'latest'}"
    stack = _stack_tag(codepipeline, str((answer.get("metadata") or {}).get("pipelineArn") or "")) or pipeline

    group = session.client("codedeploy").get_deployment_group(
        applicationName=application, deploymentGroupName=group_name)["deploymentGroupInfo"]
    services = group.get("ecsServices") or []
    pairs = (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
    if not services or not pairs:
        raise Failed(f"deployment group {group_name!r} is not an ECS blue/green group (no service or target groups)",
                     "point the pipeline at an ECS deployment group with a target group pair")
    cluster, service = str(services[0]["clusterName"]), str(services[0]["serviceName"])
    pair = pairs[0]
    groups = [str(g.get("name") or "") for g in pair.get("targetGroups") or []] + ["", ""]
    production = ((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [""])[0]
    test = ((pair.get("testTrafficRoute") or {}).get("listenerArns") or [""])[0]
    listeners = [arn for arn in (production, test) if arn]
    ports = {str(lst["ListenerArn"]): int(lst["Port"]) for lst in
             session.client("elbv2").describe_listeners(ListenerArns=listeners)["Listeners"]} if listeners else {}
    container, log_group = _container(session, cluster, service)
    return WatchTarget(
        stack=stack, region=session.region, pipeline=pipeline, application=application, deployment_group=group_name,
        cluster=cluster, service=service, load_balancer=_balancer_name(production or test),
        blue_target_group=groups[0], green_target_group=groups[1], production_port=ports.get(production, 0),
        test_port=ports.get(test, 0), log_group=log_group, container=container, watched_image=watched,
    )


def _stack_tag(codepipeline: Any, arn: str) -> str:
    if not arn:
        return ""
    return tag_value(codepipeline.list_tags_for_resource(resourceArn=arn).get("tags")) or ""


def _balancer_name(listener_arn: str) -> str:
    """arn:...:listener/app/<name>/<lb id>/<listener id> -> <name> (the ARN format ELBv2 documents)."""
    parts = listener_arn.split(":listener/", 1)
    pieces = parts[1].split("/") if len(parts) == 2 else []
    return pieces[1] if len(pieces) >= 3 else ""


def _container(session: AwsSession, cluster: str, service: str) -> tuple[str, str]:
    """The container the load balancer sends traffic to, and its awslogs group."""
    ecs = session.client("ecs")
    found = (ecs.describe_services(cluster=cluster, services=[service]).get("services") or [{}])[0]
    sets = found.get("taskSets") or []
    primary = next((s for s in sets if s.get("status") == "PRIMARY"), sets[0] if sets else {})
    definition_arn = found.get("taskDefinition") or primary.get("taskDefinition")
    balanced = (found.get("loadBalancers") or primary.get("loadBalancers") or [{}])[0].get("containerName")
    if not definition_arn:
        return str(balanced or ""), ""
    definition = ecs.describe_task_definition(taskDefinition=definition_arn)["taskDefinition"]
    containers = definition.get("containerDefinitions") or []
    chosen = next((c for c in containers if c.get("name") == balanced), containers[0] if containers else {})
    logging = chosen.get("logConfiguration") or {}
    group = (logging.get("options") or {}).get("awslogs-group", "") if logging.get("logDriver") == "awslogs" else ""
    return str(chosen.get("name") or balanced or ""), str(group)


@dataclass(frozen=True)
class StackSummary:
    stack: str
    pipeline: str
    region: str
    latest_status: str = ""  # the newest execution's status ("" if none ran or it could not be read)
    latest_at: datetime | None = None  # when it started


def find_stacks(session: AwsSession) -> tuple[StackSummary, ...]:
    """Every pipeline of the region tagged bluegreen:stack, by stack name, with its newest
    execution (one ListPipelineExecutions each)."""
    tagged = _tagged_pipelines(session)
    codepipeline = session.client("codepipeline")
    found = []
    for pipeline, stack in sorted(tagged.items(), key=lambda item: (item[1], item[0])):
        status, started = "", None
        try:
            runs = codepipeline.list_pipeline_executions(pipelineName=pipeline, maxResults=1)
            newest = (runs.get("pipelineExecutionSummaries") or [{}])[0]
            status, started = str(newest.get("status") or ""), newest.get("startTime")
        except Exception as exc:
            if meaning(exc) not in (Meaning.NOT_FOUND, Meaning.THROTTLED, Meaning.ACCESS_DENIED):
                raise  # the list is still useful without a status; anything else is a real problem
        found.append(StackSummary(stack, pipeline, session.region, status, started))
    return tuple(found)


def _tagged_pipelines(session: AwsSession) -> dict[str, str]:
    """pipeline name -> stack name. The Resource Groups Tagging API answers in one paged call;
    where it is refused, every pipeline's own tags are read (ListPipelines, ListTagsForResource)."""
    try:
        found: dict[str, str] = {}
        tagging = session.client("resourcegroupstaggingapi")
        for page in tagging.get_paginator("get_resources").paginate(
                TagFilters=[{"Key": TAG_KEY}], ResourceTypeFilters=["codepipeline"]):
            for mapping in page.get("ResourceTagMappingList") or []:
                arn = str(mapping.get("ResourceARN") or "")
                value = tag_value(mapping.get("Tags")) or ""
                parts = arn.split(":")
                if len(parts) == 6 and value:  # a pipeline's ARN has no resource type (webhooks do)
                    found[parts[5]] = value
        return found
    except Exception as exc:
        if meaning(exc) is not Meaning.ACCESS_DENIED:
            raise
    codepipeline = session.client("codepipeline")
    found = {}
    for page in codepipeline.get_paginator("list_pipelines").paginate():
        for pipeline in page.get("pipelines") or []:
            name = str(pipeline.get("name") or "")
            arn = codepipeline.get_pipeline(name=name)["metadata"]["pipelineArn"]
            value = _stack_tag(codepipeline, str(arn))
            if value:
                found[name] = value
    return found
