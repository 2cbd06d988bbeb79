"""Live discovery of an account (and of this machine) for the wizard and the planner.

Blocking, one-kind functions (boto3, paginators everywhere) live in `discovery_network` and
`discovery_services` and are re-exported here; records in `discovery_records`. This module adds:

- `discover_all(session)`: every kind at once with bounded parallelism (asyncio, a thread per
  blocking call, at most `concurrency` calls in flight). The fan-outs (images of each repository,
  services of each cluster, listeners of each load balancer...) run concurrently too, and a list
  call two kinds need (clusters for `clusters` and `services`) is made once. Each kind ends in a
  `Found` with its items or its error; one kind failing (AccessDenied, a service absent from the
  region, no Docker engine) leaves the others untouched. A `DiscoveryResult` event is emitted
  per kind as it completes.
- `describe_problem(exc)`: one line of text for any error a discovery can meet, with the AWS
  error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bluegreen.aws.discovery_network import (
    build_subnets,
    default_vpc,
    is_public,
    public_subnets_one_per_az,
    raw_subnets,
    route_table_for,
    route_tables,
    routes_to_internet,
    security_groups,
    subnets,
    vpcs,
)
from bluegreen.aws.discovery_records import (
    Account,
    Cluster,
    CodeCommitRepository,
    CodeDeployApplication,
    Discovery,
    EcrImage,
    EcrRepository,
    EcsService,
    Found,
    Listener,
    LoadBalancer,
    LocalImage,
    Pipeline,
    Role,
    SecurityGroup,
    Subnet,
    TargetGroup,
    Vpc,
    WeightedTargetGroup,
)
from bluegreen.aws.discovery_services import (
    account,
    cluster_arns,
    clusters,
    codecommit_repositories,
    codecommit_repository_names,
    codedeploy_application_names,
    codedeploy_applications,
    codedeploy_platforms,
    deployment_groups,
    describe_clusters,
    describe_codecommit_repositories,
    describe_services,
    ecr_images,
    ecr_repositories,
    ecs_services,
    forward_targets,
    listeners,
    load_balancers,
    local_images,
    offered_in_region,
    pipeline_record,
    pipeline_summaries,
    pipeline_type,
    pipelines,
    roles,
    service_arns,
    target_groups,
    trusted_services,
)
from bluegreen.aws.errors import is_not_found
from bluegreen.errors import Failed, aws_error_code
from bluegreen.events import DiscoveryResult, ignore
from bluegreen.images.dockerfiles import find_dockerfiles

if TYPE_CHECKING:
    from bluegreen.aws.session import AwsSession
    from bluegreen.events import Listener as EventListener

__all__ = [
    "Account", "Cluster", "CodeCommitRepository", "CodeDeployApplication", "Discovery", "EcrImage",
    "EcrRepository", "EcsService", "Found", "Listener", "LoadBalancer", "LocalImage", "Pipeline",
    "Role", "SecurityGroup", "Subnet", "TargetGroup", "Vpc", "WeightedTargetGroup", "account",
    "build_subnets", "cluster_arns", "clusters", "codecommit_repositories", "codedeploy_applications",
    "default_vpc", "describe_problem", "discover_all", "ecr_images", "ecr_repositories", "ecs_services",
    "error_code", "forward_targets", "is_public", "listeners", "load_balancers", "local_images",
    "offered_in_region", "pipelines", "public_subnets_one_per_az", "raw_subnets", "roles",
    "route_table_for", "route_tables", "routes_to_internet", "security_groups", "subnets",
    "target_groups", "trusted_services", "vpcs",
]

R = TypeVar("R")



# -- errors as text -------------------------------------------------------------------


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    return aws_error_code(exc) or type(exc).__name__


def describe_problem(exc: BaseException) -> str:
    """One line saying what went wrong, with the AWS error code and, where known, the likely cause."""
    classes = {c.__name__ for c in type(exc).__mro__}
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:  # botocore ClientError
        code = error_code(exc)
        message = str((response.get("Error") or {}).get("Message") or "").strip()
        operation = getattr(exc, "operation_name", "") or "the call"
        text = f"{code} on {operation}" + (f": {message}" if message else "")
        lowered = code.lower()
        if "accessdenied" in lowered or code in ("UnauthorizedOperation", "AuthorizationError"):
            return f"{text} (these credentials lack the permission for {operation})"
        if code in ("UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch"):
            return (f"{text} (the credentials are not valid here; "
                    "the service may not be enabled in this region)")
        if code in ("SubscriptionRequiredException", "OptInRequired"):
            return f"{text} (the service is not enabled for this account)"
        if "throttl" in lowered or code in ("RequestLimitExceeded", "TooManyRequestsException"):
            return f"{text} (still throttled after retries)"
        return text
    if "EndpointConnectionError" in classes or "ConnectTimeoutError" in classes:
        return (f"{type(exc).__name__}: {exc} (the service may not be available in this region, "
                "or the endpoint is unreachable)")
    if "NoCredentialsError" in classes:
        return "NoCredentialsError: no AWS credentials were found"
    if isinstance(exc, Failed):
        return str(exc)
    if type(exc).__module__.split(".")[0] == "docker":
        return f"Docker engine not reachable ({type(exc).__name__}: {exc})"
    if isinstance(exc, ModuleNotFoundError) and exc.name == "docker":
        return "docker-py is not installed (pip install docker)"
    if isinstance(exc, TimeoutError):
        return str(exc) or "timed out"
    return f"{type(exc).__name__}: {exc}"


class _Partial(Exception):
    """A fan-out where some calls failed: what arrived, and the first failure."""

    def __init__(self, items: Sequence[Any], first: BaseException, failed: int, total: int) -> None:
        super().__init__(str(first))
        self.items, self.first, self.failed, self.total = items, first, failed, total


# -- discover_all ---------------------------------------------------------------------


class _Runner:
    def __init__(self, concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        # Own pool: asyncio's default one may have fewer threads than `concurrency` (cpu + 4).
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bluegreen-discovery")
        self.shared: dict[str, asyncio.Task[Any]] = {}

    async def call(self, fn: Callable[..., R], *args: Any) -> R:
        async with self.semaphore:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, functools.partial(fn, *args))

    def once(self, key: str, fn: Callable[..., R], *args: Any) -> Awaitable[R]:
        """A call shared by several kinds: made once, awaited by each (shielded, so one kind's
        timeout does not cancel it for the others)."""
        task = self.shared.get(key)
        if task is None:
            task = asyncio.ensure_future(self.call(fn, *args))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved either way
            self.shared[key] = task
        return asyncio.shield(task)

    async def fan_out(self, coros: Iterable[Coroutine[Any, Any, Sequence[R]]]) -> list[R]:
        """Run coroutines concurrently; flatten their lists. Vanished resources are skipped;
        other failures become a `_Partial` carrying what did arrive."""
        coros = list(coros)
        results = await asyncio.gather(*coros, return_exceptions=True)
        items: list[R] = []
        failures: list[BaseException] = []
        for result in results:
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if not is_not_found(result):  # gone between the list and the describe call
                    failures.append(result)
            else:
                items.extend(result)
        if failures:
            raise _Partial(items, failures[0], len(failures), len(coros))
        return items


async def discover_all(
    session: AwsSession,
    *,
    vpc_id: str | None = None,
    concurrency: int = 8,
    on_event: EventListener = ignore,
    workdir: str | Path = ".",
    local: bool = True,
    timeout: float | None = 60.0,
) -> Discovery:
    """Discover every kind concurrently, at most `concurrency` blocking calls in flight.

    `vpc_id` limits subnets and security groups to one VPC (all VPCs when None). `local=False`
    skips the machine-local kinds (Docker images, Dockerfiles under `workdir`). A kind that takes
    longer than `timeout` seconds ends with an error; the others are not held up by it.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    run = _Runner(concurrency)
    started = time.monotonic()

    async def subnet_kind() -> list[Subnet]:
        raw, tables = await asyncio.gather(run.call(raw_subnets, session, vpc_id),
                                           run.call(route_tables, session, vpc_id))
        return build_subnets(raw, tables)

    async def ecr_image_kind() -> list[EcrImage]:
        repos = await run.once("ecr", ecr_repositories, session)
        return await run.fan_out(run.call(ecr_images, session, r.name) for r in repos)

    async def cluster_kind() -> list[Cluster]:
        arns = await run.once("clusters", cluster_arns, session)
        return await run.call(describe_clusters, session, arns) if arns else []

    async def services_of(cluster: str) -> list[EcsService]:
        arns = await run.call(service_arns, session, cluster)
        return await run.call(describe_services, session, cluster, arns) if arns else []

    async def service_kind() -> list[EcsService]:
        arns = await run.once("clusters", cluster_arns, session)
        return await run.fan_out(services_of(c) for c in arns)

    async def listener_kind() -> list[Listener]:
        lbs = await run.once("lbs", load_balancers, session)
        return await run.fan_out(run.call(listeners, session, lb.arn) for lb in lbs)

    async def codecommit_kind() -> list[CodeCommitRepository]:
        names = await run.call(codecommit_repository_names, session)
        return await run.call(describe_codecommit_repositories, session, names) if names else []

    async def codedeploy_kind() -> list[CodeDeployApplication]:
        names = sorted(await run.call(codedeploy_application_names, session))
        if not names:
            return []
        platforms, groups = await asyncio.gather(
            run.call(codedeploy_platforms, session, names),
            asyncio.gather(*(run.call(deployment_groups, session, n) for n in names)))
        return [CodeDeployApplication(n, platforms.get(n, ""), tuple(g))
                for n, g in zip(names, groups, strict=True)]

    async def pipeline_kind() -> list[Pipeline]:
        summaries = await run.call(pipeline_summaries, session)

        async def one(summary: dict[str, Any]) -> list[Pipeline]:
            if summary.get("pipelineType"):
                return [pipeline_record(summary)]
            return [pipeline_record(summary, await run.call(pipeline_type, session, summary["name"]))]

        return sorted(await run.fan_out(one(s) for s in summaries), key=lambda p: p.name)

    async def one_call(fn: Callable[..., Any], *args: Any) -> Any:
        return await run.call(fn, *args)

    async def single(fn: Callable[[AwsSession], Any]) -> list[Any]:
        return [await run.call(fn, session)]

    kinds: dict[str, Callable[[], Awaitable[Sequence[Any]]]] = {
        "account": lambda: single(account),
        "vpcs": lambda: one_call(vpcs, session),
        "subnets": subnet_kind,
        "security_groups": lambda: one_call(security_groups, session, vpc_id),
        "ecr_repositories": lambda: run.once("ecr", ecr_repositories, session),
        "ecr_images": ecr_image_kind,
        "clusters": cluster_kind,
        "services": service_kind,
        "load_balancers": lambda: run.once("lbs", load_balancers, session),
        "listeners": listener_kind,
        "target_groups": lambda: one_call(target_groups, session),
        "roles": lambda: one_call(roles, session),
        "codecommit_repositories": codecommit_kind,
        "codedeploy_applications": codedeploy_kind,
        "pipelines": pipeline_kind,
    }
    services = {"vpcs": "ec2", "subnets": "ec2", "security_groups": "ec2", "ecr_repositories": "ecr",
                "ecr_images": "ecr", "clusters": "ecs", "services": "ecs", "load_balancers": "elbv2",
                "listeners": "elbv2", "target_groups": "elbv2", "codecommit_repositories": "codecommit",
                "codedeploy_applications": "codedeploy", "pipelines": "codepipeline"}
    if local:
        kinds["local_images"] = lambda: one_call(local_images)
        kinds["dockerfiles"] = lambda: one_call(find_dockerfiles, workdir)

    results: dict[str, Found[Any]] = {}

    async def run_kind(kind: str, make: Callable[[], Awaitable[Sequence[Any]]]) -> None:
        began = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                service = services.get(kind)
                if service and not await run.call(offered_in_region, session, service):
                    raise Failed(f"{service} is not offered in region {session.region}",
                                 "choose a region where it is (--region)")
                items = tuple(await make())
            found: Found[Any] = Found(items, "", time.monotonic() - began)
        except _Partial as partial:
            error = describe_problem(partial.first)
            if partial.failed > 1:
                error += f" (and {partial.failed - 1} more of {partial.total} calls failed)"
            found = Found(tuple(partial.items), error, time.monotonic() - began)
        except TimeoutError:
            found = Found((), f"no answer within {timeout:g} s", time.monotonic() - began)
        except Exception as exc:
            found = Found((), describe_problem(exc), time.monotonic() - began)
        results[kind] = found
        on_event(DiscoveryResult(kind=kind, count=len(found.items), error=found.error))

    try:
        async with asyncio.TaskGroup() as group:
            for kind, make in kinds.items():
                group.create_task(run_kind(kind, make))
    finally:
        run.pool.shutdown(wait=False, cancel_futures=True)
        for task in run.shared.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return Discovery(**results, vpc_id=vpc_id, seconds=time.monotonic() - started)
