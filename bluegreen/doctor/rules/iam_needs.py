"""What each role of the setup must be allowed to do, read from the account.

The pipeline and CodeDeploy roles' needs are `bluegreen.aws.iam.needs`'s tables, fed the setup
as a config (`bluegreen.doctor.adopt.config_from_facts`) and the account's real ARNs (account id,
listeners). The execution role's needs come from the task definitions themselves (the running one
and taskdef.json, the one the next deployment registers): the ECR repositories of their images,
their awslogs groups and their secrets. A need that cannot be derived raises `Unavailable`, so
the rule is reported not checked instead of passing.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bluegreen.aws.iam.needs import EXECUTION_ROLE, Need, codedeploy_needs, pipeline_needs
from bluegreen.doctor.facts import Facts, Unavailable
from bluegreen.model.config import Config
from renderers.refs import Arns, Refs

ECS_TASKS = "ecs-tasks.amazonaws.com"
SECRETS = "Amazon ECS Developer Guide, 'Amazon ECS task execution IAM role' (Secrets Manager / SSM secrets)"
# <acct>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag | @digest]
_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


# -- the two task definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class TaskDefinition:
    """A task definition the execution role serves: where it is, and its document."""

    where: str  # "task definition demo:3 (running)" / "taskdef.json in CodeCommit demo-deploy@main"
    document: dict[str, Any]


async def template_taskdef(f: Facts) -> TaskDefinition | None:
    """taskdef.json as the source holds it (None: not there, or not a JSON object: the artifact rules say so)."""
    templates = await f.templates()
    if templates.taskdef_text is None:
        return None
    try:
        document = json.loads(templates.taskdef_text)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    return TaskDefinition(f"{templates.taskdef_path} in {templates.where}", document)


async def task_definitions(f: Facts) -> list[TaskDefinition]:
    """The running task definition and taskdef.json: ECS starts tasks of both with their roles."""
    running, template = await asyncio.gather(f.task_definition(), template_taskdef(f))
    name = str(running.get("taskDefinitionArn", "")).rsplit("/", 1)[-1]
    found = [TaskDefinition(f"task definition {name} (running)", running)]
    return found + ([template] if template is not None else [])


def execution_role(taskdef: TaskDefinition) -> str:
    return str(taskdef.document.get("executionRoleArn") or "")


def task_role(taskdef: TaskDefinition) -> str:
    return str(taskdef.document.get("taskRoleArn") or "")


def containers(taskdef: TaskDefinition) -> list[dict[str, Any]]:
    return [c for c in taskdef.document.get("containerDefinitions") or [] if isinstance(c, dict)]


def awslogs_groups(taskdef: TaskDefinition) -> list[tuple[str, str, str]]:
    """(container, log group, region or "") of each container logging with awslogs."""
    out = []
    for c in containers(taskdef):
        log = c.get("logConfiguration") or {}
        if log.get("logDriver") == "awslogs":
            options = log.get("options") or {}
            out.append((str(c.get("name", "")), str(options.get("awslogs-group", "")),
                        str(options.get("awslogs-region", ""))))
    return out


# -- images --------------------------------------------------------------------------------------


def is_placeholder(image: str) -> bool:
    """`<IMAGE1_NAME>`: the deploy action fills it in from its image artifact."""
    return image.startswith("<") and image.endswith(">")


def _split_image(image: str) -> tuple[str, str]:
    """(registry host, repository path) of an image reference; host "" for a Docker Hub short name."""
    name = image.split("@", 1)[0]
    first, _, rest = name.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        return "", name.rsplit(":", 1)[0]
    path = rest.rsplit(":", 1)[0] if ":" in rest.rsplit("/", 1)[-1] else rest
    return first, path


async def image_source_repository(f: Facts) -> str | None:
    """The ECR repository the deploy action's Image1 artifact comes from (the `<IMAGE1_NAME>` image)."""
    deploy = await f.deploy_action()
    artifact = deploy.configuration.get("Image1ArtifactName", "")
    producer = await f.producer(artifact) if artifact else None
    if producer is None or producer.provider != "ECR":
        return None
    return producer.configuration.get("RepositoryName") or None


async def ecr_repository_arn(f: Facts, image: str) -> str | None:
    """The ARN of the ECR repository an image is pulled from; None when it is not an ECR image."""
    partition = "aws-cn" if ".amazonaws.com.cn" in image else "aws"
    if is_placeholder(image):
        repo = await image_source_repository(f)
        if repo is None:
            return None
        return f"arn:{partition}:ecr:{f.region}:{await f.account()}:repository/{repo}"
    host, path = _split_image(image)
    match = _ECR_HOST.match(host)
    if match:
        return f"arn:{partition}:ecr:{match.group(2)}:{match.group(1)}:repository/{path}"
    if not host:
        return None  # Docker Hub and the like: no ECR permission involved
    # Another host may still be this account's registry (a sandbox serves ECR on its own host):
    # ECR says which URI the repository of that name has.
    answer = await f.call("ecr", "describe_repositories", missing=("RepositoryNotFoundException",),
                          repositoryNames=[path])
    for repo in (answer or {}).get("repositories") or []:
        if str(repo.get("repositoryUri", "")) == f"{host}/{path}":
            return str(repo["repositoryArn"])
    return None


