"""ELBv2 (signing name ``elasticloadbalancing``) wired to the load balancer data plane.

moto keeps the API's state; after it accepts a call, this handler makes the data plane match:

- ``CreateLoadBalancer``: the load balancer gets a loopback address of its own, which is its
  ``DNSName`` (:mod:`.elbv2_listeners` says why an address);
- ``CreateListener`` / ``ModifyListener``: an HTTP listener's proxy opens on (that address, its
  port) and forwards as the default action says (a target group, or ``ForwardConfig`` weights);
  a plain ``TargetGroupArn`` forward is stored with the ``ForwardConfig`` AWS makes of it, so
  ``DescribeListeners`` shows the weights the proxy uses; ``DeleteListener`` and
  ``DeleteLoadBalancer`` close proxies; a second listener on a port is ``DuplicateListener``;
- ``CreateTargetGroup``, ``ModifyTargetGroup``, ``ModifyTargetGroupAttributes``: health check and
  deregistration delay; ``DeleteTargetGroup`` removes the group;
- ``RegisterTargets`` / ``DeregisterTargets``: the targets, translated (:mod:`.elbv2_targets`);
- ``DescribeTargetHealth``: the data plane's health, in the registered addresses.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from ..dataplane.model import MAX_WEIGHT
from ..wire import AwsError, AwsRequest, Response
from .common import BackendHandler, with_body
from .elbv2_listeners import ListenerProxies
from .elbv2_targets import HealthRow, LoadBalancerTargets

log = logging.getLogger("bluegreen.sandbox.elbv2")

_ACTION_RE = re.compile(r"^DefaultActions\.member\.(\d+)\.(.+)$")
_WEIGHT_RE = re.compile(r"^ForwardConfig\.TargetGroups\.member\.(\d+)\.Weight$")
_TARGET_RE = re.compile(r"^Targets\.member\.(\d+)\.(Id|Port)$")
_NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"


def _tag(body: bytes, name: str) -> str | None:
    found = re.search(rb"<" + name.encode() + rb">(.*?)</" + name.encode() + rb">", body, re.S)
    return found.group(1).decode() if found else None


class Elbv2DataPlane(BackendHandler):
    def __init__(self, account_id: str, default_region: str, proxies: ListenerProxies,
                 targets: LoadBalancerTargets) -> None:
        super().__init__(account_id, default_region)
        self.proxies = proxies
        self.targets = targets

    def listener_address(self, listener_arn: str) -> tuple[str, int]:
        """Where the listener's proxy really listens (KeyError: no proxy for it)."""
        return self.proxies.address(listener_arn)

    # --- before moto -----------------------------------------------------------------------------

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation in ("CreateListener", "ModifyListener"):
            params = req.form()
            if req.operation == "CreateListener":
                self._refuse_duplicate_port(req, params)
            if _with_forward_config(params):
                req.body = urlencode(params).encode()
                req.query_string = ""
        return None

    def _refuse_duplicate_port(self, req: AwsRequest, params: dict[str, str]) -> None:
        balancer = self.moto_backend("elbv2", self.region(req)).load_balancers.get(params.get("LoadBalancerArn", ""))
        if balancer is None or not params.get("Port", "").isdigit():
            return
        if any(str(listener.port) == params["Port"] for listener in list(balancer.listeners.values())):
            raise AwsError("DuplicateListener", "A listener with the specified port already exists.")

    # --- after moto ----------------------------------------------------------------------------

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if resp.status != 200:
            return resp
        step = getattr(self, f"_after_{req.operation}", None)
        if step is None:
            return resp
        try:
            return step(req, resp) or resp
        except AwsError:
            raise
        except Exception:  # the API call happened; the data plane logs why it did not follow
            log.exception("data plane did not follow %s", req.operation)
            return resp

    def _after_CreateLoadBalancer(self, req: AwsRequest, resp: Response) -> Response | None:
        arn = _tag(resp.body, "LoadBalancerArn")
        old = _tag(resp.body, "DNSName")
        if arn is None:
            return None
        address = self.proxies.new_address(arn)
        balancer = self.moto_backend("elbv2", self.region(req)).load_balancers.get(arn)
        if balancer is not None:
            balancer.dns_name = address  # every later answer (DescribeLoadBalancers) says so too
        if old is None:
            return None
        return with_body(resp, resp.body.replace(f"<DNSName>{old}</DNSName>".encode(),
                                                 f"<DNSName>{address}</DNSName>".encode()))

    def _after_DeleteLoadBalancer(self, req: AwsRequest, resp: Response) -> None:
        self.proxies.forget_balancer(req.form().get("LoadBalancerArn", ""))

    def _after_CreateListener(self, req: AwsRequest, resp: Response) -> None:
        arn = _tag(resp.body, "ListenerArn")
        if arn is not None:
            self._follow_listener(req, arn)

    def _after_ModifyListener(self, req: AwsRequest, resp: Response) -> None:
        self._follow_listener(req, req.form().get("ListenerArn", ""))

    def _after_DeleteListener(self, req: AwsRequest, resp: Response) -> None:
        self.proxies.close(req.form().get("ListenerArn", ""))

    def _follow_listener(self, req: AwsRequest, arn: str) -> None:
        """Open, move or close the listener's proxy, then forward as its default action says."""
        found = _listener(self.moto_backend("elbv2", self.region(req)), arn)
        if found is None:
            return
        balancer, listener = found
        port = int(listener.port)
        if listener.protocol != "HTTP" or balancer.type != "application":
            self.proxies.close(arn)  # the data plane is an HTTP proxy: HTTPS, TCP... not served
            log.info("listener %s (%s) has no proxy: only HTTP listeners are served", arn, listener.protocol)
            return
        current = self.proxies.dns_port(arn)
        if current is not None and current[1] != port:
            self.proxies.close(arn)
            current = None
        if current is None:
            self.proxies.open(arn, balancer.arn, port)
        self.targets.plane.set_forward(arn, self._forward(listener))

    def _forward(self, listener: Any) -> list[tuple[str, int]]:
        """(group, weight) of the first forward action; nothing (the proxy answers 503) for a
        redirect or fixed response, which the data plane does not do."""
        for action in listener.default_actions:
            if action.type != "forward":
                continue
            data = action.data
            groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
            pairs = [(str(g["TargetGroupArn"]), int(g.get("Weight", 1))) for g in groups]
            if not pairs and data.get("TargetGroupArn"):
                pairs = [(str(data["TargetGroupArn"]), 1)]
            return [(group, weight) for group, weight in pairs if self.targets.ensure(group)]
        return []

    def _after_CreateTargetGroup(self, req: AwsRequest, resp: Response) -> None:
        arn = _tag(resp.body, "TargetGroupArn")
        if arn is not None:
            self.targets.sync_group(arn)

    def _after_ModifyTargetGroup(self, req: AwsRequest, resp: Response) -> None:
        self.targets.sync_group(req.form().get("TargetGroupArn", ""))

    _after_ModifyTargetGroupAttributes = _after_ModifyTargetGroup

    def _after_DeleteTargetGroup(self, req: AwsRequest, resp: Response) -> None:
        self.targets.forget_group(req.form().get("TargetGroupArn", ""))

    def _after_RegisterTargets(self, req: AwsRequest, resp: Response) -> None:
        arn, targets = self._targets_of(req)
        self.targets.register(arn, targets, in_moto=False)

    def _after_DeregisterTargets(self, req: AwsRequest, resp: Response) -> None:
        arn, targets = self._targets_of(req)
        self.targets.deregister(arn, targets, in_moto=False)

    def _after_DescribeTargetHealth(self, req: AwsRequest, resp: Response) -> Response | None:
        arn, targets = self._targets_of(req)
        rows = self.targets.health(arn, targets or None)
        if rows is None:
            return None
        return with_body(resp, _target_health_xml(rows, _tag(resp.body, "RequestId") or req.request_id))

    def _targets_of(self, req: AwsRequest) -> tuple[str, list[tuple[str, int]]]:
        params = req.form()
        arn = params.get("TargetGroupArn", "")
        found: dict[int, dict[str, str]] = {}
        for key, value in params.items():
            m = _TARGET_RE.match(key)
            if m:
                found.setdefault(int(m.group(1)), {})[m.group(2)] = value
        group = self.moto_backend("elbv2", self.region(req)).target_groups.get(arn)
        default_port = int(group.port) if group is not None and group.port else 80
        targets = [(t["Id"], int(t.get("Port") or default_port)) for _, t in sorted(found.items()) if t.get("Id")]
        return arn, targets


