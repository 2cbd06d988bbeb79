"""The exact boto3 request of every provisioning call, as plain data.

Each builder returns the keyword arguments of one call (`client.<operation>(**request)`),
so the file `bluegreen render` writes, the request the engine sends and the request a
test validates against botocore's input shape are one and the same.
"""

from __future__ import annotations

import json
from typing import Any

from bluegreen.model.config import TAG_KEY, Config, CustomTrafficShift
from renderers import iam
from renderers.jinja import render_template
from renderers.refs import Arns, Refs

Request = dict[str, Any]

LIFECYCLE_HOOK_ORDER = (
    "BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic",
)


# Each AWS service spells tags its own way.
def tags_kv(config: Config) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": config.name}]


def tags_lower(config: Config) -> list[dict[str, str]]:
    return [{"key": TAG_KEY, "value": config.name}]


def tags_map(config: Config) -> dict[str, str]:
    return {TAG_KEY: config.name}


# -- source files --------------------------------------------------------------------


def taskdef_json(config: Config, refs: Refs) -> str:
    task = config.task
    environment = [{"name": k, "value": v} for k, v in sorted(task.environment.items())]
    health = task.health_check
    return render_template(
        "taskdef.json.j2",
        task=task,
        stack=config.name,
        region=config.region,
        execution_role_arn=Arns(config, refs).execution_role,
        environment=environment,
        health_check=health and {
            "command": health.command, "interval": health.interval, "timeout": health.timeout,
            "retries": health.retries, "startPeriod": health.start_period,
        },
    )


def appspec_yaml(config: Config) -> str:
    hooks = config.code_deploy.hooks
    ordered = [(event, function) for event in LIFECYCLE_HOOK_ORDER
               for name, function in hooks.items() if name == event]
    return render_template(
        "appspec.yaml.j2",
        stack=config.name,
        task=config.task,
        platform_version=config.ecs.platform_version,
        hooks=ordered,
    )


def register_task_definition(config: Config, refs: Refs, image_uri: str) -> Request:
    """taskdef.json with a real image: the first revision the service starts from."""
    request: Request = json.loads(taskdef_json(config, refs))
    for container in request["containerDefinitions"]:
        container["image"] = image_uri
    return request


# -- account-level resources ---------------------------------------------------------


def create_role(config: Config, role: iam.RoleSpec) -> Request:
    return {
        "RoleName": role.name,
        "AssumeRolePolicyDocument": json.dumps(role.trust_policy, indent=2),
        "Description": role.description,
        "Tags": tags_kv(config),
    }


def attach_role_policies(role: iam.RoleSpec) -> list[Request]:
    """One `iam.attach_role_policy` per managed policy of the role."""
    return [{"RoleName": role.name, "PolicyArn": arn} for arn in role.managed_policies]


# The ECS service-linked role, made once per account when missing (docs/aws-facts.md section 1).
ECS_SERVICE = "ecs.amazonaws.com"


def create_service_linked_role() -> Request:
    return {"AWSServiceName": ECS_SERVICE}


def put_role_policy(role: iam.RoleSpec) -> Request | None:
    if role.inline_policy is None:
        return None
    return {
        "RoleName": role.name,
        "PolicyName": role.inline_policy_name,
        "PolicyDocument": json.dumps(role.inline_policy, indent=2),
    }


def create_bucket(config: Config, bucket: str, with_tags: bool = True) -> Request:
    """CreateBucket, with the stack tag in the call (`CreateBucketConfiguration.Tags`: S3 tags
    general purpose buckets at creation; docs/aws-facts.md section 6), so that no crash can leave
    the bucket untagged. `with_tags=False` is the older two-call way (then PutBucketTagging)."""
    request: Request = {"Bucket": bucket}
    configuration: dict[str, Any] = {}
    if config.region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        configuration["LocationConstraint"] = config.region
    if with_tags:
        configuration["Tags"] = tags_kv(config)
    if configuration:
        request["CreateBucketConfiguration"] = configuration
    return request


def put_bucket_tagging(config: Config, bucket: str) -> Request:
    return {"Bucket": bucket, "Tagging": {"TagSet": tags_kv(config)}}


