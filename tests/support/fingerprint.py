"""A stack as the account describes it, with everything that differs between two stacks made
the same way taken out: the names (the stack name becomes ``STACK``), generated ids, ARN
suffixes, revisions and times.

Two stacks whose fingerprints are equal have every property the same, whether or not the
engine compares it on a plan, except what the pipeline's deployments change (which task
definition revision the service runs, which colour each listener forwards to, the revisions
after the stack's own): those belong to the deployment, not to the stack. The crash tests use it: a stack finished by a re-run after a
crash must be indistinguishable from one applied in one go. Resources that do not exist are
absent, so the fingerprint of a destroyed stack is empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bluegreen.aws.session import AwsSession
from bluegreen.model.config import Config

# Generated identifiers: replaced by their kind, so that two stacks compare equal.
_VOLATILE = [
    (re.compile(r"\bsg-[0-9a-f]{8,17}\b"), "sg-*"),
    (re.compile(r"\bsgr-[0-9a-f]{8,17}\b"), "sgr-*"),
    (re.compile(r"/[0-9a-f]{16}\b"), "/*"),  # ELBv2 ARN suffixes
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{40}\b"), "<commit>"),
    (re.compile(r"\b(AROA|AIDA|ANPA)[0-9A-Z]{12,}\b"), "<iam-id>"),
    (re.compile(r"-\d+\.([a-z0-9-]+)\.elb\.amazonaws\.com"), r"-*.\1.elb.amazonaws.com"),
    (re.compile(r"(task-definition/[^:\s\"]+):\d+"), r"\1:*"),
    (re.compile(r"\b127\.\d+\.\d+\.\d+\b"), "<loopback>"),  # the sandbox's load balancer addresses
]
# Keys whose values are times or counters of the account, never set by the stack.
_DROPPED_KEYS = {
    "CreateDate", "CreatedTime", "CreationDate", "creationDate", "createdAt", "registeredAt",
    "creationTime", "created", "updated", "lastModifiedDate", "LastModifiedTime", "LastUsedDate",
    "RoleLastUsed", "ResponseMetadata", "revision", "commitId", "blobId", "treeId",
    "storedBytes", "metricFilterCount", "events", "deployments", "taskSets",
    "runningCount", "pendingCount", "status", "State", "lastStatus", "registeredContainerInstancesCount",
    "runningTasksCount", "pendingTasksCount", "activeServicesCount", "statistics",
    "lastModified", "pipelineVersion", "ETag", "Owner", "ResourceState", "logGroupArn",
    # a deployment group's history: the deployments', not the stack's
    "lastAttemptedDeployment", "lastSuccessfulDeployment", "targetRevision",
}


def normalize(value: Any, stack: str) -> Any:
    if isinstance(value, dict):
        return {normalize(k, stack): normalize(v, stack) for k, v in sorted(value.items())
                if k not in _DROPPED_KEYS}
    if isinstance(value, list):
        items = [normalize(v, stack) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if isinstance(value, datetime):
        return "<time>"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.replace(stack, "STACK")
        for pattern, replacement in _VOLATILE:
            text = pattern.sub(replacement, text)
        return text
    return value


def fingerprint(session: AwsSession, config: Config) -> dict[str, Any]:
    """Everything the stack of `config` has in the account, normalized (see the module doc)."""
    found: dict[str, Any] = {}
    for name, read in _READERS.items():
        value = read(session, config)
        if value:
            found[name] = value
    return normalize(found, config.name)


def _missing(call: Callable[[], Any], *codes: str) -> Any:
    """The answer of `call`, or None when AWS says the thing does not exist."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in codes or "NotFound" in code or "NoSuch" in code or "DoesNotExist" in code:
            return None
        raise


def _buckets(session: AwsSession, config: Config) -> dict[str, Any]:
    s3 = session.client("s3")
    out: dict[str, Any] = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if f"-{config.name}-" not in name:
            continue
        out[name] = {
            "tags": _missing(lambda n=name: s3.get_bucket_tagging(Bucket=n)["TagSet"]),
            "public_access": _missing(lambda n=name: s3.get_public_access_block(Bucket=n)
                                      ["PublicAccessBlockConfiguration"]),
            "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
            "notification": {k: v for k, v in s3.get_bucket_notification_configuration(Bucket=name).items()
                             if k != "ResponseMetadata"},
        }
    return out


def _log_groups(session: AwsSession, config: Config) -> dict[str, Any]:
    logs = session.client("logs")
    out: dict[str, Any] = {}
    for group in logs.describe_log_groups(logGroupNamePrefix=config.task.log_group)["logGroups"]:
        if group["logGroupName"] == config.task.log_group:
            tags = logs.list_tags_log_group(logGroupName=group["logGroupName"])["tags"]
            out[group["logGroupName"]] = {"group": group, "tags": tags}
    return out


