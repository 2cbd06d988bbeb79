"""ECS: what the sandbox checks and corrects on top of moto's ECS.

- ``CreateService`` whose load balancer target group does not exist, or is not behind any
  listener, gets AWS's ``InvalidParameterException`` (``The target group with targetGroupArn ...
  does not have an associated load balancer.``) where moto accepts it;
- ``CreateService``/``CreateTaskSet`` with an ``awsvpcConfiguration`` that names no security
  group gets the VPC's default security group, as on AWS (moto fails on the missing key);
- ``DescribeClusters``: ``activeServicesCount``, ``runningTasksCount`` and ``pendingTasksCount``
  count the cluster's services and their tasks (moto leaves the first at 0; the tasks of
  CODE_DEPLOY services are the scheduler's, :mod:`bluegreen.sandbox.ecs`);
- ``DescribeTaskDefinition`` of a bare family describes its latest ACTIVE revision, as AWS
  documents ("specify the family to find the latest ACTIVE revision in that family"), and a
  family with none is AWS's ``ClientException`` (moto describes the latest revision, even a
  deregistered one).

The corrections read moto's state (the backends of the request's account and region) and never
change it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ..clients import MotoClients
from ..wire import AwsError, AwsRequest, Response
from .common import BackendHandler, Handler, json_body_or_none, moto_backend, with_body

if TYPE_CHECKING:
    from ..ecs import EcsEngine

log = logging.getLogger("bluegreen.sandbox.realism")


class EcsChecks(Handler):
    """Refuses a service behind a target group AWS would not accept, before moto sees it."""

    def __init__(self, clients: MotoClients) -> None:
        self.clients = clients

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation != "CreateService":
            return None
        body = json_body_or_none(req)
        if not body:
            return None
        lbs = body.get("loadBalancers")
        if not isinstance(lbs, list):
            return None
        # The request's region (a stack may live in any region of the sandbox), read from
        # moto's state: the sandbox's own clients talk to its start region only.
        region = req.region or self.clients.region
        try:
            target_groups = moto_backend("elbv2", self.clients.account_id, region).target_groups
        except KeyError:
            target_groups = {}
        for lb in lbs:
            arn = lb.get("targetGroupArn") if isinstance(lb, dict) else None
            if not isinstance(arn, str) or not arn:
                continue
            group = target_groups.get(arn)
            groups = [{"LoadBalancerArns": list(group.load_balancer_arns)}] if group is not None else []
            if not groups:
                raise AwsError(
                    "InvalidParameterException",
                    f"Unable to assume role and validate the specified targetGroupArn. Please verify "
                    f"that the ECS service role being passed has the proper permissions. ({arn})",
                )
            if not groups[0].get("LoadBalancerArns"):
                raise AwsError(
                    "InvalidParameterException",
                    f"The target group with targetGroupArn {arn} does not have an associated load balancer.",
                )
        return None


class EcsRealism(BackendHandler):
    """The default security group filled in, and the cluster counts moto leaves out."""

    def __init__(self, account_id: str, default_region: str, engine: EcsEngine | None = None) -> None:
        super().__init__(account_id, default_region)
        self.engine = engine  # the scheduler counts the tasks of the services it runs

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation in ("CreateService", "CreateTaskSet"):
            self._default_security_group(req)
        elif req.operation == "DescribeTaskDefinition":
            self._latest_active_revision(req)
        return None

    def _latest_active_revision(self, req: AwsRequest) -> None:
        body = json_body_or_none(req)
        if body is None:
            return
        family = body.get("taskDefinition")
        if not isinstance(family, str) or ":" in family or "/" in family:
            return  # a revision or an ARN: moto describes exactly that one
        revisions = self.moto_backend("ecs", self.region(req)).task_definitions.get(family) or {}
        active = [number for number, definition in list(revisions.items()) if definition.status == "ACTIVE"]
        if not active:
            raise AwsError("ClientException", "Unable to describe task definition.")
        body["taskDefinition"] = f"{family}:{max(active)}"
        req.body = json.dumps(body).encode()

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeClusters" or resp.status != 200:
            return resp
        try:
            payload = json.loads(resp.body)
            for cluster in payload.get("clusters", []):
                cluster.update(self._counts(self.region(req), cluster.get("clusterName", "")))
        except Exception:
            log.debug("cluster counts amendment skipped", exc_info=True)
            return resp
        return with_body(resp, json.dumps(payload).encode())

    def _counts(self, region: str, name: str) -> dict[str, int]:
        ecs = self.moto_backend("ecs", region)
        active, running, pending, scheduled = (
            self.engine.cluster_counts(region, name) if self.engine is not None else (0, 0, 0, []))
        services = [s for s in list(ecs.services.values())
                    if s.cluster_name == name and s.status == "ACTIVE" and s.arn not in scheduled]
        active += len(services)
        running += sum(int(s.running_count or 0) for s in services)
        pending += sum(max(int(s.pending_count or 0), 0) for s in services)
        for task in list(ecs.tasks.get(name, {}).values()):
            if str(getattr(task, "started_by", "") or "").startswith("ecs-svc/"):
                continue  # counted with its service
            status = task.last_status
            running += status == "RUNNING"
            pending += status in ("PROVISIONING", "PENDING", "ACTIVATING")
        return {"activeServicesCount": active, "runningTasksCount": running, "pendingTasksCount": pending}

    def _default_security_group(self, req: AwsRequest) -> None:
        body = json_body_or_none(req)
        if body is None:
            return
        net = body.get("networkConfiguration")
        vpc_conf = net.get("awsvpcConfiguration") if isinstance(net, dict) else None
        if not isinstance(vpc_conf, dict) or vpc_conf.get("securityGroups"):
            return
        subnets = vpc_conf.get("subnets")
        if not isinstance(subnets, list) or not subnets or not isinstance(subnets[0], str):
            return
        ec2 = self.moto_backend("ec2", self.region(req))
        try:
            vpc_id = ec2.get_subnet(subnets[0]).vpc_id
            group = ec2.get_default_security_group(vpc_id)
        except Exception:
            return  # moto (or the ECS check) answers the bad subnet
        if group is None:
            return
        vpc_conf["securityGroups"] = [group.id]
        req.body = json.dumps(body).encode()
