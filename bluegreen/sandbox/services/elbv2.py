"""ELBv2 (signing name ``elasticloadbalancing``): where moto's answers differ from AWS's.

- ``DescribeTargetGroups`` names each load balancer of a target group once in
  ``LoadBalancerArns`` (moto repeats it for every listener that forwards to the group);
- ``DeleteLoadBalancer`` lets go of the target groups its listeners used: on AWS a target
  group's ``LoadBalancerArns`` lists only load balancers that exist, and a group no longer
  behind any can be given to a new one. moto keeps the deleted ARN in the group for ever.
"""

from __future__ import annotations

import re

from ..wire import AwsRequest, Response
from .common import BackendHandler, with_body

_LB_ARNS_RE = re.compile(rb"(<LoadBalancerArns>)(.*?)(</LoadBalancerArns>)", re.S)
_MEMBER_RE = re.compile(rb"<member>(.*?)</member>", re.S)


class Elbv2Realism(BackendHandler):
    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation == "DeleteLoadBalancer" and resp.status == 200:
            self._forget_deleted_load_balancers(req)
            return resp
        if req.operation != "DescribeTargetGroups" or resp.status != 200:
            return resp

        def once(m: re.Match[bytes]) -> bytes:
            arns = dict.fromkeys(_MEMBER_RE.findall(m.group(2)))
            return m.group(1) + b"".join(b"<member>" + a + b"</member>" for a in arns) + m.group(3)

        body = _LB_ARNS_RE.sub(once, resp.body)
        return resp if body == resp.body else with_body(resp, body)

    def _forget_deleted_load_balancers(self, req: AwsRequest) -> None:
        backend = self.moto_backend("elbv2", self.region(req))
        existing = set(backend.load_balancers)
        for group in list(backend.target_groups.values()):
            group.load_balancer_arns = [arn for arn in group.load_balancer_arns if arn in existing]
