"""Discovery of everything but the network: account, ECR, local Docker images, ECS, ELBv2, IAM,
CodeCommit, CodeDeploy and CodePipeline.

Each kind comes as small blocking steps (one list call, one batch of describes) so that
`discover_all` can run the fan-out of a kind concurrently, plus one composed function per kind
(`clusters(session)`, `ecs_services(session)`, ...) for callers that just want the records.
Every list call goes through a paginator; batched describes respect each API's batch limit.
"""

from __future__ import annotations

import importlib
import json
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bluegreen.aws.discovery_network import _paginate
from bluegreen.aws.discovery_records import (
    Account,
    Cluster,
    CodeCommitRepository,
    CodeDeployApplication,
    EcrImage,
    EcrRepository,
    EcsService,
    Listener,
    LoadBalancer,
    LocalImage,
    Pipeline,
    Role,
    TargetGroup,
    WeightedTargetGroup,
)
from bluegreen.images.dockerfiles import ExposedPort

if TYPE_CHECKING:
    from bluegreen.aws.session import AwsSession

T = TypeVar("T")

LOCAL_IMAGE_LIMIT = 200  # newest tagged images inspected; a build cache can hold thousands
DOCKER_TIMEOUT_S = 10


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def offered_in_region(session: AwsSession, service: str) -> bool:
    """False when botocore's endpoint data knows the region and does not list `service` there
    (e.g. a service AWS has not launched in that region). Unknown regions and custom endpoints
    (the sandbox) count as offered: the call itself will tell."""
    if session.target.is_sandbox:
        return True
    boto = session.boto
    try:
        partition = boto.get_partition_for_region(session.region)
        if session.region not in boto.get_available_regions("ec2", partition):
            return True  # a region this botocore does not know yet
        return session.region in boto.get_available_regions(service, partition)
    except Exception:  # no endpoint data: do not guess
        return True


# -- account ------------------------------------------------------------------------


def account(session: AwsSession) -> Account:
    ident = session.identity()
    return Account(ident.account, ident.arn, session.region)


# -- ECR ------------------------------------------------------------------------------


def ecr_repositories(session: AwsSession) -> list[EcrRepository]:
    raw = _paginate(session.client("ecr"), "describe_repositories", "repositories")
    repos = (EcrRepository(r["repositoryName"], r.get("repositoryUri", ""), r.get("repositoryArn", ""))
             for r in raw)
    return sorted(repos, key=lambda r: r.name)


def ecr_images(session: AwsSession, repository: str) -> list[EcrImage]:
    """Images of one repository, newest push first."""
    raw = _paginate(session.client("ecr"), "describe_images", "imageDetails", repositoryName=repository)
    images = [EcrImage(
        repository=repository,
        tags=tuple(d.get("imageTags") or ()),
        digest=d.get("imageDigest", ""),
        size_bytes=int(d.get("imageSizeInBytes") or 0),
        pushed_at=d.get("imagePushedAt"),
    ) for d in raw]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(images, key=lambda i: (i.pushed_at or epoch, i.digest), reverse=True)


# -- local Docker images ------------------------------------------------------------


def local_images(limit: int = LOCAL_IMAGE_LIMIT) -> list[LocalImage]:
    """Tagged images in the local Docker engine, newest first (docker-py, imported lazily).

    Raises if docker-py is missing or the engine is unreachable; `discover_all` reports that on
    the `local_images` item.
    """
    docker = importlib.import_module("docker")
    client = docker.from_env(timeout=DOCKER_TIMEOUT_S)
    try:
        summaries = [s for s in client.api.images() if _real_tags(s.get("RepoTags"))]
        summaries.sort(key=lambda s: int(s.get("Created") or 0), reverse=True)
        result = []
        for summary in summaries[:limit]:
            config = (client.api.inspect_image(summary["Id"]).get("Config") or {})
            result.append(LocalImage(
                id=summary["Id"],
                tags=_real_tags(summary.get("RepoTags")),
                exposed_ports=_ports(config.get("ExposedPorts") or {}),
                created=datetime.fromtimestamp(int(summary["Created"]), UTC)
                if summary.get("Created") else None,
            ))
        return result
    finally:
        client.close()