def _roles(session: AwsSession, config: Config) -> dict[str, Any]:
    iam = session.client("iam")
    names = [config.task.execution_role_name, config.code_deploy.service_role_name,
             config.pipeline.role_name, config.pipeline.events_role_name]
    out: dict[str, Any] = {}
    for name in names:
        role = _missing(lambda n=name: iam.get_role(RoleName=n)["Role"])
        if role is None:
            continue
        inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                  for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        out[name] = {"role": role, "inline": inline, "attached": attached}
    return out


def _security_groups(session: AwsSession, config: Config) -> list[Any]:
    ec2 = session.client("ec2")
    names = [f"{config.name}-alb", f"{config.name}-task"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": names}])["SecurityGroups"]
    for group in groups:
        group.pop("VpcId", None)
    return list(groups)


def _ecs(session: AwsSession, config: Config) -> dict[str, Any]:
    ecs = session.client("ecs")
    out: dict[str, Any] = {}
    clusters = ecs.describe_clusters(clusters=[config.ecs.cluster], include=["TAGS", "SETTINGS"])["clusters"]
    out["clusters"] = [c for c in clusters if c.get("status") == "ACTIVE"]
    # The stack's own revision is the family's first ACTIVE one: the revisions after it are
    # registered by the pipeline's deployments (one runs as soon as the pipeline exists).
    arns = ecs.list_task_definitions(familyPrefix=config.task.family, status="ACTIVE")["taskDefinitionArns"]
    first = sorted(arns, key=lambda arn: int(arn.rsplit(":", 1)[1]))[:1]
    out["task_definitions"] = [ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"]) for arn in first]
    if out["clusters"]:
        services = ecs.describe_services(cluster=config.ecs.cluster, services=[config.ecs.service],
                                         include=["TAGS"])["services"]
        # which revision the service runs is a deployment's business, not the stack's
        out["services"] = [{k: v for k, v in s.items() if k != "taskDefinition"}
                           for s in services if s.get("status") == "ACTIVE"]
    return {k: v for k, v in out.items() if v}


def _load_balancer(session: AwsSession, config: Config) -> dict[str, Any]:
    elb = session.client("elbv2")
    out: dict[str, Any] = {}
    lbs = _missing(lambda: elb.describe_load_balancers(Names=[config.load_balancer.name])["LoadBalancers"],
                   "LoadBalancerNotFound") or []
    for lb in lbs:
        arn = lb["LoadBalancerArn"]
        listeners = elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]
        out["load_balancer"] = {
            "lb": {k: v for k, v in lb.items() if k != "VpcId"},
            "attributes": elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"],
            "tags": elb.describe_tags(ResourceArns=[arn])["TagDescriptions"],
            "listeners": [
                {"listener": _either_group(item),
                 "tags": elb.describe_tags(ResourceArns=[item["ListenerArn"]])["TagDescriptions"]}
                for item in listeners
            ],
        }
    names = [config.load_balancer.blue_target_group, config.load_balancer.green_target_group]
    groups = _missing(lambda: elb.describe_target_groups(Names=names)["TargetGroups"], "TargetGroupNotFound")
    if groups is None:  # one of the two is missing: read them one by one
        groups = [g for n in names for g in (_missing(
            lambda n=n: elb.describe_target_groups(Names=[n])["TargetGroups"], "TargetGroupNotFound") or [])]
    out["target_groups"] = [
        {"group": {k: v for k, v in group.items() if k != "VpcId"},
         "attributes": elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"],
         "tags": elb.describe_tags(ResourceArns=[group["TargetGroupArn"]])["TagDescriptions"]}
        for group in groups
    ]
    return {k: v for k, v in out.items() if v}


def _either_group(listener: dict[str, Any]) -> dict[str, Any]:
    """A listener whose forward is reduced to "the stack's target groups": a deployment moves
    it from blue to green (through weights, a weight-0 replacement included), which is the
    deployment's business, not the stack's."""
    actions = []
    for action in listener.get("DefaultActions", []):
        arns = {action.get("TargetGroupArn")} | {g.get("TargetGroupArn") for g in
                                                  action.get("ForwardConfig", {}).get("TargetGroups", [])}
        names = sorted({re.sub(r".*targetgroup/([^/]+)/.*", r"\1", a) for a in arns if a})
        colours = {re.sub(r"-(blue|green)$", "-<blue|green>", n) for n in names}
        actions.append({"Type": action.get("Type"), "TargetGroups": sorted(colours)})
    return {**listener, "DefaultActions": actions}


def _codedeploy(session: AwsSession, config: Config) -> dict[str, Any]:
    cd = session.client("codedeploy")
    application = config.code_deploy.application
    app = _missing(lambda: cd.get_application(applicationName=application)["application"],
                   "ApplicationDoesNotExistException")
    if app is None:
        return {}
    arn = f"arn:aws:codedeploy:{session.region}:{_account(session)}:application:{application}"
    out: dict[str, Any] = {"application": app, "tags": cd.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    group = _missing(lambda: cd.get_deployment_group(
        applicationName=application, deploymentGroupName=config.code_deploy.deployment_group)["deploymentGroupInfo"],
        "DeploymentGroupDoesNotExistException")
    if group is not None:
        group_arn = f"arn:aws:codedeploy:{session.region}:{_account(session)}:deploymentgroup:{application}/{group['deploymentGroupName']}"
        out["group"] = {k: v for k, v in group.items() if k != "deploymentGroupId"}
        out["group_tags"] = cd.list_tags_for_resource(ResourceArn=group_arn)["Tags"]
    return out


def _source(session: AwsSession, config: Config) -> dict[str, Any]:
    if config.source.type == "s3":
        return _source_object(session, config)
    cc = session.client("codecommit")
    name = config.source.repository
    repo = _missing(lambda: cc.get_repository(repositoryName=name)["repositoryMetadata"],
                    "RepositoryDoesNotExistException")
    if repo is None:
        return {}
    files = {}
    for path in ("taskdef.json", "appspec.yaml"):
        answer = _missing(lambda p=path: cc.get_file(repositoryName=name, filePath=p,
                                                     commitSpecifier=config.source.branch),
                          "FileDoesNotExistException", "CommitDoesNotExistException", "BranchDoesNotExistException")
        files[path] = answer["fileContent"] if answer else None
    keep = ("repositoryName", "repositoryDescription", "defaultBranch", "Arn")
    return {"repository": {k: v for k, v in repo.items() if k in keep},
            "tags": cc.list_tags_for_resource(resourceArn=repo["Arn"])["tags"], "files": files}


def _source_object(session: AwsSession, config: Config) -> dict[str, Any]:
    """The S3 source: the files of its zip, and how many versions of it exist (each version
    starts an execution, so a re-run must not upload the same files again)."""
    import io
    import zipfile

    s3 = session.client("s3")
    bucket, key = config.source.bucket, config.source.key
    versions = _missing(lambda: s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []))
    if not versions:
        return {}
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    return {"versions": len(versions), "files": files}


def _pipeline(session: AwsSession, config: Config) -> dict[str, Any]:
    cp = session.client("codepipeline")
    answer = _missing(lambda: cp.get_pipeline(name=config.pipeline.name), "PipelineNotFoundException")
    if answer is None:
        return {}
    arn = answer["metadata"]["pipelineArn"]
    return {"pipeline": answer["pipeline"], "tags": cp.list_tags_for_resource(resourceArn=arn)["tags"]}


def _rules(session: AwsSession, config: Config) -> dict[str, Any]:
    events = session.client("events")
    out: dict[str, Any] = {}
    for rule in events.list_rules(NamePrefix=f"{config.name}-")["Rules"]:
        name = rule["Name"]
        out[name] = {"rule": rule, "targets": events.list_targets_by_rule(Rule=name)["Targets"],
                     "tags": events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]}
    return out


def _account(session: AwsSession) -> str:
    return str(session.client("sts").get_caller_identity()["Account"])


_READERS: dict[str, Callable[[AwsSession, Config], Any]] = {
    "buckets": _buckets, "log_groups": _log_groups, "roles": _roles,
    "security_groups": _security_groups, "ecs": _ecs, "elbv2": _load_balancer,
    "codedeploy": _codedeploy, "source": _source, "pipeline": _pipeline, "rules": _rules,
}


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two fingerprints differ, one line per leaf, for an assertion message."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                lines.append(f"{path}/{key}: missing")
            elif key not in expected:
                lines.append(f"{path}/{key}: unexpected {json.dumps(actual[key], default=str)[:200]}")
            else:
                lines.extend(differences(expected[key], actual[key], f"{path}/{key}"))
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [line for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for line in differences(e, a, f"{path}[{i}]")]
    if expected != actual:
        return [f"{path}: expected {json.dumps(expected, default=str)[:300]}, "
                f"got {json.dumps(actual, default=str)[:300]}"]
    return []