def put_public_access_block(bucket: str) -> Request:
    """Every bucket of the stack is private: CodePipeline and the tasks reach it through IAM."""
    return {"Bucket": bucket, "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}


def create_repository(config: Config) -> Request:
    return {
        "repositoryName": config.image.repository,
        "imageTagMutability": "MUTABLE",  # the pipeline follows a moving tag such as 'latest'
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "tags": tags_kv(config),
    }


def create_codecommit_repository(config: Config) -> Request:
    return {
        "repositoryName": config.source.repository,
        "repositoryDescription": f"taskdef.json and appspec.yaml of the bluegreen stack {config.name}",
        "tags": tags_map(config),
    }


def create_log_group(config: Config) -> Request:
    return {"logGroupName": config.task.log_group, "tags": tags_map(config)}


def create_cluster(config: Config) -> Request:
    return {
        "clusterName": config.ecs.cluster,
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "tags": tags_lower(config),
    }


def create_application(config: Config) -> Request:
    return {
        "applicationName": config.code_deploy.application,
        "computePlatform": "ECS",
        "tags": tags_kv(config),
    }


def create_deployment_config(config: Config) -> Request | None:
    shift = config.code_deploy.deployment_config
    if not isinstance(shift, CustomTrafficShift):
        return None
    routing: Request
    if shift.type == "linear":
        routing = {
            "type": "TimeBasedLinear",
            "timeBasedLinear": {
                "linearPercentage": shift.percent, "linearInterval": shift.interval_minutes,
            },
        }
    else:
        routing = {
            "type": "TimeBasedCanary",
            "timeBasedCanary": {
                "canaryPercentage": shift.percent, "canaryInterval": shift.interval_minutes,
            },
        }
    return {
        "deploymentConfigName": shift.name,
        "computePlatform": "ECS",
        "trafficRoutingConfig": routing,
    }


# -- network -------------------------------------------------------------------------


def create_security_group(config: Config, refs: Refs, role: str) -> Request:
    """role: "alb" or "task"."""
    what = "load balancer" if role == "alb" else "ECS tasks"
    return {
        "GroupName": f"{config.name}-{role}",
        "Description": f"bluegreen {config.name}: {what}",
        "VpcId": refs.vpc_id,
        "TagSpecifications": [
            {"ResourceType": "security-group",
             "Tags": [*tags_kv(config), {"Key": "Name", "Value": f"{config.name}-{role}"}]},
        ],
    }


def alb_ingress(config: Config, group_id: str) -> Request:
    lb = config.load_balancer
    return {
        "GroupId": group_id,
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": description}]}
            for port, description in ((lb.production_port, "production traffic"),
                                      (lb.test_port, "test traffic"))
        ],
    }


def task_ingress(config: Config, group_id: str, alb_group_id: str) -> Request:
    port = config.task.container_port
    return {
        "GroupId": group_id,
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "UserIdGroupPairs": [{"GroupId": alb_group_id, "Description": "from the load balancer"}]},
        ],
    }


def create_target_group(config: Config, refs: Refs, name: str) -> Request:
    lb = config.load_balancer
    return {
        "Name": name,
        "Protocol": "HTTP",
        "Port": config.task.container_port,
        "VpcId": refs.vpc_id,
        "TargetType": "ip",  # Fargate tasks (awsvpc) register by IP
        "HealthCheckPath": lb.health_check_path,
        "Matcher": {"HttpCode": lb.health_check_matcher},
        "Tags": tags_kv(config),
    }


def create_load_balancer(config: Config, refs: Refs) -> Request:
    return {
        "Name": config.load_balancer.name,
        "Subnets": list(refs.subnet_ids),
        "SecurityGroups": list(refs.alb_security_group_ids),
        "Scheme": config.load_balancer.scheme,
        "Type": "application",
        "IpAddressType": "ipv4",
        "Tags": tags_kv(config),
    }


def create_listener(config: Config, refs: Refs, port: int) -> Request:
    # Both listeners start on blue; CodeDeploy re-points them during a deployment.
    return {
        "LoadBalancerArn": refs.load_balancer_arn,
        "Protocol": "HTTP",
        "Port": port,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": refs.blue_target_group_arn}],
        "Tags": tags_kv(config),
    }


# -- service, deployment group, pipeline ---------------------------------------------


