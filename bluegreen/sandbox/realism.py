"""Small corrections to moto's answers, where AWS would answer differently.

- EC2 ``DescribeRouteTables``: a route to an internet gateway that was detached from the route
  table's VPC or deleted has ``State`` ``blackhole`` (moto says ``active`` forever);
- ECS ``DescribeClusters``: ``activeServicesCount``, ``runningTasksCount`` and
  ``pendingTasksCount`` count the cluster's services and their tasks (moto leaves the first at 0);
- ECS ``CreateService``/``CreateTaskSet`` with an ``awsvpcConfiguration`` that names no security
  group gets the VPC's default security group, as on AWS (moto fails on the missing key);
- ELBv2 ``DescribeTargetGroups``: ``LoadBalancerArns`` names each load balancer once (moto repeats
  it for every listener that forwards to the group).

Each correction reads moto's state (the backends of the request's account and region) and never
changes it.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

from .wire import AwsRequest, Response

log = logging.getLogger("bluegreen.sandbox.realism")


def _with_body(resp: Response, body: bytes) -> Response:
    headers = [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    return Response(resp.status, headers, body)


class _Amend:
    def __init__(self, account_id: str, default_region: str) -> None:
        self.account_id = account_id
        self.default_region = default_region

    def handle(self, req: AwsRequest) -> Response | None:
        return None

    def after(self, req: AwsRequest, resp: Response) -> Response:
        return resp

    def _region(self, req: AwsRequest) -> str:
        return req.region or self.default_region


class Ec2Realism(_Amend):
    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeRouteTables" or resp.status != 200 or b"igw-" not in resp.body:
            return resp
        try:
            return _with_body(resp, self._blackholes(self._region(req), resp.body))
        except Exception:  # an answer we cannot read is passed on as moto gave it
            log.debug("route table amendment skipped", exc_info=True)
            return resp

    def _blackholes(self, region: str, body: bytes) -> bytes:
        from moto.ec2.models import ec2_backends

        igws = ec2_backends[self.account_id][region].internet_gateways
        root = ET.fromstring(body)
        ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
        changed = False
        for table in root.iter(q("item")):
            vpc = table.findtext(q("vpcId"))
            routes = table.find(q("routeSet"))
            if vpc is None or routes is None:
                continue
            for route in routes.findall(q("item")):
                gw = route.findtext(q("gatewayId")) or ""
                state = route.find(q("state"))
                if not gw.startswith("igw-") or state is None:
                    continue
                igw = igws.get(gw)
                attached = igw is not None and igw.vpc is not None and igw.vpc.id == vpc
                new = "active" if attached else "blackhole"
                if state.text != new:
                    state.text = new
                    changed = True
        if not changed:
            return body
        if ns:
            ET.register_namespace("", ns)
        return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))


class EcsRealism(_Amend):
    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation in ("CreateService", "CreateTaskSet"):
            self._default_security_group(req)
        return None

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeClusters" or resp.status != 200:
            return resp
        try:
            payload = json.loads(resp.body)
            for cluster in payload.get("clusters", []):
                cluster.update(self._counts(self._region(req), cluster.get("clusterName", "")))
        except Exception:
            log.debug("cluster counts amendment skipped", exc_info=True)
            return resp
        return _with_body(resp, json.dumps(payload).encode())

    def _counts(self, region: str, name: str) -> dict[str, int]:
        from moto.ecs.models import ecs_backends

        ecs = ecs_backends[self.account_id][region]
        services = [s for s in list(ecs.services.values()) if s.cluster_name == name and s.status == "ACTIVE"]
        running = sum(int(s.running_count or 0) for s in services)
        pending = sum(max(int(s.pending_count or 0), 0) for s in services)
        for task in list(ecs.tasks.get(name, {}).values()):
            if str(getattr(task, "started_by", "") or "").startswith("ecs-svc/"):
                continue  # counted with its service
            status = task.last_status
            running += status == "RUNNING"
            pending += status in ("PROVISIONING", "PENDING", "ACTIVATING")
        return {"activeServicesCount": len(services), "runningTasksCount": running, "pendingTasksCount": pending}

    def _default_security_group(self, req: AwsRequest) -> None:
        try:
            body = req.json_body()
        except Exception:
            return
        net = body.get("networkConfiguration")
        vpc_conf = net.get("awsvpcConfiguration") if isinstance(net, dict) else None
        if not isinstance(vpc_conf, dict) or vpc_conf.get("securityGroups"):
            return
        subnets = vpc_conf.get("subnets")
        if not isinstance(subnets, list) or not subnets or not isinstance(subnets[0], str):
            return
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[self.account_id][self._region(req)]
        try:
            vpc_id = ec2.get_subnet(subnets[0]).vpc_id
            group = ec2.get_default_security_group(vpc_id)
        except Exception:
            return  # moto (or the ECS check) answers the bad subnet
        if group is None:
            return
        vpc_conf["securityGroups"] = [group.id]
        req.body = json.dumps(body).encode()


_LB_ARNS_RE = re.compile(rb"(<LoadBalancerArns>)(.*?)(</LoadBalancerArns>)", re.S)
_MEMBER_RE = re.compile(rb"<member>(.*?)</member>", re.S)


class Elbv2Realism(_Amend):
    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeTargetGroups" or resp.status != 200:
            return resp

        def once(m: re.Match[bytes]) -> bytes:
            arns = dict.fromkeys(_MEMBER_RE.findall(m.group(2)))
            return m.group(1) + b"".join(b"<member>" + a + b"</member>" for a in arns) + m.group(3)

        body = _LB_ARNS_RE.sub(once, resp.body)
        return resp if body == resp.body else _with_body(resp, body)


def install(router: Any, account_id: str, region: str) -> None:
    router.add("ec2", Ec2Realism(account_id, region))
    router.add("ecs", EcsRealism(account_id, region))
    router.add("elasticloadbalancing", Elbv2Realism(account_id, region))
