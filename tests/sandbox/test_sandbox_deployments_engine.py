"""The deployment engine's state machine on in-memory stand-ins (ECS task sets, listeners, target
health, Lambda): lifecycle events in order, weight schedules against the sandbox clock, the ready
and termination waits with ContinueDeployment, stop with and without rollback, a replacement that
never turns healthy, the one-deployment-per-group limit, hooks and the service role's hook.

Times: the engine's clock runs 120 times faster (a minute of AWS time is half a second); every
wait for an outcome polls with a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from bluegreen.sandbox.clock import Clock
from bluegreen.sandbox.deploy import DeploymentEngine
from bluegreen.sandbox.deploy.appspec import AppSpec, parse
from bluegreen.sandbox.deploy.memory import MemoryApi, MemoryTaskSets
from bluegreen.sandbox.deploy.model import ECS_EVENTS, GroupSnapshot
from bluegreen.sandbox.deploy.traffic import schedule
from bluegreen.sandbox.wire import AwsError

T = TypeVar("T")
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/codedeploy"
SCALE = 120.0
BLUE_TG, GREEN_TG = "arn:tg/blue", "arn:tg/green"
PROD, TEST = "arn:listener/prod", "arn:listener/test"
DONE = ("Succeeded", "Failed", "Stopped")


def wait_for(what: Callable[[], T], timeout: float = 15.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = what()
        if last:
            return last
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting: {message} (last: {last!r})")


def linear(pct: int, minutes: int) -> dict[str, Any]:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": pct, "linearInterval": minutes}}


def canary(pct: int, minutes: int) -> dict[str, Any]:
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": pct, "canaryInterval": minutes}}


def group(routing: dict[str, Any] | None = None, *, ready: dict[str, Any] | None = None, termination: int = 0,
          rollback: list[str] | None = None, test_listener: bool = True) -> GroupSnapshot:
    pair: dict[str, Any] = {"targetGroups": [{"name": "blue"}, {"name": "green"}],
                            "prodTrafficRoute": {"listenerArns": [PROD]}}
    if test_listener:
        pair["testTrafficRoute"] = {"listenerArns": [TEST]}
    return GroupSnapshot(
        application="app", name="grp", group_id="gid", service_role_arn=ROLE, config_name="cfg",
        routing=routing or {"type": "AllAtOnce"},
        deployment_style={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blue_green={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": termination},
            "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        load_balancer_info={"targetGroupPairInfoList": [pair]},
        ecs_services=[{"serviceName": "svc", "clusterName": "cl"}],
        auto_rollback={"enabled": bool(rollback), "events": rollback or []},
        alarms={},
    )


def appspec(task_definition: str = "td:2", hooks: str = "") -> AppSpec:
    return parse(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
        f"        TaskDefinition: {task_definition}\n        LoadBalancerInfo:\n"
        "          ContainerName: web\n          ContainerPort: 80\n" + hooks
    )


class Rig:
    def __init__(self) -> None:
        self.task_sets = MemoryTaskSets(ACCOUNT, start_after=0.1)
        self.api = MemoryApi()
        self.api.groups = {"blue": BLUE_TG, "green": GREEN_TG}
        self.api.listeners = {PROD: {BLUE_TG: 1}, TEST: {BLUE_TG: 1}}
        self.blue = self.task_sets.add_service(REGION, "cl", "svc", desired=2, task_definition="td:1",
                                               target_group_arn=BLUE_TG)
        self.engine = DeploymentEngine(ACCOUNT, self.api, clock=Clock(SCALE), task_sets=lambda: self.task_sets)
        self.started = time.monotonic()

    def deploy(self, g: GroupSnapshot | None = None, spec: AppSpec | None = None, **kw: Any) -> Any:
        self.started = time.monotonic()
        return self.engine.create(REGION, g or group(), {"revisionType": "AppSpecContent"}, spec or appspec(), **kw)

    def done(self, d: Any, timeout: float = 15.0) -> Any:
        wait_for(lambda: d.status in DONE, timeout, f"{d.deployment_id} to end")
        return d

    def green_share(self, listener: str = PROD) -> list[int]:
        return [w.get(GREEN_TG, 0) for _, arn, w in self.api.changes if arn == listener]

    def prod_changes(self) -> list[tuple[float, int]]:
        """(AWS seconds after the deployment was created, green weight) of each production change."""
        return [(self.engine.clock.aws(t - self.started), w.get(GREEN_TG, 0))
                for t, arn, w in self.api.changes if arn == PROD]


@pytest.fixture
def rig() -> Iterator[Rig]:
    before = set(threading.enumerate())
    r = Rig()
    try:
        yield r
    finally:
        r.engine.stop()
    assert not [t for t in threading.enumerate() if t not in before and t.name == "bluegreen-sandbox-deploy"]


# --- the happy path ------------------------------------------------------------------------------


def test_events_run_in_aws_order_and_the_original_goes_last(rig: Rig) -> None:
    d = rig.done(rig.deploy())
    assert d.status == "Succeeded" and d.error is None
    events = d.target.events
    assert [e.name for e in events] == list(ECS_EVENTS)
    assert all(e.status == "Succeeded" for e in events)
    times = [t for e in events for t in (e.start, e.end)]
    assert times == sorted(times) and d.start_time <= times[0] and times[-1] <= d.complete_time
    # the replacement on the target group blue does not use, made PRIMARY, then blue deleted
    assert [op for op, _ in rig.task_sets.calls] == ["CreateTaskSet", "UpdateServicePrimaryTaskSet", "DeleteTaskSet"]
    green = d.target.task_sets["Green"]
    assert (green.target_group_arn, green.status, green.weight) == (GREEN_TG, "PRIMARY", 100.0)
    assert rig.task_sets.calls[-1][1] == rig.blue.arn
    assert [v.arn for v in rig.task_sets.service_task_sets(region=REGION, cluster="cl", service="svc")] == [green.arn]
    assert d.target.status == "Succeeded" and d.termination_wait_started


def test_green_joins_production_at_zero_then_takes_test_then_production(rig: Rig) -> None:
    rig.done(rig.deploy())
    assert [(arn, w.get(GREEN_TG)) for _, arn, w in rig.api.changes] == [(PROD, 0), (TEST, 100), (PROD, 100)]


def test_a_group_without_test_listener_still_lists_every_event(rig: Rig) -> None:
    d = rig.done(rig.deploy(group(test_listener=False)))
    assert d.status == "Succeeded" and [e.name for e in d.target.events] == list(ECS_EVENTS)
    assert {arn for _, arn, _ in rig.api.changes} == {PROD}


def test_the_next_deployment_replaces_the_previous_green(rig: Rig) -> None:
    first = rig.done(rig.deploy())
    second = rig.done(rig.deploy())
    assert second.status == "Succeeded"
    # blue/green swap: the new replacement goes on the target group the old one left
    assert second.target.task_sets["Blue"].arn == first.target.task_sets["Green"].arn
    assert second.target.task_sets["Green"].target_group_arn == BLUE_TG
    assert second.previous_revision == first.revision


# --- traffic schedules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ({"type": "AllAtOnce"}, [100]),
        (linear(25, 1), [25, 50, 75, 100]),
        (linear(40, 1), [40, 80, 100]),
        (canary(10, 2), [10, 100]),
    ],
)
def test_weights_follow_the_configuration_against_the_clock(rig: Rig, routing: dict[str, Any], expected: list[int]) -> None:
    d = rig.done(rig.deploy(group(routing)))
    assert d.status == "Succeeded"
    association, *changes = rig.prod_changes()
    assert association[1] == 0  # Install: green's group joins production at weight 0
    assert [w for _, w in changes] == expected
    steps = schedule(routing)
    assert [s.percent for s in steps] == expected
    allow = changes[0][0]  # AllowTraffic's first step is at its start
    for (at, _), step in zip(changes, steps, strict=True):
        # never earlier than the configuration says (AWS seconds after the first step)
        assert at - allow >= step.at - 1.0


def test_traffic_weight_is_what_the_listener_reports(rig: Rig) -> None:
    d = rig.deploy(group(linear(50, 2)))
    wait_for(lambda: rig.green_share() == [0, 50], message="the first 50% step")
    with rig.engine.reading():
        weights = {label: info.weight for label, info in d.target.task_sets.items()}
    assert weights == {"Blue": 50.0, "Green": 50.0}
    rig.done(d)


# --- the ready wait ------------------------------------------------------------------------------


def test_ready_wait_holds_production_until_continue(rig: Rig) -> None:
    d = rig.deploy(group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60}))
    with pytest.raises(AwsError) as early:  # Install takes at least the stand-in's 0.1 s
        rig.engine.continue_deployment(REGION, d.deployment_id, "READY_WAIT")
    assert early.value.code == "DeploymentIsNotInReadyStateException"
    wait_for(lambda: d.status == "Ready", message="Ready")
    assert d.target.status == "Ready"
    assert rig.green_share(TEST) == [100] and rig.green_share(PROD) == [0]
    assert d.target.event("AfterAllowTestTraffic").status == "Succeeded"
    assert d.target.event("BeforeAllowTraffic").status == "Pending"
    rig.engine.continue_deployment(REGION, d.deployment_id, "READY_WAIT")
    assert rig.done(d).status == "Succeeded"
    assert rig.green_share(PROD) == [0, 100]


def test_ready_wait_running_out_stops_the_deployment(rig: Rig) -> None:
    d = rig.done(rig.deploy(group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1},
                                  rollback=["DEPLOYMENT_FAILURE"])))
    assert d.status == "Stopped" and d.error[0] == "TIMEOUT"
    assert [e.status for e in d.target.events][-3:] == ["Skipped"] * 3
    assert rig.green_share(PROD) == [0, 0]  # Install's association, then the rollback
    rollback = rig.engine.get(REGION, d.rollback_info["rollbackDeploymentId"])
    assert rig.done(rollback).status == "Succeeded"
    assert rig.green_share(TEST) == [100, 0]


# --- the termination wait ------------------------------------------------------------------------


def test_termination_wait_keeps_blue_until_continue(rig: Rig) -> None:
    d = rig.deploy(group(termination=60))
    wait_for(lambda: d.termination_wait_started, message="the termination wait")
    assert d.status == "InProgress" and d.target.status == "Succeeded"
    assert rig.task_sets.get(rig.blue.arn) is not None  # blue still there, no traffic
    assert rig.green_share() == [0, 100]
    with pytest.raises(AwsError) as ready:
        rig.engine.continue_deployment(REGION, d.deployment_id, "READY_WAIT")
    assert ready.value.code == "DeploymentIsNotInReadyStateException"
    rig.engine.continue_deployment(REGION, d.deployment_id, "TERMINATION_WAIT")
    assert rig.done(d).status == "Succeeded"
    assert rig.task_sets.get(rig.blue.arn) is None
    with pytest.raises(AwsError) as completed:
        rig.engine.continue_deployment(REGION, d.deployment_id, "TERMINATION_WAIT")
    assert completed.value.code == "DeploymentAlreadyCompletedException"


# --- stop ----------------------------------------------------------------------------------------


def test_stop_without_rollback_leaves_traffic_where_it_was(rig: Rig) -> None:
    d = rig.deploy(group(linear(25, 10)))
    wait_for(lambda: rig.green_share() == [0, 25], message="the first step")
    assert rig.engine.stop_deployment(REGION, d.deployment_id, False)[0] == "Pending"
    assert rig.done(d).status == "Stopped"
    assert d.error[0] == "MANUAL_STOP" and not d.rollback_info
    assert d.target.event("AllowTraffic").status == "Failed"
    assert d.target.event("AfterAllowTraffic").status == "Skipped"
    assert rig.green_share() == [0, 25]
    assert rig.task_sets.get(d.target.task_sets["Green"].arn) is not None  # the replacement stays
    with pytest.raises(AwsError) as again:
        rig.engine.stop_deployment(REGION, d.deployment_id, False)
    assert again.value.code == "DeploymentAlreadyCompletedException"


def test_stop_with_rollback_moves_traffic_back_in_a_rollback_deployment(rig: Rig) -> None:
    d = rig.deploy(group(linear(25, 10)))
    wait_for(lambda: rig.green_share() == [0, 25], message="the first step")
    rig.engine.stop_deployment(REGION, d.deployment_id, True)
    assert rig.done(d).status == "Stopped"
    rollback = rig.engine.get(REGION, wait_for(lambda: d.rollback_info.get("rollbackDeploymentId")))
    assert rig.done(rollback).status == "Succeeded"
    assert rollback.creator == "codeDeployRollback"
    assert rollback.rollback_info == {"rollbackTriggeringDeploymentId": d.deployment_id}
    assert [e.name for e in rollback.target.events] == ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    assert rig.green_share() == [0, 25, 0] and rig.green_share(TEST) == [100, 0]
    green = d.target.task_sets["Green"].arn
    assert rig.task_sets.get(green) is None
    assert [v.status for v in rig.task_sets.service_task_sets(region=REGION, cluster="cl", service="svc")] == ["PRIMARY"]
    wait_for(lambda: "rolled back" in d.rollback_info["rollbackMessage"], message="the rollback message")


def test_stop_by_default_follows_the_groups_stop_on_request_setting(rig: Rig) -> None:
    d = rig.deploy(group(linear(25, 10), rollback=["DEPLOYMENT_STOP_ON_REQUEST"]))
    wait_for(lambda: rig.green_share() == [0, 25], message="the first step")
    rig.engine.stop_deployment(REGION, d.deployment_id, None)
    rollback = rig.engine.get(REGION, wait_for(lambda: d.rollback_info.get("rollbackDeploymentId")))
    assert rig.done(rollback).status == "Succeeded" and rig.green_share() == [0, 25, 0]


def test_stop_with_rollback_during_the_termination_wait_brings_blue_back(rig: Rig) -> None:
    d = rig.deploy(group(termination=60))
    wait_for(lambda: d.termination_wait_started, message="the termination wait")
    rig.engine.stop_deployment(REGION, d.deployment_id, True)
    assert rig.done(d).status == "Stopped"
    rollback = rig.engine.get(REGION, wait_for(lambda: d.rollback_info.get("rollbackDeploymentId")))
    assert rig.done(rollback).status == "Succeeded"
    assert rig.green_share() == [0, 100, 0]
    assert [(v.arn, v.status) for v in rig.task_sets.service_task_sets(region=REGION, cluster="cl", service="svc")] == [
        (rig.blue.arn, "PRIMARY")]


# --- failure -------------------------------------------------------------------------------------


def test_a_replacement_never_healthy_times_out_and_rolls_back(rig: Rig) -> None:
    rig.task_sets.unhealthy.add("td:bad")
    rig.engine.install_timeout = 120.0  # AWS's hour would take 30 s here
    d = rig.done(rig.deploy(group(rollback=["DEPLOYMENT_FAILURE"]), appspec("td:bad")))
    assert d.status == "Failed"
    assert d.error == ("TIMEOUT", "The deployment timed out while waiting for the replacement task set to become "
                                  "healthy. This time out period is 2 minutes.")
    assert d.target.event("Install").status == "Failed" and d.target.status == "Failed"
    assert all(e.status == "Skipped" for e in d.target.events[2:])
    rollback = rig.engine.get(REGION, d.rollback_info["rollbackDeploymentId"])
    assert rig.done(rollback).status == "Succeeded"
    assert rig.green_share() == [0, 0]  # production never left blue
    assert rig.task_sets.get(d.target.task_sets["Green"].arn) is None


def test_a_failure_without_rollback_leaves_the_replacement(rig: Rig) -> None:
    rig.task_sets.unhealthy.add("td:bad")
    rig.engine.install_timeout = 60.0
    d = rig.done(rig.deploy(spec=appspec("td:bad")))
    assert d.status == "Failed" and not d.rollback_info
    assert rig.task_sets.get(d.target.task_sets["Green"].arn) is not None
    assert rig.green_share() == [0]


def test_one_deployment_per_group_at_a_time(rig: Rig) -> None:
    d = rig.deploy(group(termination=60))
    with pytest.raises(AwsError) as limit:
        rig.deploy()
    assert limit.value.code == "DeploymentLimitExceededException"
    assert limit.value.message == f"The Deployment Group 'grp' already has an active Deployment '{d.deployment_id}'"
    rig.engine.continue_deployment(REGION, wait_for(lambda: d.termination_wait_started and d.deployment_id),
                                   "TERMINATION_WAIT")
    rig.done(d)
    assert rig.done(rig.deploy()).status == "Succeeded"


# --- hooks and the service role ------------------------------------------------------------------

HOOKS = "Hooks:\n  - BeforeInstall: checkFirst\n  - AfterAllowTestTraffic: smokeTest\n"


def test_hooks_whose_function_exists_succeed_saying_they_were_not_run(rig: Rig) -> None:
    rig.api.functions = {"checkFirst", "smokeTest"}
    d = rig.done(rig.deploy(spec=appspec(hooks=HOOKS)))
    assert d.status == "Succeeded"
    diagnostics = d.target.event("AfterAllowTestTraffic").diagnostics
    assert diagnostics.error_code == "Success" and "does not run Lambda hooks" in diagnostics.message
    assert diagnostics.script_name == "smokeTest"
    assert d.target.event("AfterInstall").diagnostics is None
    assert len(d.status_messages) == 2


def test_a_hook_whose_function_does_not_exist_fails_its_event(rig: Rig) -> None:
    rig.api.functions = {"checkFirst"}
    d = rig.done(rig.deploy(group(rollback=["DEPLOYMENT_FAILURE"]), appspec(hooks=HOOKS)))
    assert d.status == "Failed" and d.error[0] == "INVALID_LAMBDA_FUNCTION"
    event = d.target.event("AfterAllowTestTraffic")
    assert event.status == "Failed" and event.diagnostics.error_code == "ScriptMissing"
    rollback = rig.engine.get(REGION, d.rollback_info["rollbackDeploymentId"])
    assert rig.done(rollback).status == "Succeeded" and rig.green_share(TEST) == [100, 0]


def test_a_role_error_in_codedeploys_terms_is_the_deployments_error(rig: Rig) -> None:
    message = f"AWS CodeDeploy does not have the permissions required to assume the role {ROLE}."
    rig.engine.authorize = lambda *args: AwsError("IAM_ROLE_MISSING", message)
    d = rig.done(rig.deploy())
    assert d.status == "Failed" and d.error == ("IAM_ROLE_MISSING", message)
    assert d.target.event("Install").status == "Failed" and rig.task_sets.calls == []


def test_the_service_role_is_asked_before_each_action(rig: Rig) -> None:
    asked: list[tuple[str, str, tuple[str, ...], str]] = []

    def authorize(role: str, principal: str, actions: Any, resource: str) -> AwsError | None:
        asked.append((role, principal, tuple(actions), resource))
        if "elasticloadbalancing:ModifyListener" in actions and resource == TEST:
            return AwsError("AccessDenied", "not allowed")
        return None

    rig.engine.authorize = authorize
    d = rig.done(rig.deploy())
    assert {(role, principal) for role, principal, _, _ in asked} == {(ROLE, "codedeploy.amazonaws.com")}
    actions = {a for _, _, acts, _ in asked for a in acts}
    # all of them granted by AWSCodeDeployRoleForECSLimited
    assert actions == {"ecs:DescribeServices", "ecs:CreateTaskSet", "elasticloadbalancing:DescribeTargetGroups",
                       "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener"}
    assert d.status == "Failed" and d.error[0] == "IAM_ROLE_PERMISSIONS"
    assert d.error[1].startswith(f"The IAM role {ROLE} does not give you permission to perform operations in the "
                                 "following AWS service: AmazonElasticLoadBalancingV2.")
    assert d.target.event("AllowTestTraffic").diagnostics.message == "AccessDenied: not allowed"
    assert rig.green_share(TEST) == [] and rig.green_share() == [0]


def test_stopping_the_engine_ends_its_threads(rig: Rig) -> None:
    d = rig.deploy(group(termination=600))
    wait_for(lambda: d.termination_wait_started, message="the termination wait")
    rig.engine.stop()
    assert not [t for t in threading.enumerate() if t.name == "bluegreen-sandbox-deploy" and t.is_alive()]
    assert d.status == "InProgress"  # left where it was