def _real_tags(tags: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(t for t in tags or () if t and t != "<none>:<none>")


def _ports(exposed: Mapping[str, Any]) -> tuple[ExposedPort, ...]:
    ports = []
    for key in exposed:
        number, _, protocol = str(key).partition("/")
        if number.isdigit():
            ports.append(ExposedPort(int(number), protocol or "tcp"))
    return tuple(sorted(ports))


# -- ECS ------------------------------------------------------------------------------


def cluster_arns(session: AwsSession) -> list[str]:
    return _paginate(session.client("ecs"), "list_clusters", "clusterArns")


def describe_clusters(session: AwsSession, arns: Sequence[str]) -> list[Cluster]:
    ecs = session.client("ecs")
    result = []
    for batch in chunks(arns, 100):
        for c in ecs.describe_clusters(clusters=list(batch))["clusters"]:
            result.append(Cluster(c["clusterName"], c["clusterArn"], c.get("status", ""),
                                  int(c.get("activeServicesCount", 0))))
    return sorted(result, key=lambda c: c.name)


def clusters(session: AwsSession) -> list[Cluster]:
    return describe_clusters(session, cluster_arns(session))


def service_arns(session: AwsSession, cluster: str) -> list[str]:
    return _paginate(session.client("ecs"), "list_services", "serviceArns", cluster=cluster)


def describe_services(session: AwsSession, cluster: str, arns: Sequence[str]) -> list[EcsService]:
    ecs = session.client("ecs")
    result = []
    for batch in chunks(arns, 10):
        for s in ecs.describe_services(cluster=cluster, services=list(batch))["services"]:
            providers = s.get("capacityProviderStrategy") or [{}]
            result.append(EcsService(
                cluster=_name_from_arn(s.get("clusterArn", cluster)),
                name=s["serviceName"],
                arn=s["serviceArn"],
                launch_type=s.get("launchType") or providers[0].get("capacityProvider", ""),
                deployment_controller=(s.get("deploymentController") or {}).get("type", "ECS"),
                desired=int(s.get("desiredCount", 0)),
                running=int(s.get("runningCount", 0)),
                task_definition=s.get("taskDefinition", ""),
                status=s.get("status", ""),
            ))
    return sorted(result, key=lambda s: s.name)


def ecs_services(session: AwsSession, cluster: str | None = None) -> list[EcsService]:
    """Services of one cluster (name or ARN), or of every cluster when None."""
    names = [cluster] if cluster else cluster_arns(session)
    return [s for c in names for s in describe_services(session, c, service_arns(session, c))]


# -- ELBv2 ----------------------------------------------------------------------------


def load_balancers(session: AwsSession) -> list[LoadBalancer]:
    raw = _paginate(session.client("elbv2"), "describe_load_balancers", "LoadBalancers")
    lbs = (LoadBalancer(
        name=lb["LoadBalancerName"],
        arn=lb["LoadBalancerArn"],
        dns_name=lb.get("DNSName", ""),
        scheme=lb.get("Scheme", ""),
        vpc_id=lb.get("VpcId", ""),
        state=(lb.get("State") or {}).get("Code", ""),
        az_subnets=tuple(sorted((z.get("ZoneName", ""), z.get("SubnetId", ""))
                                for z in lb.get("AvailabilityZones") or [])),
        security_groups=tuple(lb.get("SecurityGroups") or ()),
        lb_type=lb.get("Type", "application"),
    ) for lb in raw)
    return sorted(lbs, key=lambda lb: lb.name)


def listeners(session: AwsSession, lb_arn: str) -> list[Listener]:
    raw = _paginate(session.client("elbv2"), "describe_listeners", "Listeners", LoadBalancerArn=lb_arn)
    result = [Listener(
        arn=li["ListenerArn"],
        lb_arn=li.get("LoadBalancerArn", lb_arn),
        port=int(li.get("Port", 0)),
        protocol=li.get("Protocol", ""),
        target_groups=forward_targets(li.get("DefaultActions") or []),
    ) for li in raw]
    return sorted(result, key=lambda li: li.port)


def forward_targets(actions: Iterable[Mapping[str, Any]]) -> tuple[WeightedTargetGroup, ...]:
    """The weighted target groups of the forward action(s) among a listener's default actions."""
    result: list[WeightedTargetGroup] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if weighted:
            result.extend(WeightedTargetGroup(t["TargetGroupArn"], int(t.get("Weight", 1)))
                          for t in weighted)
        elif action.get("TargetGroupArn"):
            result.append(WeightedTargetGroup(action["TargetGroupArn"], 1))
    return tuple(result)


def target_groups(session: AwsSession) -> list[TargetGroup]:
    raw = _paginate(session.client("elbv2"), "describe_target_groups", "TargetGroups")
    tgs = (TargetGroup(
        name=tg["TargetGroupName"],
        arn=tg["TargetGroupArn"],
        port=int(tg.get("Port") or 0),
        protocol=tg.get("Protocol", ""),
        target_type=tg.get("TargetType", ""),
        vpc_id=tg.get("VpcId", ""),
        lb_arns=tuple(dict.fromkeys(tg.get("LoadBalancerArns") or ())),
    ) for tg in raw)
    return sorted(tgs, key=lambda tg: tg.name)


# -- IAM ------------------------------------------------------------------------------


def roles(session: AwsSession) -> list[Role]:
    raw = _paginate(session.client("iam"), "list_roles", "Roles")
    result = (Role(r["RoleName"], r["Arn"], trusted_services(r.get("AssumeRolePolicyDocument")))
              for r in raw)
    return sorted(result, key=lambda r: r.name)


def trusted_services(document: Any) -> tuple[str, ...]:
    """Service principals a trust policy allows to sts:AssumeRole (document as dict or as the
    URL-encoded JSON the raw API returns)."""
    if isinstance(document, str):
        try:
            document = json.loads(urllib.parse.unquote(document))
        except ValueError:
            return ()
    if not isinstance(document, Mapping):
        return ()
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    services: set[str] = set()
    for st in statements:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(str(a).lower() in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal") or {}
        service = principal.get("Service", []) if isinstance(principal, Mapping) else []
        services.update([service] if isinstance(service, str) else [str(s) for s in service])
    return tuple(sorted(services))


# -- CodeCommit, CodeDeploy, CodePipeline --------------------------------------------


def codecommit_repository_names(session: AwsSession) -> list[str]:
    raw = _paginate(session.client("codecommit"), "list_repositories", "repositories")
    return [r["repositoryName"] for r in raw]


def describe_codecommit_repositories(session: AwsSession, names: Sequence[str]) -> list[CodeCommitRepository]:
    cc = session.client("codecommit")
    result = []
    for batch in chunks(names, 25):
        for r in cc.batch_get_repositories(repositoryNames=list(batch))["repositories"]:
            result.append(CodeCommitRepository(r["repositoryName"], r.get("Arn", ""),
                                               r.get("defaultBranch", "")))
    return sorted(result, key=lambda r: r.name)


def codecommit_repositories(session: AwsSession) -> list[CodeCommitRepository]:
    return describe_codecommit_repositories(session, codecommit_repository_names(session))


def codedeploy_application_names(session: AwsSession) -> list[str]:
    return [str(n) for n in _paginate(session.client("codedeploy"), "list_applications", "applications")]


def codedeploy_platforms(session: AwsSession, names: Sequence[str]) -> dict[str, str]:
    cd = session.client("codedeploy")
    platforms: dict[str, str] = {}
    for batch in chunks(names, 100):
        for app in cd.batch_get_applications(applicationNames=list(batch))["applicationsInfo"]:
            platforms[app["applicationName"]] = app.get("computePlatform", "")
    return platforms


def deployment_groups(session: AwsSession, application: str) -> list[str]:
    return sorted(str(g) for g in _paginate(session.client("codedeploy"), "list_deployment_groups",
                                            "deploymentGroups", applicationName=application))


def codedeploy_applications(session: AwsSession) -> list[CodeDeployApplication]:
    names = codedeploy_application_names(session)
    platforms = codedeploy_platforms(session, names)
    return [CodeDeployApplication(n, platforms.get(n, ""), tuple(deployment_groups(session, n)))
            for n in sorted(names)]


def pipeline_summaries(session: AwsSession) -> list[dict[str, Any]]:
    return _paginate(session.client("codepipeline"), "list_pipelines", "pipelines")


def pipeline_type(session: AwsSession, name: str) -> str:
    """The type from the pipeline's definition, for summaries that lack `pipelineType`."""
    declaration = session.client("codepipeline").get_pipeline(name=name)["pipeline"]
    return str(declaration.get("pipelineType") or "V1")


def pipeline_record(summary: Mapping[str, Any], type_: str | None = None) -> Pipeline:
    return Pipeline(summary["name"], int(summary.get("version", 0)),
                    type_ or str(summary.get("pipelineType") or "V1"))


def pipelines(session: AwsSession) -> list[Pipeline]:
    """Pipelines with their type. AWS lists `pipelineType` in the summaries; where an endpoint
    leaves it out, the type is read from the pipeline's definition."""
    result = [pipeline_record(p, None if p.get("pipelineType") else pipeline_type(session, p["name"]))
              for p in pipeline_summaries(session)]
    return sorted(result, key=lambda p: p.name)