def _listener(backend: Any, arn: str) -> tuple[Any, Any] | None:
    for balancer in list(backend.load_balancers.values()):
        listener = balancer.listeners.get(arn)
        if listener is not None:
            return balancer, listener
    return None


def _with_forward_config(params: dict[str, str]) -> bool:
    """Give each plain ``TargetGroupArn`` forward the ``ForwardConfig`` AWS stores for it
    (weight 1), and refuse weights outside 0-999 as ELBv2 does. True when ``params`` changed."""
    actions: dict[str, dict[str, str]] = {}
    for key, value in params.items():
        m = _ACTION_RE.match(key)
        if m:
            actions.setdefault(m.group(1), {})[m.group(2)] = value
    changed = False
    for n, action in actions.items():
        if action.get("Type") != "forward":
            continue
        for key, value in action.items():
            m = _WEIGHT_RE.match(key)
            if m and (not value.lstrip("-").isdigit() or not 0 <= int(value) <= MAX_WEIGHT):
                raise AwsError(
                    "ValidationError",
                    f"1 validation error detected: Value '{value}' at 'defaultActions.{n}.member.forwardConfig."
                    f"targetGroups.{m.group(1)}.member.weight' failed to satisfy constraint: Member must have "
                    f"value {'less than or equal to' if value.isdigit() else 'greater than or equal to'} "
                    f"{MAX_WEIGHT if value.isdigit() else 0}")
        if action.get("TargetGroupArn") and not any(k.startswith("ForwardConfig.") for k in action):
            prefix = f"DefaultActions.member.{n}.ForwardConfig.TargetGroups.member.1"
            params[f"{prefix}.TargetGroupArn"] = action["TargetGroupArn"]
            params[f"{prefix}.Weight"] = "1"
            changed = True
    return changed


def _target_health_xml(rows: list[HealthRow], request_id: str) -> bytes:
    members = []
    for row in rows:
        health = f"<State>{escape(row.state)}</State>"
        if row.reason:
            health += f"<Reason>{escape(row.reason)}</Reason>"
        if row.description:
            health += f"<Description>{escape(row.description)}</Description>"
        members.append(
            f"<member><Target><Id>{escape(row.id)}</Id><Port>{row.port}</Port></Target>"
            f"<HealthCheckPort>{escape(row.health_check_port)}</HealthCheckPort>"
            f"<TargetHealth>{health}</TargetHealth></member>")
    return (
        f'<DescribeTargetHealthResponse xmlns="{_NAMESPACE}"><DescribeTargetHealthResult>'
        f"<TargetHealthDescriptions>{''.join(members)}</TargetHealthDescriptions>"
        f"</DescribeTargetHealthResult><ResponseMetadata><RequestId>{escape(request_id)}</RequestId>"
        "</ResponseMetadata></DescribeTargetHealthResponse>"
    ).encode()
