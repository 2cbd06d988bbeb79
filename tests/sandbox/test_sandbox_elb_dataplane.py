"""ELBv2 in a real sandbox drives the load balancer data plane: a load balancer's DNS name is a
loopback address that reaches its listeners, target groups are health checked for real, weights
and draining are what the API says, and the proxies close with their listeners.

No Docker here: the targets are small HTTP servers on 127.0.0.1 of the test itself.
"""

from __future__ import annotations

import errno
import http.server
import ipaddress
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ecs_elb_support import get, listening, wait_for

from bluegreen.sandbox.server import SandboxHandle, health, start_sandbox


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok" if self.path == "/health" else self.server.name.encode()  # type: ignore[attr-defined]
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, int]]:
    """Two targets on 127.0.0.1, answering their names ("blue", "green")."""
    running = []
    try:
        for name in ("blue", "green"):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
            server.name = name  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, name=f"test-target-{name}", daemon=True).start()
            running.append(server)
        yield {s.name: s.server_address[1] for s in running}  # type: ignore[attr-defined]
    finally:
        for server in running:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def elb_sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(port=0, region="us-east-1", time_scale=30) as handle:
        yield handle


def _balancer(sandbox: SandboxHandle, name: str) -> dict[str, Any]:
    return dict(sandbox.client("elbv2").create_load_balancer(
        Name=name, Subnets=sandbox.seed.public_subnet_ids[:2], Type="application")["LoadBalancers"][0])


def _group(sandbox: SandboxHandle, name: str, delay_s: int = 15) -> str:
    elb = sandbox.client("elbv2")
    arn = str(elb.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=sandbox.seed.vpc_id, TargetType="ip", HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"])
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(delay_s)}])
    return arn


def _listener(sandbox: SandboxHandle, lb: dict[str, Any], port: int, group: str) -> str:
    return str(sandbox.client("elbv2").create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]["ListenerArn"])


def _health(sandbox: SandboxHandle, group: str) -> list[tuple[str, int, str, str | None]]:
    rows = sandbox.client("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return [(r["Target"]["Id"], r["Target"]["Port"], r["TargetHealth"]["State"], r["TargetHealth"].get("Reason"))
            for r in rows]


@pytest.fixture(scope="module")
def front(elb_sandbox: SandboxHandle, servers: dict[str, int]) -> dict[str, Any]:
    """A load balancer on port 80 forwarding to blue, with the blue server registered in it."""
    lb = _balancer(elb_sandbox, "front")
    blue, green = _group(elb_sandbox, "front-blue"), _group(elb_sandbox, "front-green")
    listener = _listener(elb_sandbox, lb, 80, blue)
    return {"lb": lb, "blue": blue, "green": green, "listener": listener, "url": f"http://{lb['DNSName']}:80/"}


def test_each_load_balancer_answers_a_loopback_address_of_its_own(elb_sandbox: SandboxHandle,
                                                                  front: dict[str, Any]) -> None:
    other = _balancer(elb_sandbox, "other")
    addresses = {front["lb"]["DNSName"], other["DNSName"]}
    assert len(addresses) == 2
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.64.0.0/10") for a in addresses)
    described = elb_sandbox.client("elbv2").describe_load_balancers(Names=["front", "other"])["LoadBalancers"]
    assert {lb["DNSName"] for lb in described} == addresses
    assert elb_sandbox.services["elbv2"].listener_address(front["listener"]) == (front["lb"]["DNSName"], 80)


def test_a_listener_serves_a_loopback_target_once_it_is_healthy(elb_sandbox: SandboxHandle, front: dict[str, Any],
                                                                servers: dict[str, int]) -> None:
    status, page = get(front["url"])
    assert status == 503 and "503" in page  # no target yet

    elb_sandbox.client("elbv2").register_targets(TargetGroupArn=front["blue"],
                                                 Targets=[{"Id": "127.0.0.1", "Port": servers["blue"]}])

    wait_for(lambda: _health(elb_sandbox, front["blue"]) == [("127.0.0.1", servers["blue"], "healthy", None)],
             "the target turns healthy")
    assert get(front["url"]) == (200, "blue")


def test_a_target_the_sandbox_cannot_reach_is_unhealthy_and_says_why(elb_sandbox: SandboxHandle) -> None:
    group = _group(elb_sandbox, "far")
    elb = elb_sandbox.client("elbv2")
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.1.2.3"}])

    row = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"][0]
    assert row["Target"] == {"Id": "10.1.2.3", "Port": 80} and row["HealthCheckPort"] == "80"
    assert row["TargetHealth"]["State"] == "unhealthy"
    assert row["TargetHealth"]["Reason"] == "Target.FailedHealthChecks"
    assert "cannot reach 10.1.2.3" in row["TargetHealth"]["Description"]