def create_service(config: Config, refs: Refs) -> Request:
    ecs = config.ecs
    return {
        "cluster": ecs.cluster,
        "serviceName": ecs.service,
        "taskDefinition": config.task.family,  # latest ACTIVE revision of the family
        "loadBalancers": [{
            "targetGroupArn": refs.blue_target_group_arn,
            "containerName": config.task.container_name,
            "containerPort": config.task.container_port,
        }],
        "desiredCount": ecs.desired_count,
        "launchType": "FARGATE",
        "platformVersion": ecs.platform_version,
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "CODE_DEPLOY"},
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": list(refs.subnet_ids),
            "securityGroups": list(refs.task_security_group_ids),
            "assignPublicIp": "ENABLED" if config.network.assign_public_ip else "DISABLED",
        }},
        "healthCheckGracePeriodSeconds": ecs.health_check_grace_period_seconds,
        "tags": tags_lower(config),
        "propagateTags": "SERVICE",
        "enableECSManagedTags": True,
    }


def create_deployment_group(config: Config, refs: Refs) -> Request:
    cd = config.code_deploy
    lb = config.load_balancer
    ready: Request = {"actionOnTimeout": cd.ready_action}
    if cd.ready_action == "STOP_DEPLOYMENT":
        ready["waitTimeInMinutes"] = cd.ready_wait_minutes
    request: Request = {
        "applicationName": cd.application,
        "deploymentGroupName": cd.deployment_group,
        "serviceRoleArn": Arns(config, refs).codedeploy_role,
        "deploymentConfigName": config.deployment_config_name,
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE", "terminationWaitTimeInMinutes": cd.termination_wait_minutes,
            },
            "deploymentReadyOption": ready,
        },
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            "targetGroups": [{"name": lb.blue_target_group}, {"name": lb.green_target_group}],
            "prodTrafficRoute": {"listenerArns": [refs.production_listener_arn]},
            "testTrafficRoute": {"listenerArns": [refs.test_listener_arn]},
        }]},
        "ecsServices": [{"serviceName": config.ecs.service, "clusterName": config.ecs.cluster}],
        "autoRollbackConfiguration": {
            "enabled": bool(cd.auto_rollback_events), "events": list(cd.auto_rollback_events),
        },
        "tags": tags_kv(config),
    }
    if cd.alarms:
        request["alarmConfiguration"] = {
            "enabled": True, "alarms": [{"name": alarm} for alarm in cd.alarms],
        }
    return request


SOURCE_ARTIFACT = "SourceArtifact"
IMAGE_ARTIFACT = "ImageArtifact"


def _source_action(config: Config) -> Request:
    src = config.source
    if src.type == "codecommit":
        provider = "CodeCommit"
        configuration = {
            "RepositoryName": src.repository, "BranchName": src.branch,
            "PollForSourceChanges": "false",  # the EventBridge rule starts it; polling would too
        }
    else:
        provider = "S3"
        configuration = {"S3Bucket": src.bucket, "S3ObjectKey": src.key, "PollForSourceChanges": "false"}
    return {
        "name": "TemplateSource", "runOrder": 1,
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": configuration,
        "outputArtifacts": [{"name": SOURCE_ARTIFACT}],
    }


def create_pipeline(config: Config, refs: Refs) -> Request:
    p = config.pipeline
    arns = Arns(config, refs)
    pipeline: Request = {
        "name": p.name,
        "roleArn": arns.pipeline_role,
        "artifactStore": {"type": "S3", "location": p.artifact_bucket},
        "stages": [
            {"name": "Source", "actions": [
                _source_action(config),
                {"name": "ImageSource", "runOrder": 1,
                 "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                 "configuration": {"RepositoryName": config.image.repository,
                                   "ImageTag": config.image.tag},
                 "outputArtifacts": [{"name": IMAGE_ARTIFACT}]},
            ]},
            {"name": "Deploy", "actions": [
                {"name": "Deploy", "runOrder": 1,
                 "actionTypeId": {"category": "Deploy", "owner": "AWS",
                                  "provider": "CodeDeployToECS", "version": "1"},
                 "configuration": {
                     "ApplicationName": config.code_deploy.application,
                     "DeploymentGroupName": config.code_deploy.deployment_group,
                     "TaskDefinitionTemplateArtifact": SOURCE_ARTIFACT,
                     "TaskDefinitionTemplatePath": "taskdef.json",
                     "AppSpecTemplateArtifact": SOURCE_ARTIFACT,
                     "AppSpecTemplatePath": "appspec.yaml",
                     "Image1ArtifactName": IMAGE_ARTIFACT,
                     # the text inside <IMAGE1_NAME> in taskdef.json, not the container name
                     "Image1ContainerName": "IMAGE1_NAME",
                 },
                 "inputArtifacts": [{"name": SOURCE_ARTIFACT}, {"name": IMAGE_ARTIFACT}]},
            ]},
        ],
        "version": 1,
        "pipelineType": p.type,
        "executionMode": p.execution_mode,
    }
    return {"pipeline": pipeline, "tags": tags_lower(config)}