def appspec_hooks(text: str | None) -> list[tuple[str, str]]:
    """(event, function) of the AppSpec's Hooks (YAML or JSON). A missing or unreadable AppSpec
    has no hooks to check: no deployment starts at all, which the artifact rules report."""
    if text is None:
        return []
    try:
        document = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return []
    hooks = document.get("Hooks") if isinstance(document, dict) else None
    out: list[tuple[str, str]] = []
    for entry in hooks if isinstance(hooks, list) else []:
        if isinstance(entry, dict):
            out += [(str(event), str(function)) for event, function in entry.items() if function]
    return out


# -- the execution role's needs ------------------------------------------------------------------


async def execution_needs(f: Facts, taskdef: TaskDefinition) -> list[Need]:
    """What the ECS agent does with the execution role to start a task of `taskdef`: pull its
    ECR images, create its awslogs streams, read its secrets (ECS Developer Guide, "Amazon ECS
    task execution IAM role")."""
    account = await f.account()
    needs: list[Need] = []
    images = [str(c.get("image", "")) for c in containers(taskdef)]
    repos = [r for r in await asyncio.gather(*(ecr_repository_arn(f, i) for i in images)) if r]
    if repos:
        needs.append(Need("ecr:GetAuthorizationToken", "*", "image pull", EXECUTION_ROLE))
    for repo in dict.fromkeys(repos):
        needs += [Need(a, repo, "image pull", EXECUTION_ROLE) for a in
                  ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")]
    for container, group, region in awslogs_groups(taskdef):
        if not group:
            continue
        # awslogs names streams "<prefix>/<container>/<task id>"; the task id is any
        stream = (f"arn:aws:logs:{region or f.region}:{account}:log-group:{group}:log-stream:"
                  f"{container}/{container}/0123456789abcdef0123456789abcdef")
        needs += [Need(a, stream, f"log group {group}", EXECUTION_ROLE)
                  for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
    for c in containers(taskdef):
        for secret in c.get("secrets") or []:
            needs.append(secret_need(str(secret.get("valueFrom", "")), f.region, account))
        credentials = (c.get("repositoryCredentials") or {}).get("credentialsParameter")
        if credentials:
            needs.append(secret_need(str(credentials), f.region, account))
    return needs


def secret_need(value_from: str, region: str, account: str) -> Need:
    """A container secret: Secrets Manager ARN (with an optional JSON key/version tail) or an SSM
    parameter (ARN or name)."""
    if ":secretsmanager:" in value_from:
        arn = ":".join(value_from.split(":")[:7])
        return Need("secretsmanager:GetSecretValue", arn, "secrets", SECRETS)
    if value_from.startswith("arn:"):
        return Need("ssm:GetParameters", value_from, "secrets", SECRETS)
    name = value_from.lstrip("/")
    return Need("ssm:GetParameters", f"arn:aws:ssm:{region}:{account}:parameter/{name}", "secrets", SECRETS)


# -- the pipeline and CodeDeploy roles' needs, from the setup as a config ------------------------


async def setup_config(f: Facts) -> Config:
    """The setup on the account as a bluegreen config (memoized): what needs.py reads."""

    async def build() -> Config:
        known = await f.known_config()
        if known is not None:
            return known  # validate --online: the config itself
        try:
            from bluegreen.doctor.adopt import config_from_facts
        except ImportError:
            raise Unavailable("the setup cannot be read as a config yet (bluegreen.doctor.adopt)") from None
        try:
            adopted: Any = config_from_facts(f)
            if inspect.isawaitable(adopted):
                adopted = await adopted
        except Unavailable:
            raise
        except Exception as adopt_error:
            # A setup the config refuses as a whole (the same listener for production and test,
            # one target group twice...: other rules' findings) still has roles to check: the
            # names the tables read are enough.
            try:
                return await names_config(f)
            except Unavailable:
                raise
            except Exception:
                raise Unavailable(f"the setup could not be read as a config: {adopt_error}") from None
        return adopted.config if hasattr(adopted, "config") else adopted  # type: ignore[no-any-return]

    return await f.once("iam setup config", build)


async def names_config(f: Facts) -> Config:
    """A config holding only the names needs.py reads, from the same facts: the pipeline, its
    sources, the deployment group, the service and its task definition."""
    declared, deploy, group, service, taskdef, templates = await asyncio.gather(
        f.pipeline(), f.deploy_action(), f.deployment_group(), f.service(), f.task_definition(), f.templates())
    source = await f.producer(deploy.configuration.get("TaskDefinitionTemplateArtifact", ""))
    if source is None or source.provider not in ("CodeCommit", "S3"):
        raise Unavailable("the deploy action's templates come from neither CodeCommit nor S3")
    options = source.configuration
    source_settings = ({"type": "codecommit", "repository": options.get("RepositoryName", ""),
                        "branch": options.get("BranchName", "")} if source.provider == "CodeCommit" else
                       {"type": "s3", "bucket": options.get("S3Bucket", ""), "key": options.get("S3ObjectKey", "")})
    shift: Any = str(group.get("deploymentConfigName") or "CodeDeployDefault.ECSAllAtOnce")
    if not shift.startswith("CodeDeployDefault."):  # only its name matters here
        shift = {"type": "linear", "percent": 10, "intervalMinutes": 1, "name": shift}
    containers_ = [c for c in taskdef.get("containerDefinitions") or [] if isinstance(c, dict)]
    first = containers_[0] if containers_ else {}
    log_options = (first.get("logConfiguration") or {}).get("options") or {}
    hooks = {event: fn for event, fn in appspec_hooks(templates.appspec_text) if event in _HOOK_EVENTS}
    data: dict[str, Any] = {
        "name": "doctor", "region": f.region,
        "pipeline": {"name": f.pipeline_name,
                     "artifactBucket": str((declared["pipeline"].get("artifactStore") or {}).get("location", ""))},
        "source": source_settings,
        "image": {"repository": await image_source_repository(f) or "none"},
        "codeDeploy": {"application": deploy.configuration.get("ApplicationName", ""),
                       "deploymentGroup": deploy.configuration.get("DeploymentGroupName", ""),
                       "deploymentConfig": shift, "hooks": hooks,
                       "alarms": [str(a["name"]) for a in (group.get("alarmConfiguration") or {}).get("alarms") or []]},
        "ecs": {"cluster": str(service.get("clusterArn", "")).rsplit("/", 1)[-1],
                "service": str(service.get("serviceName", ""))},
        "task": {"family": str(taskdef.get("family", "")), "containerName": str(first.get("name") or "app"),
                 "executionRoleArn": taskdef.get("executionRoleArn") or None,
                 "taskRoleArn": taskdef.get("taskRoleArn") or None,
                 **({"logGroup": log_options["awslogs-group"]} if log_options.get("awslogs-group") else {})},
    }
    return Config.model_validate(data)


_HOOK_EVENTS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")


async def setup_arns(f: Facts, config: Config) -> Arns:
    """needs.py's ARNs with the account's real account id and listener ARNs."""
    account, (prod, test) = await asyncio.gather(f.account(), f.listener_arns())
    refs = Refs.offline(config, account_id=account)
    if prod:
        refs = refs.with_values(production_listener_arn=prod[0])
    if test:
        refs = refs.with_values(test_listener_arn=test[0])
    return Arns(config, refs)


async def pipeline_role_needs(f: Facts) -> list[Need]:
    config = await setup_config(f)
    arns, template = await asyncio.gather(setup_arns(f, config), template_taskdef(f))
    needs = pipeline_needs(config, arns)
    # needs.py assumes bluegreen's taskdef.json, which carries the stack tag: registering a
    # template with no tags tags nothing, so ecs:TagResource is needed only when it has tags.
    if template is None or not template.document.get("tags"):
        needs = [n for n in needs if n.action != "ecs:TagResource"]
    return needs


async def codedeploy_role_needs(f: Facts) -> list[Need]:
    config = await setup_config(f)
    return codedeploy_needs(config, await setup_arns(f, config))


# -- the policy a fix adds ---------------------------------------------------------------------


# needs.py names one example of resources AWS authorizes many of (an artifact object, a task
# set, a log stream, a task definition revision); the fix grants the family, as renderers/iam.py does.
_GENERAL = (
    (re.compile(r"^(arn:[^:]+:s3:::[^/]+)/.+/SourceArti/Ab12Cd3$"), r"\1/*"),
    (re.compile(r"^(arn:[^:]+:ecs:.+:task-set/[^/]+/[^/]+)/ecs-svc/1234567890123456789$"), r"\1/*"),
    (re.compile(r"^(arn:[^:]+:logs:.+:log-group:.+):log-stream:.*$"), r"\1:*"),
    (re.compile(r"^(arn:[^:]+:ecs:.+:task-definition/[^:]+):[0-9]+$"), r"\1:*"),
)


def policy_resource(need: Need) -> str:
    for pattern, replacement in _GENERAL:
        if pattern.match(need.resource):
            return pattern.sub(replacement, need.resource)
    return need.resource


def fix_policy(needs: Iterable[Need]) -> dict[str, Any]:
    """An identity policy granting exactly these needs, one statement per resource and context."""
    grouped: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
    for need in needs:
        key = (policy_resource(need), tuple(sorted(need.context.items())))
        actions = grouped.setdefault(key, [])
        if need.action not in actions:
            actions.append(need.action)
    statements = []
    for (resource, context), actions in grouped.items():
        statement: dict[str, Any] = {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
                                     "Resource": resource}
        if context:
            statement["Condition"] = {"StringEquals": dict(context)}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}
