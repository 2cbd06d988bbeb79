"""The Resource Groups Tagging API's read side, owned: ``GetResources``, ``GetTagKeys``,
``GetTagValues``.

moto 5.2's ``GetResources`` fails on any ECS cluster created without tags (it iterates the
cluster's ``None`` tags), costs seconds on its first call (it imports and builds the backends of
some sixty services), lists S3 buckets of every region, and does not know the resources the sandbox
owns (CodeCommit) nor several it stores (CodeDeploy applications and groups, CodePipeline
pipelines, ECR repositories, EventBridge rules, ELBv2 listeners). The sandbox keeps its own
inventory of the services a bluegreen stack uses (EC2, ELBv2, ECS, CloudWatch Logs, S3, ECR,
EventBridge, CodeCommit, CodeDeploy, CodePipeline), read from moto's backends of the request's
region and from its own services, and filters and pages as AWS does: only resources with tags,
``TagFilters`` (filters AND-ed, a filter's values OR-ed, no values: the key is present),
``ResourceTypeFilters`` (``service`` or ``service:type``), ``ResourceARNList``,
``ResourcesPerPage`` and ``PaginationToken``. IAM users and roles are not listed (AWS's
GetResources does not support them); deleted ECS clusters and services (INACTIVE) and stopped
tasks are not listed either. ``TagResources``/``UntagResources`` stay moto's.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..wire import AwsError, AwsRequest, Response, json_response
from .common import BackendHandler, Params

log = logging.getLogger("bluegreen.sandbox.tagging")

Source = Callable[[str], dict[str, dict[str, str]]]  # region -> {arn: tags}

_ARN_RE = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$")
# ARNs whose resource part has no type prefix: the type by service.
_BARE_TYPES = {"codecommit": "repository", "codepipeline": "pipeline", "s3": "bucket", "sns": "topic", "sqs": "queue"}


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def arn_type(arn: str) -> tuple[str, str]:
    """(service, resource type) of an ARN, in the form ResourceTypeFilters use."""
    m = _ARN_RE.match(arn)
    if not m:
        return "", ""
    service, resource = m.group(1), m.group(4)
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    if cut < 0:
        return service, _BARE_TYPES.get(service, "")
    return service, resource[:cut]


class Tagging(BackendHandler):
    def __init__(self, account_id: str, default_region: str) -> None:
        super().__init__(account_id, default_region)
        self.sources: list[Source] = [
            self._ec2,
            self._elbv2,
            self._ecs,
            self._logs,
            self._s3,
            self._codepipeline,
            self._ecr,
            self._event_rules,
        ]

    def add_source(self, source: Source) -> None:
        self.sources.append(source)

    # --- router protocol ---------------------------------------------------------------------

    def handle(self, req: AwsRequest) -> Response | None:
        op = {
            "GetResources": self.get_resources,
            "GetTagKeys": self.get_tag_keys,
            "GetTagValues": self.get_tag_values,
        }.get(req.operation or "")
        if op is None:
            return None
        return json_response(req, op(self.region(req), req.json_body()))

    # --- operations --------------------------------------------------------------------------

    def tagged(self, region: str) -> dict[str, dict[str, str]]:
        """Every resource of the region that has tags: ARN -> tags."""
        out: dict[str, dict[str, str]] = {}
        for source in self.sources:
            for arn, tags in source(region).items():
                if tags and arn not in out:
                    out[arn] = tags
        return out

    def get_resources(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        params = Params(body)
        tag_filters = params.items("TagFilters")
        type_filters = params.items("ResourceTypeFilters")
        arn_list = params.items("ResourceARNList")
        if arn_list and (tag_filters or type_filters):
            raise _invalid(
                "You can't specify ResourceARNList together with TagFilters or ResourceTypeFilters."
            )
        if len(tag_filters) > 50:
            raise _invalid("TagFilters can contain at most 50 filters.")
        if len(arn_list) > 100:
            raise _invalid("ResourceARNList can contain at most 100 ARNs.")
        checks: list[Callable[[dict[str, str]], bool]] = []
        for f in tag_filters:
            if not isinstance(f, dict) or not isinstance(f.get("Key"), str) or not f["Key"]:
                raise _invalid("Each TagFilter needs a Key.")
            values = f.get("Values") or []
            if not isinstance(values, list) or len(values) > 20:
                raise _invalid("A TagFilter can have at most 20 Values.")
            checks.append(_tag_check(f["Key"], values))
        types = [_type_filter(t) for t in type_filters]
        per_page = body.get("ResourcesPerPage", 100)
        if not isinstance(per_page, int) or not 1 <= per_page <= 100:
            raise _invalid("ResourcesPerPage must be between 1 and 100.")
        wanted = set(arn_list) if arn_list else None

        def keep(arn: str, tags: dict[str, str]) -> bool:
            if wanted is not None and arn not in wanted:
                return False
            if types and not any(match(arn_type(arn)) for match in types):
                return False
            return all(check(tags) for check in checks)

        items = [
            {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            for arn, tags in self.tagged(region).items()
            if keep(arn, tags)
        ]
        page, token = _page(items, body, per_page)
        return {"PaginationToken": token, "ResourceTagMappingList": page}

    def get_tag_keys(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        keys = sorted({k for tags in self.tagged(region).values() for k in tags})
        page, token = _page(keys, body, 500)
        return {"PaginationToken": token, "TagKeys": page}

    def get_tag_values(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        key = body.get("Key")
        if not isinstance(key, str) or not key:
            raise _invalid("Key is required.")
        values = sorted({tags[key] for tags in self.tagged(region).values() if key in tags})
        page, token = _page(values, body, 500)
        return {"PaginationToken": token, "TagValues": page}

    # --- what moto stores --------------------------------------------------------------------

    def _backend(self, service: str, region: str) -> Any:
        try:
            return self.moto_backend(service, region)
        except KeyError:  # a region moto does not know for this service
            return None

    def _ec2(self, region: str) -> dict[str, dict[str, str]]:
        ec2 = self._backend("ec2", region)
        if ec2 is None:
            return {}
        kinds: dict[str, Iterable[Any]] = {
            "vpc": ec2.vpcs.values(),
            "subnet": (s for by_az in ec2.subnets.values() for s in by_az.values()),
            "security-group": (g for by_vpc in ec2.groups.values() for g in by_vpc.values()),
            "internet-gateway": ec2.internet_gateways.values(),
            "route-table": ec2.route_tables.values(),
            "natgateway": ec2.nat_gateways.values(),
            "network-interface": ec2.enis.values(),
            "instance": (i for r in ec2.reservations.values() for i in r.instances),
            "volume": ec2.volumes.values(),
            "image": ec2.amis.values(),
        }
        out: dict[str, dict[str, str]] = {}
        for kind, resources in kinds.items():
            for resource in list(resources):
                tags = ec2.tags.get(resource.id)
                if tags:
                    out[f"arn:aws:ec2:{region}:{self.account_id}:{kind}/{resource.id}"] = dict(tags)
        return out

    def _elbv2(self, region: str) -> dict[str, dict[str, str]]:
        elbv2 = self._backend("elbv2", region)
        if elbv2 is None:
            return {}
        arns = [lb.arn for lb in list(elbv2.load_balancers.values())]
        arns += [tg.arn for tg in list(elbv2.target_groups.values())]
        arns += [
            listener.arn for lb in list(elbv2.load_balancers.values()) for listener in list(lb.listeners.values())
        ]
        return {arn: elbv2.tagging_service.get_tag_dict_for_resource(arn) for arn in arns}

    def _ecs(self, region: str) -> dict[str, dict[str, str]]:
        ecs = self._backend("ecs", region)
        if ecs is None:
            return {}

        def tags(obj: Any) -> dict[str, str]:
            return {t["key"]: t.get("value", "") for t in (getattr(obj, "tags", None) or [])}

        out = {c.arn: tags(c) for c in list(ecs.clusters.values()) if c.status != "INACTIVE"}
        out.update(
            {s.physical_resource_id: tags(s) for s in list(ecs.services.values()) if s.status != "INACTIVE"}
        )
        out.update(
            {
                td.arn: tags(td)
                for revisions in list(ecs.task_definitions.values())
                for td in list(revisions.values())
                if td.status != "DELETE_IN_PROGRESS"
            }
        )
        out.update(
            {
                t.task_arn: tags(t)
                for by_cluster in list(ecs.tasks.values())
                for t in list(by_cluster.values())
                if t.last_status != "STOPPED"
            }
        )
        return out

    def _logs(self, region: str) -> dict[str, dict[str, str]]:
        logs = self._backend("logs", region)
        if logs is None:
            return {}
        return {g.arn: logs.list_tags_for_resource(g.arn) for g in list(logs.groups.values())}

    def _s3(self, region: str) -> dict[str, dict[str, str]]:
        s3 = self._backend("s3", "aws")  # one backend for every region's buckets
        if s3 is None:
            return {}
        return {
            b.arn: s3.tagger.get_tag_dict_for_resource(b.arn)
            for b in list(s3.buckets.values())
            if b.region_name == region  # buckets are listed in their own region
        }

    def _codepipeline(self, region: str) -> dict[str, dict[str, str]]:
        backend = self._backend("codepipeline", region)
        if backend is None:
            return {}
        return {p.metadata["pipelineArn"]: dict(p.tags) for p in list(backend.pipelines.values())}

    def _ecr(self, region: str) -> dict[str, dict[str, str]]:
        backend = self._backend("ecr", region)
        if backend is None:
            return {}
        return {
            r.arn: backend.tagger.get_tag_dict_for_resource(r.arn) for r in list(backend.repositories.values())
        }

    def _event_rules(self, region: str) -> dict[str, dict[str, str]]:
        backend = self._backend("events", region)
        if backend is None:
            return {}
        buses = list(backend.event_buses.values())
        arns = [b.arn for b in buses] + [rule.arn for b in buses for rule in list(b.rules.values())]
        return {arn: backend.tagger.get_tag_dict_for_resource(arn) for arn in arns}


def _tag_check(key: str, values: list[Any]) -> Callable[[dict[str, str]], bool]:
    return lambda tags: key in tags and (not values or tags[key] in values)


def _type_filter(spec: Any) -> Callable[[tuple[str, str]], bool]:
    if not isinstance(spec, str) or not spec:
        raise _invalid("ResourceTypeFilters must be strings of the form service[:resourceType].")
    service, _, kind = spec.partition(":")
    return lambda st: st[0] == service and (not kind or st[1] == kind)


def _page(items: list[Any], body: dict[str, Any], per_page: int) -> tuple[list[Any], str]:
    """One page of ``items`` from the request's PaginationToken, and the token of the next page
    ('' at the end). Items are ordered (by ARN, or by value); a token says where the last page
    ended, so a resource created or deleted between two pages shifts nothing."""
    def key(item: Any) -> str:
        return str(item["ResourceARN"]) if isinstance(item, dict) else str(item)

    items = sorted(items, key=key)
    token = body.get("PaginationToken") or ""
    if token:
        if not isinstance(token, str):
            raise _invalid("The PaginationToken is not valid.")
        try:
            after = str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise _invalid("The PaginationToken is not valid.") from exc
        items = [i for i in items if key(i) > after]
    page = items[:per_page]
    next_token = ""
    if len(items) > per_page:
        next_token = base64.urlsafe_b64encode(json.dumps({"after": key(page[-1])}).encode()).decode()
    return page, next_token