# -- EventBridge ---------------------------------------------------------------------


def event_rules(config: Config, refs: Refs) -> list[tuple[str, Request, Request]]:
    """(file stem, put_rule request, put_targets request) for each rule that starts the pipeline."""
    arns = Arns(config, refs)
    image_pattern = {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"],
                   "repository-name": [config.image.repository], "image-tag": [config.image.tag]},
    }
    src = config.source
    source_pattern: Request
    if src.type == "codecommit":
        source_pattern = {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [arns.codecommit_repository],
            "detail": {"event": ["referenceCreated", "referenceUpdated"],
                       "referenceType": ["branch"], "referenceName": [src.branch]},
        }
    else:
        source_pattern = {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [src.bucket]}, "object": {"key": [src.key]}},
        }
    out = []
    for stem, name, what, pattern in (
        ("image-push", config.pipeline.image_rule_name, f"a push of {config.image.repository}:{config.image.tag}",
         image_pattern),
        ("source-change", config.pipeline.source_rule_name, f"a change of the {src.type} source", source_pattern),
    ):
        rule = {
            "Name": name,
            "EventPattern": json.dumps(pattern),
            "State": "ENABLED",
            "Description": f"bluegreen {config.name}: start the pipeline on {what}",
            "Tags": tags_kv(config),
        }
        targets = {
            "Rule": name,
            "Targets": [{"Id": "codepipeline", "Arn": arns.pipeline, "RoleArn": arns.events_role}],
        }
        out.append((stem, rule, targets))
    return out


def put_bucket_notification(config: Config) -> Request | None:
    """An S3 source bucket must send its events to EventBridge for the rule to see them."""
    if config.source.type != "s3":
        return None
    return {"Bucket": config.source.bucket,
            "NotificationConfiguration": {"EventBridgeConfiguration": {}}}


def put_bucket_versioning(config: Config) -> Request | None:
    """CodePipeline requires a versioned bucket for an S3 source."""
    if config.source.type != "s3":
        return None
    return {"Bucket": config.source.bucket, "VersioningConfiguration": {"Status": "Enabled"}}


# -- the source files ----------------------------------------------------------------------

COMMIT_AUTHOR = "bluegreen"
COMMIT_EMAIL = "bluegreen@users.noreply.local"


def source_files(config: Config, refs: Refs) -> dict[str, str]:
    """What the source holds: taskdef.json and appspec.yaml."""
    return {"taskdef.json": taskdef_json(config, refs), "appspec.yaml": appspec_yaml(config)}


def create_commit(config: Config, refs: Refs, parent: str | None = None) -> Request:
    """`codecommit.create_commit` of the two source files on the source branch (a first commit
    has no parent)."""
    src = config.source
    request: Request = {
        "repositoryName": src.repository, "branchName": src.branch,
        "authorName": COMMIT_AUTHOR, "email": COMMIT_EMAIL,
        "commitMessage": f"bluegreen: taskdef.json and appspec.yaml for stack {config.name}",
        "putFiles": [{"filePath": path, "fileContent": content}
                     for path, content in source_files(config, refs).items()],
    }
    if parent:
        request["parentCommitId"] = parent
    return request


def put_source_object(config: Config) -> Request:
    """`s3.put_object` of the source zip, without its Body (the zip of `source_files`) and the
    Metadata the engine adds from it."""
    return {"Bucket": config.source.bucket, "Key": config.source.key, "ContentType": "application/zip"}
