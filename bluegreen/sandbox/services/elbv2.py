"""ELBv2 (signing name ``elasticloadbalancing``): ``DescribeTargetGroups`` names each load
balancer of a target group once in ``LoadBalancerArns`` (moto repeats it for every listener that
forwards to the group)."""

from __future__ import annotations

import re

from ..wire import AwsRequest, Response
from .common import Handler, with_body

_LB_ARNS_RE = re.compile(rb"(<LoadBalancerArns>)(.*?)(</LoadBalancerArns>)", re.S)
_MEMBER_RE = re.compile(rb"<member>(.*?)</member>", re.S)


class Elbv2Realism(Handler):
    def after(self, req: AwsRequest, resp: Response) -> Response:
        if req.operation != "DescribeTargetGroups" or resp.status != 200:
            return resp

        def once(m: re.Match[bytes]) -> bytes:
            arns = dict.fromkeys(_MEMBER_RE.findall(m.group(2)))
            return m.group(1) + b"".join(b"<member>" + a + b"</member>" for a in arns) + m.group(3)

        body = _LB_ARNS_RE.sub(once, resp.body)
        return resp if body == resp.body else with_body(resp, body)
