"""The facts the rules read, each fetched once and shared.

`Facts.call` runs one AWS call in a worker thread (boto3 blocks), at most `concurrency` (16) at a
time, and remembers its answer: two rules asking for the same describe call get one request.
The spine of the setup (pipeline -> deploy action -> deployment group -> service -> task
definition; listeners, target groups, load balancer; the source templates; the rules that
start the pipeline) has one async method each, memoized too, so a rule awaits only what it
needs and independent rules fetch in parallel: the doctor takes about as long as its longest
chain of dependent calls, not the sum of its calls.

A call that fails raises `Unavailable` naming the call and AWS's error code; the rule that
needed it is reported as not checked. A resource that does not exist is a fact, not a
failure: the `missing` codes of a call turn into None.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bluegreen.aws.session import AwsSession
from bluegreen.errors import aws_error_code
from bluegreen.model.config import Config

T = TypeVar("T")

IMAGE_PROVIDERS = ("ECR",)
DEPLOY_PROVIDERS = ("CodeDeployToECS",)

_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="bluegreen-doctor")


class Unavailable(Exception):
    """A fact the account would not give: `reason` says which call and what AWS answered."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Planned(Unavailable):
    """The fact is about something `apply` will create (`validate --online` before apply):
    nothing on the account to judge yet, and correct by construction."""


class NoSuchPipeline(Unavailable):
    """The pipeline named does not exist in the region: nothing to diagnose."""


@dataclass(frozen=True)
class CallRecord:
    """One AWS call of a run: asked (before waiting for a free slot), started, ended (monotonic s)."""

    service: str
    operation: str
    params: dict[str, Any]
    asked: float
    started: float
    ended: float


@dataclass(frozen=True)
class Action:
    stage: str
    name: str
    provider: str
    category: str
    configuration: dict[str, str]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    role_arn: str = ""
    region: str = ""


@dataclass(frozen=True)
class EventRule:
    name: str
    arn: str
    state: str
    pattern: dict[str, Any] | None  # None: a scheduled rule
    targets: tuple[dict[str, Any], ...]  # those whose Arn is the pipeline


@dataclass(frozen=True)
class Templates:
    """The deploy action's task definition and AppSpec templates as the source holds them."""

    taskdef_text: str | None  # None: the file is not in the artifact
    appspec_text: str | None
    where: str  # e.g. "CodeCommit demo-deploy@main"
    taskdef_path: str
    appspec_path: str


