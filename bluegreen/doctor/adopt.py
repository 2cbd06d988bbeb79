"""`import`: a blue/green pipeline on the account turned into a bluegreen config.

`config_from_facts` reads everything through the doctor's `Facts` (the doctor and import share
their calls) and returns the config, what the account has that the config cannot say (one
line each, docs/doctor-rules.md §3), and the resources the stack would own. `tag_adopted`
takes ownership: the engine knows its resources by the `bluegreen:stack` tag, and a resource
without it is a conflict in `plan`.

What the import decides (docs/import.md):
- a role, security group or name the stack would derive is written as derived (the field
  left to its default) only when the resource already carries this stack's tag: it is the
  stack's own. Anything else is the user's and is named as it is (role ARNs, security group
  ids, resource names), used by the engine as it is.
- blue and green are the deployment group's pair order (stable across deployments, which swap
  the group that serves production), not the group the production listener forwards to now.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bluegreen.aws.session import AwsSession
from bluegreen.doctor.facts import Action, EventRule, Facts
from bluegreen.errors import BadInput, aws_error_code
from bluegreen.model.config import TAG_KEY, Config, derived_names, tag_value
from bluegreen.model.rules import PREDEFINED_DEPLOYMENT_CONFIGS, RuleError, check_stack

# What AWS answers for a target group's health check when nothing was said (CreateTargetGroup).
_HEALTH_DEFAULTS = {"HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5,
                    "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2, "HealthCheckPort": "traffic-port"}
# Container settings the config has no field for.
_CONTAINER_EXTRAS = ("secrets", "mountPoints", "volumesFrom", "command", "entryPoint", "dockerLabels", "ulimits",
                     "dependsOn", "linuxParameters", "repositoryCredentials", "workingDirectory", "user")
LOCAL_ONLY = ("image.dockerfile, image.context, image.buildArgs: local build settings AWS cannot tell; "
              "left at their defaults")


@dataclass
class Adopted:
    config: Config
    not_expressible: list[str] = field(default_factory=list)  # one line each
    resources: list[str] = field(default_factory=list)  # ARNs the stack would own (carry its tag)


async def config_from_facts(f: Facts, name: str | None = None) -> Adopted:
    """The config of the pipeline `f` looks at. `name`: the stack name (else the pipeline's
    bluegreen:stack tag, else the pipeline's name). Raises `facts.Unavailable` when a part of
    the setup cannot be read (no pipeline, no deployment group...)."""
    declared = (await f.pipeline())["pipeline"]
    arn = await f.pipeline_arn()
    stack = name or await _tag_of(f, "codepipeline", arn) or str(declared["name"])
    try:
        check_stack(stack)
    except RuleError as exc:
        raise BadInput(f"the stack name {stack!r} (taken from the pipeline) breaks a rule: {exc.rule}",
                       "pass --name with a stack name of lowercase letters, digits and hyphens") from None
    (group, service, taskdef, lb, listeners, groups), (rules, actions) = await asyncio.gather(
        asyncio.gather(f.deployment_group(), f.service(), f.task_definition(), f.load_balancer(), f.listeners(),
                       f.target_groups()),
        asyncio.gather(f.event_rules(), f.actions()))
    notes: list[str] = []
    data: dict[str, Any] = {"name": stack, "region": f.region}
    owned: list[str] = []
    reader = _Reader(f, stack, notes)

    # The sections read apart (role tags, listener rules, subnets, the deployment config...):
    # at once, so import and the doctor's IAM rules wait for the slowest, not for the sum.
    (pipeline, code_deploy, task, (load_balancer, network), hooks) = await asyncio.gather(
        reader.pipeline(declared, actions, rules), reader.code_deploy(group), reader.task(taskdef),
        reader.load_balancer(lb, listeners, groups), reader.hooks())
    data["pipeline"], data["source"], data["image"] = pipeline
    data["codeDeploy"] = {**code_deploy, "hooks": hooks}
    data["ecs"] = reader.ecs(service, await f.primary())
    data["task"] = task
    data["loadBalancer"], data["network"] = load_balancer, network
    notes.sort(key=str.lower)  # the sections noted in whatever order their reads ended
    notes.append(LOCAL_ONLY)

    config = Config.model_validate(data)
    account = await f.account()
    partition = arn.split(":")[1]
    owned.append(f"arn:{partition}:s3:::{config.pipeline.artifact_bucket}")
    if config.source.type == "s3":
        owned.append(f"arn:{partition}:s3:::{config.source.bucket}")
    owned += [str(g["TargetGroupArn"]) for g in groups]
    owned += [str(lb["LoadBalancerArn"]), str(service["serviceArn"])]
    cd = config.code_deploy
    owned.append(f"arn:{partition}:codedeploy:{f.region}:{account}:deploymentgroup:{cd.application}/"
                 f"{cd.deployment_group}")
    owned.append(arn)
    wanted_rules = {config.pipeline.image_rule_name, config.pipeline.source_rule_name}
    owned += [r.arn for r in rules if r.name in wanted_rules]
    return Adopted(config, notes, owned)


async def _tag_of(f: Facts, service: str, arn: str) -> str | None:
    """The bluegreen:stack tag of a resource (None when it has none or cannot be read)."""
    try:
        if service == "codepipeline":
            return tag_value((await f.call("codepipeline", "list_tags_for_resource", resourceArn=arn)).get("tags"))
    except Exception:
        return None
    return None


class _Reader:
    """Each section of the config from the facts; notes what the config cannot say."""

    def __init__(self, f: Facts, stack: str, notes: list[str]) -> None:
        self.f, self.stack, self.notes = f, stack, notes
        self.derived = {(s, k): v for s, k, v in derived_names(stack, f.region)}

    def note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

    # -- roles ---------------------------------------------------------------------------

    async def role(self, arn: str, name_field: str, arn_field: str) -> dict[str, Any]:
        """A role the stack owns (its tag) by name; anyone else's by ARN, used as it is."""
        name = arn.rsplit("/", 1)[-1]
        path = arn.split(":role", 1)[-1].rsplit("/", 1)[0] + "/"
        try:
            tags = (await self.f.call("iam", "list_role_tags", RoleName=name)).get("Tags") or []
        except Exception:
            tags = []
        ours = tag_value(tags) == self.stack
        if ours and path == "/":
            return {name_field: name}
        return {arn_field: arn}

    # -- pipeline, sources, image --------------------------------------------------------

    async def pipeline(self, declared: dict[str, Any], actions: list[Action],
                       rules: list[EventRule]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        out: dict[str, Any] = {
            "name": declared["name"], "type": declared.get("pipelineType") or "V1",
            "executionMode": declared.get("executionMode") or "SUPERSEDED",
            "artifactBucket": (declared.get("artifactStore") or {}).get("location", ""),
        }
        if (declared.get("artifactStore") or {}).get("encryptionKey"):
            self.note("pipeline: a KMS key on the artifact store (the config uses S3's default encryption)")
        if declared.get("artifactStores"):
            self.note("pipeline: artifact stores in several regions (cross-region actions)")
        for key in ("triggers", "variables"):
            if declared.get(key):
                self.note(f"pipeline: V2 {key} ({len(declared[key])})")
        out.update(await self.role(str(declared["roleArn"]), "roleName", "roleArn"))

        source: dict[str, Any] = {}
        image: dict[str, Any] = {}
        kept: set[str] = set()
        for action in actions:
            where = f"pipeline: action {action.name} ({action.category} {action.provider}) in stage {action.stage}"
            if action.category == "Source" and action.provider == "ECR" and not image:
                image = {"repository": action.configuration.get("RepositoryName", ""),
                         "tag": action.configuration.get("ImageTag") or "latest"}
            elif action.category == "Source" and action.provider in ("CodeCommit", "S3") and not source:
                options = action.configuration
                if action.provider == "CodeCommit":
                    source = {"type": "codecommit", "repository": options.get("RepositoryName", ""),
                              "branch": options.get("BranchName", "")}
                else:
                    source = {"type": "s3", "bucket": options.get("S3Bucket", ""),
                              "key": options.get("S3ObjectKey", "")}
                if options.get("PollForSourceChanges", "true").lower() != "false":
                    self.note(f"{where}: PollForSourceChanges true (the config starts the pipeline with "
                              "an EventBridge rule only)")
            elif action.provider == "CodeDeployToECS" and action.name not in kept and "deploy" not in kept:
                kept.add("deploy")
                self._deploy_action(action)
            else:
                self.note(f"{where}: only an image source, a CodeCommit/S3 source and a CodeDeployToECS "
                          "action are expressible")
                continue
            if action.role_arn:
                self.note(f"{where}: an action role ({action.role_arn})")
            if action.region and action.region != self.f.region:
                self.note(f"{where}: runs in region {action.region}")

        events: dict[str, Any] = {}
        for rule in rules:
            pattern = rule.pattern or {}
            kind = {"aws.ecr": "imageRuleName"}.get(_first(pattern.get("source")), "sourceRuleName")
            if rule.state != "ENABLED" or rule.pattern is None or kind in events:
                self.note(f"EventBridge rule {rule.name} ({rule.state.lower()}) also targets the pipeline")
                continue
            events[kind] = rule.name
            for target in rule.targets:
                if target.get("RoleArn") and "eventsRoleName" not in out and "eventsRoleArn" not in out:
                    out.update(await self.role(str(target["RoleArn"]), "eventsRoleName", "eventsRoleArn"))
        out.update(events)
        return out, source, image

    def _deploy_action(self, action: Action) -> None:
        options = action.configuration
        self.deploy_options = options
        for key, default in (("TaskDefinitionTemplatePath", "taskdef.json"),
                             ("AppSpecTemplatePath", "appspec.yaml"), ("Image1ContainerName", "IMAGE1_NAME")):
            if options.get(key, default) != default:
                self.note(f"pipeline: deploy action {action.name} {key} is {options[key]!r} (the config "
                          f"writes {default!r})")
        if options.get("TaskDefinitionTemplateArtifact") != options.get("AppSpecTemplateArtifact"):
            self.note(f"pipeline: deploy action {action.name} reads taskdef.json and appspec.yaml from two "
                      "artifacts")
        for n in (2, 3, 4):
            if options.get(f"Image{n}ArtifactName"):
                self.note(f"pipeline: deploy action {action.name} Image{n}ArtifactName "
                          f"{options[f'Image{n}ArtifactName']} (the config has one image)")

    # -- CodeDeploy ------------------------------------------------------------------------

    async def code_deploy(self, group: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"application": group.get("applicationName", ""),
                               "deploymentGroup": group.get("deploymentGroupName", "")}
        out.update(await self.role(str(group.get("serviceRoleArn", "")), "serviceRoleName", "serviceRoleArn"))
        config_name = str(group.get("deploymentConfigName") or "CodeDeployDefault.ECSAllAtOnce")
        if config_name in PREDEFINED_DEPLOYMENT_CONFIGS:
            out["deploymentConfig"] = config_name
        else:
            info = (await self.f.call("codedeploy", "get_deployment_config",
                                      deploymentConfigName=config_name))["deploymentConfigInfo"]
            routing = info.get("trafficRoutingConfig") or {}
            kind = routing.get("type")
            if kind == "TimeBasedLinear":
                part = routing["timeBasedLinear"]
                out["deploymentConfig"] = {"type": "linear", "percent": part["linearPercentage"],
                                           "intervalMinutes": part["linearInterval"], "name": config_name}
            elif kind == "TimeBasedCanary":
                part = routing["timeBasedCanary"]
                out["deploymentConfig"] = {"type": "canary", "percent": part["canaryPercentage"],
                                           "intervalMinutes": part["canaryInterval"], "name": config_name}
            else:
                self.note(f"codeDeploy: deployment config {config_name} ({kind}); the config uses "
                          "CodeDeployDefault.ECSAllAtOnce")
        blue_green = group.get("blueGreenDeploymentConfiguration") or {}
        ready = blue_green.get("deploymentReadyOption") or {}
        out["readyAction"] = ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT"
        out["readyWaitMinutes"] = int(ready.get("waitTimeInMinutes") or 0) \
            if out["readyAction"] == "STOP_DEPLOYMENT" else 0
        terminate = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        out["terminationWaitMinutes"] = int(terminate.get("terminationWaitTimeInMinutes") or 0)
        if terminate.get("action", "TERMINATE") != "TERMINATE":
            self.note(f"codeDeploy: the original task set is kept after a deployment ({terminate['action']})")
        rollback = group.get("autoRollbackConfiguration") or {}
        out["autoRollbackEvents"] = sorted(rollback.get("events") or []) if rollback.get("enabled") else []
        alarms = group.get("alarmConfiguration") or {}
        out["alarms"] = [a["name"] for a in alarms.get("alarms") or []] if alarms.get("enabled") else []
        if alarms.get("ignorePollAlarmFailure"):
            self.note("codeDeploy: alarmConfiguration.ignorePollAlarmFailure true")
        for trigger in group.get("triggerConfigurations") or []:
            self.note(f"codeDeploy: SNS trigger {trigger.get('triggerName')}")
        return out

    async def hooks(self) -> dict[str, str]:
        templates = await self.f.templates()
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            appspec = YAML(typ="safe").load(templates.appspec_text or "") or {}
        except YAMLError:
            self.note(f"codeDeploy.hooks: {templates.appspec_path} in {templates.where} is not YAML")
            return {}
        hooks: dict[str, str] = {}
        for entry in (appspec.get("Hooks") or []) if isinstance(appspec, dict) else []:
            if isinstance(entry, dict):
                hooks.update({str(k): str(v) for k, v in entry.items()})
        return hooks

    # -- ECS ---------------------------------------------------------------------------

    def ecs(self, service: dict[str, Any], primary: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cluster": str(service["clusterArn"]).rsplit("/", 1)[-1], "service": service["serviceName"],
            "desiredCount": service.get("desiredCount", 1),
            # the service keeps the version asked for ("LATEST"); a task set says what it resolved to
            "platformVersion": service.get("platformVersion") or primary.get("platformVersion") or "LATEST",
            "healthCheckGracePeriodSeconds": service.get("healthCheckGracePeriodSeconds") or 0,
        }
        where = f"ecs: service {service['serviceName']}"
        if (primary.get("launchType") or service.get("launchType") or "FARGATE") != "FARGATE" \
                or service.get("capacityProviderStrategy"):
            self.note(f"{where}: a launch type or capacity providers other than FARGATE")
        for key, what in (("serviceRegistries", "service discovery"), ("placementConstraints", "placement"),
                          ("placementStrategy", "placement"), ("serviceConnectConfiguration", "Service Connect")):
            if service.get(key):
                self.note(f"{where}: {what} ({key})")
        if service.get("enableExecuteCommand"):
            self.note(f"{where}: enableExecuteCommand true")
        return out

    async def task(self, taskdef: dict[str, Any]) -> dict[str, Any]:
        where = f"task: {taskdef.get('family')}:{taskdef.get('revision')}"
        out: dict[str, Any] = {"family": taskdef.get("family", ""), "cpu": int(taskdef.get("cpu") or 256),
                               "memory": int(taskdef.get("memory") or 512)}
        execution = taskdef.get("executionRoleArn")
        if execution:
            out.update(await self.role(str(execution), "executionRoleName", "executionRoleArn"))
        else:
            self.note(f"{where}: no execution role (the config always has one)")
        if taskdef.get("taskRoleArn"):
            out["taskRoleArn"] = taskdef["taskRoleArn"]
        platform = taskdef.get("runtimePlatform") or {}
        out["cpuArchitecture"] = platform.get("cpuArchitecture") or "X86_64"
        if platform.get("operatingSystemFamily", "LINUX") != "LINUX":
            self.note(f"{where}: operating system {platform['operatingSystemFamily']}")
        if taskdef.get("networkMode") != "awsvpc" or "FARGATE" not in (taskdef.get("requiresCompatibilities") or []):
            self.note(f"{where}: network mode {taskdef.get('networkMode')} / "
                      f"{', '.join(taskdef.get('requiresCompatibilities') or [])} (the config is Fargate, awsvpc)")
        if taskdef.get("volumes"):
            self.note(f"{where}: volumes ({', '.join(str(v.get('name')) for v in taskdef['volumes'])})")
        containers = taskdef.get("containerDefinitions") or []
        for extra in containers[1:]:
            self.note(f"{where}: a second container {extra.get('name')} (the config has one)")
        if not containers:
            return out
        container = containers[0]
        out["containerName"] = container.get("name", "")
        ports = container.get("portMappings") or []
        if ports:
            out["containerPort"] = int(ports[0]["containerPort"])
        if len(ports) > 1:
            self.note(f"{where}: container {container.get('name')} maps {len(ports)} ports (the config has one)")
        out["environment"] = {e["name"]: e["value"] for e in container.get("environment") or []}
        for key in _CONTAINER_EXTRAS:
            if container.get(key):
                self.note(f"{where}: container {container.get('name')} {key}")
        health = container.get("healthCheck")
        if health:
            out["healthCheck"] = {"command": health["command"], "interval": health.get("interval", 30),
                                  "timeout": health.get("timeout", 5), "retries": health.get("retries", 3),
                                  "startPeriod": health.get("startPeriod", 0)}
        logs = container.get("logConfiguration")
        if not logs:
            self.note(f"{where}: container {container.get('name')} has no log configuration (the config "
                      "always sends logs to CloudWatch)")
        elif logs.get("logDriver") != "awslogs":
            self.note(f"{where}: log driver {logs.get('logDriver')} (the config uses awslogs)")
        else:
            options = logs.get("options") or {}
            out["logGroup"] = options.get("awslogs-group", "")
            prefix = options.get("awslogs-stream-prefix", "")
            if prefix and prefix != out["containerName"]:
                out["logStreamPrefix"] = prefix
            extra = sorted(set(options) - {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"})
            if extra or options.get("awslogs-region", self.f.region) != self.f.region:
                self.note(f"{where}: awslogs options {', '.join(extra) or 'awslogs-region'}")
        return out

    # -- load balancer and network -------------------------------------------------------

    async def load_balancer(self, lb: dict[str, Any], listeners: dict[str, dict[str, Any]],
                            groups: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        prod, test = await self.f.listener_arns()
        out: dict[str, Any] = {"name": lb["LoadBalancerName"], "scheme": lb.get("Scheme", "internet-facing")}
        if lb.get("Type", "application") != "application":
            self.note(f"loadBalancer: {lb['LoadBalancerName']} is a {lb['Type']} load balancer (the config has an "
                      "Application Load Balancer)")
        # the listeners' rules, and the network section, read at once
        network_read = asyncio.ensure_future(self.network(lb, groups))
        kinds = [(kind, arns[0]) for kind, arns in (("production", prod), ("test", test)) if arns]
        for kind, arns in (("production", prod), ("test", test)):
            if not arns:
                self.note(f"loadBalancer: no {kind} listener")
        answers = await asyncio.gather(*(self.f.call("elbv2", "describe_rules", ListenerArn=arn) for _, arn in kinds))
        for (kind, arn), answer in zip(kinds, answers, strict=True):
            listener = listeners.get(arn) or {}
            out[f"{kind}Port"] = listener.get("Port")
            if listener.get("Protocol", "HTTP") != "HTTP":
                self.note(f"loadBalancer: the {kind} listener :{listener.get('Port')} is {listener['Protocol']} "
                          "(certificates are not expressible)")
            others = [r for r in answer.get("Rules") or [] if not r.get("IsDefault")]
            if others:
                self.note(f"loadBalancer: the {kind} listener :{listener.get('Port')} has {len(others)} rule(s) "
                          "besides its default action")
        if "testPort" not in out:
            out.pop("testPort", None)
        names = [str(g["TargetGroupName"]) for g in groups]
        if len(names) == 2:
            out["blueTargetGroup"], out["greenTargetGroup"] = names
        if groups:
            first = groups[0]
            out["healthCheckPath"] = first.get("HealthCheckPath") or "/"
            out["healthCheckMatcher"] = (first.get("Matcher") or {}).get("HttpCode") or "200"
            for group in groups:
                odd = [k for k, v in _HEALTH_DEFAULTS.items() if group.get(k, v) != v]
                if group.get("HealthCheckProtocol", "HTTP") != "HTTP":
                    odd.append("HealthCheckProtocol")
                if group.get("Protocol", "HTTP") != "HTTP":
                    odd.append("Protocol")
                if (group.get("HealthCheckPath"), (group.get("Matcher") or {}).get("HttpCode")) != (
                        out["healthCheckPath"], out["healthCheckMatcher"]):
                    odd.append("HealthCheckPath/Matcher differ between the two groups")
                if odd:
                    self.note(f"loadBalancer: target group {group['TargetGroupName']} health check settings "
                              f"{', '.join(odd)} (the config says path and matcher only)")
        return out, await network_read

    async def network(self, lb: dict[str, Any], groups: list[dict[str, Any]]) -> dict[str, Any]:
        awsvpc = await self.f.awsvpc()
        vpc = str(groups[0]["VpcId"]) if groups else str(lb.get("VpcId", ""))
        out: dict[str, Any] = {"assignPublicIp": awsvpc.get("assignPublicIp", "DISABLED") == "ENABLED"}
        task_subnets = [str(s) for s in awsvpc.get("subnets") or []]
        lb_subnets = [str(z["SubnetId"]) for z in lb.get("AvailabilityZones") or []]
        if sorted(task_subnets) != sorted(lb_subnets):
            self.note(f"network: the load balancer's subnets ({', '.join(sorted(lb_subnets))}) differ from the "
                      f"tasks' ({', '.join(sorted(task_subnets))}); the config has one list (the tasks' kept)")
        answer, out["subnets"], out["albSecurityGroups"], out["taskSecurityGroups"] = await asyncio.gather(
            self.f.call("ec2", "describe_vpcs", VpcIds=[vpc]),
            self.subnets(vpc, task_subnets, lb.get("Scheme", "internet-facing")),
            self.groups("alb", [str(g) for g in lb.get("SecurityGroups") or []]),
            self.groups("task", [str(g) for g in awsvpc.get("securityGroups") or []]))
        vpcs = answer.get("Vpcs") or []
        out["vpc"] = "default" if vpcs and vpcs[0].get("IsDefault") else vpc
        return out

    async def subnets(self, vpc: str, ids: list[str], scheme: str) -> list[dict[str, Any]]:
        """[] when the subnets are those the engine picks by itself (the VPC's public ones, one
        per zone), else each with its zone."""
        from bluegreen.aws.discovery_network import build_subnets, public_subnets_one_per_az

        raw, tables = await asyncio.gather(
            self.f.call("ec2", "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc]}]),
            self.f.call("ec2", "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": [vpc]}]))
        found = build_subnets(raw.get("Subnets") or [], tables.get("RouteTables") or [])
        if scheme == "internet-facing" and sorted(s.id for s in public_subnets_one_per_az(found, vpc)) == sorted(ids):
            return []
        zones = {s.id: s.az for s in found}
        return [{"id": i, "az": zones[i]} if i in zones else {"id": i} for i in ids]

    async def groups(self, role: str, ids: list[str]) -> list[str]:
        """[] when the groups are the one the stack makes itself (<stack>-<role>, with its tag)."""
        if len(ids) != 1:
            return ids
        from bluegreen.doctor.rules.network_facts import security_groups

        group = (await security_groups(self.f)).get(ids[0]) or {}  # the doctor's one DescribeSecurityGroups
        if group.get("GroupName") == f"{self.stack}-{role}" and tag_value(group.get("Tags")) == self.stack:
            return []
        return ids


def _first(values: Any) -> str:
    return str(values[0]) if isinstance(values, list) and values else ""


# -- taking ownership ---------------------------------------------------------------------


def tag_adopted(session: AwsSession, adopted: Adopted) -> list[str]:
    """Tag every resource the stack would own with bluegreen:stack=<name>, each with its
    service's tagging call (existing tags kept). Blocking. Returns the ARNs it tagged; one
    that carries the tag already is left as it is, one of another stack is refused (plan
    then shows the conflict)."""
    stack = adopted.config.name
    tagged = []
    for arn in adopted.resources:
        service = arn.split(":")[2]
        current = _current_tag(session, service, arn)
        if current == stack:
            continue
        if current is not None:
            raise BadInput(f"{arn} belongs to the bluegreen stack {current!r}",
                           f"import it under that name (--name {current}), or remove its {TAG_KEY} tag")
        _tag(session, service, arn, stack)
        tagged.append(arn)
    return tagged


def _current_tag(session: AwsSession, service: str, arn: str) -> str | None:
    if service == "s3":
        try:
            return tag_value(session.client("s3").get_bucket_tagging(Bucket=arn.split(":::")[1])["TagSet"])
        except Exception as exc:
            if aws_error_code(exc) == "NoSuchTagSet":
                return None
            raise
    if service == "elasticloadbalancing":
        answer = session.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"]
        return tag_value(answer[0]["Tags"] if answer else [])
    if service == "ecs":
        return tag_value(session.client("ecs").list_tags_for_resource(resourceArn=arn).get("tags"))
    if service == "codedeploy":
        return tag_value(session.client("codedeploy").list_tags_for_resource(ResourceArn=arn).get("Tags"))
    if service == "codepipeline":
        return tag_value(session.client("codepipeline").list_tags_for_resource(resourceArn=arn).get("tags"))
    if service == "events":
        return tag_value(session.client("events").list_tags_for_resource(ResourceARN=arn).get("Tags"))
    raise ValueError(f"no tagging call known for {arn}")


def _tag(session: AwsSession, service: str, arn: str, stack: str) -> None:
    if service == "s3":
        s3 = session.client("s3")
        bucket = arn.split(":::")[1]
        try:
            tags = list(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
        except Exception as exc:
            if aws_error_code(exc) != "NoSuchTagSet":
                raise
            tags = []
        # PutBucketTagging replaces the whole set: keep what is there
        tags = [t for t in tags if t["Key"] != TAG_KEY] + [{"Key": TAG_KEY, "Value": stack}]
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    elif service == "elasticloadbalancing":
        session.client("elbv2").add_tags(ResourceArns=[arn], Tags=[{"Key": TAG_KEY, "Value": stack}])
    elif service == "ecs":
        session.client("ecs").tag_resource(resourceArn=arn, tags=[{"key": TAG_KEY, "value": stack}])
    elif service == "codedeploy":
        session.client("codedeploy").tag_resource(ResourceArn=arn, Tags=[{"Key": TAG_KEY, "Value": stack}])
    elif service == "codepipeline":
        session.client("codepipeline").tag_resource(resourceArn=arn, tags=[{"key": TAG_KEY, "value": stack}])
    elif service == "events":
        session.client("events").tag_resource(ResourceARN=arn, Tags=[{"Key": TAG_KEY, "Value": stack}])
    else:
        raise ValueError(f"no tagging call known for {arn}")