def test_weights_are_what_the_proxy_uses_and_what_describe_listeners_shows(
        elb_sandbox: SandboxHandle, front: dict[str, Any], servers: dict[str, int]) -> None:
    elb = elb_sandbox.client("elbv2")
    elb.register_targets(TargetGroupArn=front["green"], Targets=[{"Id": "127.0.0.1", "Port": servers["green"]}])
    # a plain forward is shown with the ForwardConfig AWS makes of it
    action = elb.describe_listeners(ListenerArns=[front["listener"]])["Listeners"][0]["DefaultActions"][0]
    assert action["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": front["blue"], "Weight": 1}]

    for weights, answers in (({front["blue"]: 0, front["green"]: 5}, {"green"}),
                             ({front["blue"]: 1, front["green"]: 1}, {"blue", "green"})):
        elb.modify_listener(ListenerArn=front["listener"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": g, "Weight": w} for g, w in weights.items()]}}])
        shown = elb.describe_listeners(ListenerArns=[front["listener"]])["Listeners"][0]["DefaultActions"][0]
        assert {g["TargetGroupArn"]: g["Weight"] for g in shown["ForwardConfig"]["TargetGroups"]} == weights
        assert dict(elb_sandbox.services["dataplane"].forward_weights(front["listener"])) == weights
        wait_for(lambda: _health(elb_sandbox, front["green"])[0][2:] == ("healthy", None), "green is healthy")
        assert {get(front["url"])[1] for _ in range(12)} == answers

    with pytest.raises(elb.exceptions.ClientError, match="less than or equal to 999"):
        elb.modify_listener(ListenerArn=front["listener"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": front["blue"], "Weight": 1000}]}}])


def test_health_checks_follow_the_group_settings(elb_sandbox: SandboxHandle, front: dict[str, Any],
                                                 servers: dict[str, int]) -> None:
    elb = elb_sandbox.client("elbv2")
    elb.modify_target_group(TargetGroupArn=front["green"], HealthCheckPath="/missing")
    wait_for(lambda: _health(elb_sandbox, front["green"])[0][2:] == ("unhealthy", "Target.ResponseCodeMismatch"),
             "green fails its checks with the 404 it gets")
    row = elb.describe_target_health(TargetGroupArn=front["green"])["TargetHealthDescriptions"][0]
    assert row["TargetHealth"]["Description"] == "Health checks failed with these codes: [404]"

    elb.modify_target_group(TargetGroupArn=front["green"], HealthCheckPath="/health")
    wait_for(lambda: _health(elb_sandbox, front["green"])[0][2] == "healthy", "green passes again")


def test_a_deregistered_target_drains_for_the_delay_then_is_gone(elb_sandbox: SandboxHandle, front: dict[str, Any],
                                                                 servers: dict[str, int]) -> None:
    elb = elb_sandbox.client("elbv2")
    elb.deregister_targets(TargetGroupArn=front["green"], Targets=[{"Id": "127.0.0.1", "Port": servers["green"]}])

    assert _health(elb_sandbox, front["green"]) == [
        ("127.0.0.1", servers["green"], "draining", "Target.DeregistrationInProgress")]
    # no new request goes to it: green's share now finds no target (503, as ALB answers)
    assert {get(front["url"])[0] for _ in range(6)} == {200, 503}
    assert "green" not in {get(front["url"])[1] for _ in range(6)}
    wait_for(lambda: _health(elb_sandbox, front["green"]) == [], "the draining target leaves (15 s / 30)")


def test_a_second_listener_on_a_port_is_refused(elb_sandbox: SandboxHandle, front: dict[str, Any]) -> None:
    elb = elb_sandbox.client("elbv2")
    with pytest.raises(elb.exceptions.DuplicateListenerException):
        _listener(elb_sandbox, front["lb"], 80, front["blue"])


def test_a_port_the_sandbox_may_not_bind_moves_up_by_ten_thousand(
        elb_sandbox: SandboxHandle, front: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    plane = elb_sandbox.services["dataplane"]
    opened = plane.open_listener

    def unprivileged(listener_id: str, host: str, port: int) -> tuple[str, int]:
        if 0 < port < 1024:  # what a sandbox run by a normal user gets on Linux
            raise PermissionError(errno.EACCES, "Permission denied")
        return opened(listener_id, host, port)

    monkeypatch.setattr(plane, "open_listener", unprivileged)
    lb = _balancer(elb_sandbox, "low")
    listener = _listener(elb_sandbox, lb, 81, front["blue"])
    dns = lb["DNSName"]

    assert elb_sandbox.services["elbv2"].listener_address(listener) == (dns, 10081)
    info = health(elb_sandbox.endpoint_url)
    assert info is not None and info["listeners"] == {f"{dns}:81": f"{dns}:10081"}
    assert get(f"http://{dns}:10081/") == (200, "blue")

    elb_sandbox.client("elbv2").delete_listener(ListenerArn=listener)
    assert not listening(dns, 10081)
    assert json.dumps((health(elb_sandbox.endpoint_url) or {})["listeners"]) == "{}"


def test_deleting_a_load_balancer_closes_its_listeners(elb_sandbox: SandboxHandle, front: dict[str, Any]) -> None:
    elb = elb_sandbox.client("elbv2")
    lb = _balancer(elb_sandbox, "short")
    _listener(elb_sandbox, lb, 80, front["blue"])
    test_listener = _listener(elb_sandbox, lb, 8080, front["blue"])
    assert listening(lb["DNSName"], 80) and listening(lb["DNSName"], 8080)

    elb.delete_listener(ListenerArn=test_listener)
    assert not listening(lb["DNSName"], 8080) and listening(lb["DNSName"], 80)
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert not listening(lb["DNSName"], 80)