class Facts:
    def __init__(self, session: AwsSession, pipeline: str, concurrency: int = 16) -> None:
        self.session = session
        self.pipeline_name = pipeline
        self.region = session.region
        self.calls = 0
        # Each call as made: the benchmark finds the longest chain of dependent calls in it
        self.log: list[CallRecord] = []
        self._limit = asyncio.Semaphore(concurrency)
        self._answers: dict[str, asyncio.Task[Any]] = {}

    # -- the two primitives -------------------------------------------------------------

    async def call(self, service: str, operation: str, missing: Iterable[str] = (), **params: Any) -> Any:
        """`client(service).<operation>(**params)`, once per distinct request; None when AWS
        answers one of the `missing` error codes; `Unavailable` for any other error."""
        key = f"call {service}.{operation} {json.dumps(params, sort_keys=True, default=str)}"
        missing = tuple(missing)

        async def fetch() -> Any:
            asked = time.monotonic()
            async with self._limit:
                self.calls += 1
                method = getattr(self.session.client(service), operation)
                context = contextvars.copy_context()
                loop = asyncio.get_running_loop()
                started = time.monotonic()
                try:
                    return await loop.run_in_executor(_POOL, lambda: context.run(method, **params))
                except Exception as exc:
                    code = aws_error_code(exc)
                    if code and code in missing:
                        return None
                    name = "".join(part.title() for part in operation.split("_"))
                    raise Unavailable(f"{service}.{name} answered {code or type(exc).__name__}"
                                      f"{': ' + _message(exc) if _message(exc) else ''}") from None
                finally:
                    self.log.append(CallRecord(service, operation, params, asked, started, time.monotonic()))

        return await self.once(key, fetch)

    async def once(self, key: str, build: Callable[[], Awaitable[T]]) -> T:
        """The value of `build()`, computed by the first caller and shared with the rest."""
        task = self._answers.get(key)
        if task is None:
            task = asyncio.ensure_future(build())
            self._answers[key] = task
        return await asyncio.shield(task)

    async def known_config(self) -> Config | None:
        """The stack's config when the facts come from one (`validate --online`), else None."""
        return None

    # -- the spine -------------------------------------------------------------------------

    async def pipeline(self) -> dict[str, Any]:
        answer = await self.call("codepipeline", "get_pipeline", missing=("PipelineNotFoundException",),
                                 name=self.pipeline_name)
        if answer is None:
            raise NoSuchPipeline(f"no pipeline named {self.pipeline_name} in {self.region}")
        return dict(answer)

    async def pipeline_arn(self) -> str:
        answer = await self.pipeline()
        arn = (answer.get("metadata") or {}).get("pipelineArn")
        if arn:
            return str(arn)
        account = (await self.call("sts", "get_caller_identity"))["Account"]
        return f"arn:aws:codepipeline:{self.region}:{account}:{self.pipeline_name}"

    async def account(self) -> str:
        return str((await self.call("sts", "get_caller_identity"))["Account"])

    async def actions(self) -> list[Action]:
        declared = (await self.pipeline())["pipeline"]
        return [Action(stage=str(stage.get("name", "")), name=str(a.get("name", "")),
                       provider=str((a.get("actionTypeId") or {}).get("provider", "")),
                       category=str((a.get("actionTypeId") or {}).get("category", "")),
                       configuration={k: str(v) for k, v in (a.get("configuration") or {}).items()},
                       inputs=tuple(str(i["name"]) for i in a.get("inputArtifacts") or []),
                       outputs=tuple(str(o["name"]) for o in a.get("outputArtifacts") or []),
                       role_arn=str(a.get("roleArn") or ""), region=str(a.get("region") or ""))
                for stage in declared.get("stages") or [] for a in stage.get("actions") or []]

    async def sources(self) -> list[Action]:
        return [a for a in await self.actions() if a.category == "Source"]

    async def deploy_action(self) -> Action:
        found = [a for a in await self.actions() if a.provider in DEPLOY_PROVIDERS]
        if not found:
            raise Unavailable(f"pipeline {self.pipeline_name} has no CodeDeployToECS action")
        return found[0]

    async def producer(self, artifact: str) -> Action | None:
        """The action whose output artifact this is."""
        return next((a for a in await self.actions() if artifact in a.outputs), None)

    async def deployment_group(self) -> dict[str, Any]:
        deploy = await self.deploy_action()
        options = deploy.configuration
        app, group = options.get("ApplicationName", ""), options.get("DeploymentGroupName", "")
        answer = await self.call("codedeploy", "get_deployment_group",
                                 missing=("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"),
                                 applicationName=app, deploymentGroupName=group)
        if answer is None:
            raise Unavailable(f"the deploy action names deployment group {group} of application {app}, "
                              "which does not exist")
        return dict(answer["deploymentGroupInfo"])

    async def pair(self) -> dict[str, Any]:
        """The deployment group's target group pair: targetGroups, prodTrafficRoute, testTrafficRoute."""
        pairs = ((await self.deployment_group()).get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
        if not pairs:
            raise Unavailable("the deployment group has no target group pair")
        return dict(pairs[0])

    async def service(self) -> dict[str, Any]:
        services = (await self.deployment_group()).get("ecsServices") or []
        if not services:
            raise Unavailable("the deployment group names no ECS service")
        cluster, name = services[0]["clusterName"], services[0]["serviceName"]
        answer = await self.call("ecs", "describe_services", cluster=cluster, services=[name])
        found = [s for s in answer.get("services") or [] if s.get("status") != "INACTIVE"]
        if not found:
            raise Unavailable(f"the deployment group names ECS service {cluster}/{name}, which does not exist")
        return dict(found[0])

    async def primary(self) -> dict[str, Any]:
        """The service's PRIMARY task set (a CODE_DEPLOY service's live settings), else the service."""
        service = await self.service()
        return next((s for s in service.get("taskSets") or [] if s.get("status") == "PRIMARY"), service)

    async def task_definition(self) -> dict[str, Any]:
        arn = (await self.primary()).get("taskDefinition") or (await self.service()).get("taskDefinition")
        if not arn:
            raise Unavailable("the service has no task definition yet")
        answer = await self.call("ecs", "describe_task_definition", taskDefinition=str(arn))
        return dict(answer["taskDefinition"])

    async def awsvpc(self) -> dict[str, Any]:
        """The tasks' subnets, security groups and assignPublicIp."""
        for holder in (await self.primary(), await self.service()):
            config = (holder.get("networkConfiguration") or {}).get("awsvpcConfiguration")
            if config:
                return dict(config)
        raise Unavailable("the service has no awsvpc network configuration")

    async def target_groups(self) -> list[dict[str, Any]]:
        """The pair's target groups, in the pair's order."""
        names = [str(g["name"]) for g in (await self.pair()).get("targetGroups") or []]
        unique = list(dict.fromkeys(names))
        answer = await self.call("elbv2", "describe_target_groups", missing=("TargetGroupNotFound",), Names=unique)
        if answer is None:
            raise Unavailable(f"a target group of the pair ({', '.join(unique)}) does not exist")
        by_name = {g["TargetGroupName"]: g for g in answer["TargetGroups"]}
        return [dict(by_name[n]) for n in names if n in by_name]

    async def listener_arns(self) -> tuple[list[str], list[str]]:
        pair = await self.pair()
        return ([str(a) for a in (pair.get("prodTrafficRoute") or {}).get("listenerArns") or []],
                [str(a) for a in (pair.get("testTrafficRoute") or {}).get("listenerArns") or []])

    async def listeners(self) -> dict[str, dict[str, Any]]:
        """The production and test listeners by ARN."""
        prod, test = await self.listener_arns()
        arns = list(dict.fromkeys(prod + test))
        if not arns:
            return {}
        answer = await self.call("elbv2", "describe_listeners", missing=("ListenerNotFound",), ListenerArns=arns)
        if answer is None:
            raise Unavailable("a listener of the deployment group does not exist")
        return {str(item["ListenerArn"]): dict(item) for item in answer["Listeners"]}

    async def load_balancer(self) -> dict[str, Any]:
        """The load balancer of the production listener."""
        prod, _ = await self.listener_arns()
        listeners = await self.listeners()
        if not prod or prod[0] not in listeners:
            raise Unavailable("the deployment group has no production listener")
        arn = listeners[prod[0]]["LoadBalancerArn"]
        answer = await self.call("elbv2", "describe_load_balancers", LoadBalancerArns=[arn])
        return dict(answer["LoadBalancers"][0])

    async def event_rules(self) -> list[EventRule]:
        """The EventBridge rules with a target that is this pipeline."""
        arn = await self.pipeline_arn()
        names = (await self.call("events", "list_rule_names_by_target", TargetArn=arn)).get("RuleNames") or []

        async def one(name: str) -> EventRule:
            rule, targets = await asyncio.gather(self.call("events", "describe_rule", Name=name),
                                                 self.call("events", "list_targets_by_rule", Rule=name))
            pattern = rule.get("EventPattern")
            return EventRule(name=name, arn=str(rule.get("Arn", "")), state=str(rule.get("State", "")),
                             pattern=json.loads(pattern) if pattern else None,
                             targets=tuple(t for t in targets.get("Targets") or [] if t.get("Arn") == arn))

        return list(await asyncio.gather(*(one(str(n)) for n in names)))

    async def templates(self) -> Templates:
        """taskdef.json and appspec.yaml as the deploy action's source holds them now."""
        deploy = await self.deploy_action()
        options = deploy.configuration
        taskdef_art = options.get("TaskDefinitionTemplateArtifact", "")
        appspec_art = options.get("AppSpecTemplateArtifact", "")
        taskdef_path = options.get("TaskDefinitionTemplatePath") or "taskdef.json"
        appspec_path = options.get("AppSpecTemplatePath") or "appspec.yaml"
        (taskdef, where), (appspec, _) = await asyncio.gather(self.artifact_file(taskdef_art, taskdef_path),
                                                             self.artifact_file(appspec_art, appspec_path))
        return Templates(taskdef, appspec, where, taskdef_path, appspec_path)

    async def artifact_file(self, artifact: str, path: str) -> tuple[str | None, str]:
        """One file of a source action's output artifact, read from the source itself (the
        files the next execution will get), and where it was read."""
        source = await self.producer(artifact)
        if source is None:
            raise Unavailable(f"no action of the pipeline outputs artifact {artifact}")
        options = source.configuration
        if source.provider == "CodeCommit":
            repo, branch = options.get("RepositoryName", ""), options.get("BranchName", "")
            where = f"CodeCommit {repo}@{branch}"
            answer = await self.call("codecommit", "get_file",
                                     missing=("FileDoesNotExistException", "CommitDoesNotExistException"),
                                     repositoryName=repo, commitSpecifier=branch, filePath=path)
            return (None if answer is None else bytes(answer["fileContent"]).decode("utf-8", "replace")), where
        if source.provider == "S3":
            bucket, key = options.get("S3Bucket", ""), options.get("S3ObjectKey", "")
            where = f"s3://{bucket}/{key}"
            body = await self.s3_object(bucket, key)
            if body is None:
                return None, where
            return _from_zip(body, path), where
        raise Unavailable(f"artifact {artifact} comes from a {source.provider} action, whose files the doctor "
                          "cannot read before the pipeline runs")

    async def s3_object(self, bucket: str, key: str) -> bytes | None:
        async def read() -> bytes | None:
            answer = await self.call("s3", "get_object", missing=("NoSuchKey", "NoSuchBucket"), Bucket=bucket, Key=key)
            if answer is None:
                return None
            return await asyncio.get_running_loop().run_in_executor(_POOL, answer["Body"].read)

        return await self.once(f"s3 body {bucket}/{key}", read)


def _from_zip(body: bytes, path: str) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if path not in archive.namelist():
                return None
            return archive.read(path).decode("utf-8", "replace")
    except zipfile.BadZipFile:
        raise Unavailable("the S3 source object is not a zip file") from None


def _message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Message") or "")
    return ""
