"""The watch core's rules on fixed values (no AWS): the health word, which controls a snapshot
allows, the lines `changes()` writes, how a wait and its time left are read from CodeDeploy's
answers, what a listener forwards, and the pacing (budget, step prediction, backoff)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from watch_values import TARGET, at, deployment, execution, production, ready_wait, snapshot, termination_wait

from bluegreen.errors import Failed
from bluegreen.model.config import Config
from bluegreen.watch import fetch_deploy, fetch_elb
from bluegreen.watch.changes import changes
from bluegreen.watch.controls import ControlKind, offers, perform
from bluegreen.watch.health import health_of
from bluegreen.watch.meter import CallMeter
from bluegreen.watch.pacing import BUDGETS, FAST_LISTENERS_S, Mode, Pacer, Part, StepPredictor
from bluegreen.watch.snapshot import Health, StageState, WaitKind
from bluegreen.watch.target import target_of

# -- health ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("runs", "current", "expected"), [
    ((), None, Health.IDLE),
    (("Succeeded",), deployment("Succeeded", done=8), Health.IDLE),
    (("InProgress",), None, Health.DEPLOYING),
    (("Succeeded",), deployment("Ready", done=5, wait=ready_wait()), Health.WAITING),
    (("InProgress",), deployment("Ready", done=5, wait=ready_wait()), Health.WAITING),
    (("Succeeded",), deployment("InProgress", done=8, wait=termination_wait()), Health.DEPLOYING),
    (("Failed",), deployment("Stopped", done=5), Health.FAILED),
    (("Stopped", "Succeeded"), None, Health.FAILED),
    (("Superseded", "Failed"), None, Health.FAILED),
    (("Superseded", "Succeeded"), None, Health.IDLE),
    (("Succeeded", "Failed"), None, Health.IDLE),  # the newest run decides
    ((), deployment("Failed", done=2), Health.FAILED),  # a deployment started outside the pipeline
])
def test_health_words(runs: tuple[str, ...], current: object, expected: Health) -> None:
    executions = tuple(execution(f"e-{i}", status) for i, status in enumerate(runs))
    assert health_of(pipeline_exists=True, executions=executions, current=current) is expected  # type: ignore[arg-type]


def test_a_missing_pipeline_and_a_rollback_in_progress() -> None:
    assert health_of(pipeline_exists=False, executions=(), current=None) is Health.MISSING
    failed = (execution("e-1", "Failed"),)
    assert health_of(pipeline_exists=True, executions=failed, current=None, rollback_active=True) is Health.DEPLOYING
    assert snapshot(Health.WAITING).exit_code == 4 and snapshot(Health.MISSING).exit_code == 6


# -- controls -------------------------------------------------------------------------------------


def enabled(s: object) -> set[ControlKind]:
    return {o.kind for o in offers(s) if o.enabled}  # type: ignore[arg-type]


def test_offers_follow_the_deployment_state() -> None:
    always = {ControlKind.START, ControlKind.PUSH}
    assert enabled(snapshot(Health.IDLE, deployment=deployment("Succeeded", done=8))) == always
    ready = snapshot(deployment=deployment("Ready", done=5, wait=ready_wait()))
    assert enabled(ready) == always | {ControlKind.CONTINUE, ControlKind.STOP, ControlKind.ROLLBACK}
    waiting = snapshot(deployment=deployment("InProgress", done=8, wait=termination_wait()))
    assert enabled(waiting) == always | {ControlKind.END_WAIT, ControlKind.STOP, ControlKind.ROLLBACK}
    shifting = snapshot(deployment=deployment("InProgress", done=6, green=50), green=50)
    assert enabled(shifting) == always | {ControlKind.STOP, ControlKind.ROLLBACK}
    stop = next(o for o in offers(shifting) if o.kind is ControlKind.STOP)
    assert "blue 50% / green 50%" in stop.confirm and stop.confirm.endswith(".")
    assert enabled(snapshot(Health.MISSING, executions=())) == {ControlKind.PUSH}


def test_retry_is_offered_for_a_failed_stage_of_the_newest_execution_only() -> None:
    failed = (StageState("Source", "Succeeded", ()), StageState("Deploy", "Failed", (), retryable=True))
    runs = (execution("e-2", "Failed"), execution("e-1", "Succeeded"))
    newest = snapshot(Health.FAILED, executions=runs, stages=failed)
    retry = next(o for o in offers(newest) if o.kind is ControlKind.RETRY)
    assert retry.enabled and "stage Deploy" in retry.confirm
    older = snapshot(Health.FAILED, executions=runs, stages=failed, selected="e-1")
    retry = next(o for o in offers(older) if o.kind is ControlKind.RETRY)
    assert not retry.enabled and "older execution" in retry.why_not
    idle = snapshot(Health.IDLE, executions=runs[1:], stages=(StageState("Deploy", "Succeeded", ()),))
    assert not next(o for o in offers(idle) if o.kind is ControlKind.RETRY).enabled


def test_disabled_offers_say_why_and_every_kind_is_offered_once() -> None:
    made = offers(snapshot(Health.IDLE))
    assert [o.kind for o in made] == list(ControlKind)
    assert all(o.why_not for o in made if not o.enabled) and all(o.confirm for o in made)


async def test_perform_refuses_push_and_disabled_controls_before_calling_aws() -> None:
    idle = snapshot(Health.IDLE)
    with pytest.raises(ValueError, match="front end"):
        await perform(None, idle, ControlKind.PUSH)  # type: ignore[arg-type]
    with pytest.raises(Failed, match="cannot continue now: no deployment is waiting"):
        await perform(None, idle, ControlKind.CONTINUE)  # type: ignore[arg-type]


# -- changes --------------------------------------------------------------------------------------


def test_changes_tell_a_deployment_step_by_step() -> None:
    start = snapshot(deployment=deployment("InProgress", done=1))
    assert changes(None, start)[0].startswith("execution e-1 started (CloudWatchEvent)")
    installed = snapshot(deployment=deployment("InProgress", done=2))
    assert changes(start, installed) == ["  Install succeeded (1s)", "  AfterInstall started"]
    ready = snapshot(deployment=deployment("Ready", done=5, running=False, wait=ready_wait(left=3600)))
    lines = changes(installed, ready)
    assert "deployment d-AAAAAAAAA Ready" in lines
    assert "  green is ready: waiting for continue (1h00m left; then it stops unless continued)" in lines
    moving = snapshot(deployment=deployment("InProgress", done=6, green=25), green=25)
    assert "production: blue 75% / green 25%" in changes(ready, moving)
    assert "  ready wait over" in changes(ready, moving)
    done = snapshot(deployment=deployment("InProgress", done=8, green=100, wait=termination_wait(90)), green=100)
    lines = changes(moving, done)
    assert "production: blue 0% / green 100%" in lines
    assert "  traffic moved: termination wait, 1m30s left before the original task set is removed" in lines
    assert changes(done, done) == []


def test_a_deployment_first_seen_running_says_what_it_already_did_one_seen_ended_does_not() -> None:
    # `push` follows a deployment that can be half done at its first poll (a fast sandbox)
    quiet = snapshot(deployment=None)
    lines = changes(quiet, snapshot(deployment=deployment("InProgress", done=3)))
    assert lines[lines.index("deployment d-AAAAAAAAA InProgress (by user)") + 1:][:4] == [
        "  BeforeInstall succeeded (1s)", "  Install succeeded (1s)", "  AfterInstall succeeded (1s)",
        "  AllowTestTraffic started"]
    history = changes(quiet, snapshot(deployment=deployment("Succeeded", done=8, running=False)))
    assert not [line for line in history if "succeeded" in line], history


def test_changes_tell_how_a_deployment_and_execution_ended() -> None:
    running = snapshot(deployment=deployment("InProgress", done=1))
    failed = snapshot(Health.FAILED, executions=(execution("e-1", "Failed", updated=95, status_summary="deploy failed"),),
                      deployment=deployment("Failed", done=1, error="TIMEOUT: green never healthy",
                                            rolled_back_by="d-BBBBBBBBB"))
    lines = changes(running, failed)
    assert "execution e-1 Failed after 1m35s: deploy failed" in lines
    assert "deployment d-AAAAAAAAA Failed: TIMEOUT: green never healthy" in lines
    assert "deployment d-AAAAAAAAA is rolled back by d-BBBBBBBBB" in lines


def test_a_new_execution_is_news_an_older_one_scrolling_in_is_not() -> None:
    one = snapshot(executions=(execution("e-2", "Succeeded", started=100), execution("e-1", "Succeeded")))
    two = snapshot(executions=(execution("e-3", "InProgress", started=200), *one.executions))
    assert changes(one, two) == ["execution e-3 started (CloudWatchEvent)"]
    shifted = snapshot(executions=(execution("e-1", "Succeeded"), execution("e-0", "Succeeded", started=-50)))
    assert changes(snapshot(executions=(execution("e-1", "Succeeded"),)), shifted) == []


# -- waits from CodeDeploy's answers --------------------------------------------------------------


def _answer(status: str, ready: dict[str, object], terminate_minutes: int = 5, **more: object) -> dict[str, object]:
    return {"deploymentId": "d-AAAAAAAAA", "status": status, "blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": ready,
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE",
                                                      "terminationWaitTimeInMinutes": terminate_minutes}}, **more}


def _target(status: str, done: int) -> dict[str, object]:
    events = []
    for index, name in enumerate(("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic",
                                  "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")):
        event: dict[str, object] = {"lifecycleEventName": name, "status": "Succeeded" if index < done else "Pending"}
        if index < done:
            event.update(startTime=at(index * 10), endTime=at(index * 10 + 10))
        events.append(event)
    return {"status": status, "lifecycleEvents": events, "taskSetsInfo": []}


def test_a_ready_wait_ends_wait_time_after_green_got_test_traffic() -> None:
    info = _answer("Ready", {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30})
    made = fetch_deploy.build(info, _target("Ready", 5), at(60))
    assert made.wait is not None and made.wait.kind is WaitKind.READY and made.wait.needs_person
    assert made.wait.started == at(50) and made.wait.ends_at == at(50 + 1800) and made.wait.seconds_left == 1790
    scaled = fetch_deploy.build(info, _target("Ready", 5), at(60), time_scale=60)  # the sandbox's minutes
    assert scaled.wait is not None and scaled.wait.ends_at == at(80) and scaled.wait.seconds_left == 20


def test_a_termination_wait_is_a_deployment_in_progress_whose_target_is_done() -> None:
    info = _answer("InProgress", {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}, terminate_minutes=10)
    made = fetch_deploy.build(info, _target("Succeeded", 8), at(100))
    assert made.wait is not None and made.wait.kind is WaitKind.TERMINATION and made.wait.on_timeout == "TERMINATE"
    assert made.wait.ends_at == at(80) + timedelta(minutes=10)
    assert fetch_deploy.build(info, _target("InProgress", 6), at(100)).wait is None
    flagged = _answer("InProgress", {}, instanceTerminationWaitTimeStarted=True)
    assert fetch_deploy.build(flagged, _target("InProgress", 6), at(100)).wait is not None
    assert fetch_deploy.build(_answer("Succeeded", {}), _target("Succeeded", 8), at(100)).wait is None


def test_deployment_values_from_answers() -> None:
    info = _answer("Stopped", {}, errorInformation={"code": "MANUAL_STOP", "message": "stopped"},
                   rollbackInfo={"rollbackDeploymentId": "d-BBBBBBBBB"}, creator="user")
    target = _target("Failed", 5)
    target["taskSetsInfo"] = [{"identifer": "ecs-svc/9", "desiredCount": 2, "pendingCount": 1, "runningCount": 1,
                               "status": "ACTIVE", "trafficWeight": 25.0, "targetGroup": {"name": "shop-green"},
                               "taskSetLabel": "Green"}]
    made = fetch_deploy.build(info, target, at(0))
    assert made.error == "MANUAL_STOP: stopped" and made.rolled_back_by == "d-BBBBBBBBB" and made.wait is None
    (green,) = made.task_sets
    assert (green.id, green.label, green.desired, green.pending, green.running, green.traffic_weight,
            green.target_group) == ("ecs-svc/9", "Green", 2, 1, 1, 25.0, "shop-green")
    assert fetch_deploy.Routing("TimeBasedLinear", 30, 1).steps == 4
    assert fetch_deploy.Routing("TimeBasedCanary", 10, 5).steps == 2


# -- what a listener forwards ---------------------------------------------------------------------


def test_listener_weights_from_forward_actions() -> None:
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-green/73e2d6bc24d8a067"
    assert fetch_elb.group_name(arn) == "shop-green"
    weighted = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn.replace("shop-green", "shop-blue"), "Weight": 90}, {"TargetGroupArn": arn, "Weight": 10}]}}]
    assert fetch_elb._weights(weighted) == (("shop-blue", 90), ("shop-green", 10))
    assert fetch_elb._weights([{"Type": "forward", "TargetGroupArn": arn}]) == (("shop-green", 1),)
    assert fetch_elb._weights([{"Type": "fixed-response"}]) == ()


def test_traffic_reads_green_as_the_deployments_replacement_group() -> None:
    # CodeDeploy swaps the groups' roles each deployment: green is whatever the Green task set uses
    swapped = snapshot(deployment=deployment(task_sets=()), green=30)
    assert swapped.traffic == (70.0, 30.0)
    assert snapshot(deployment=None, listeners=(production(0),)).traffic == (100.0, 0.0)


def test_target_of_a_config() -> None:
    config = Config(name="shop", region="eu-west-1")
    made = target_of(config)
    assert (made.pipeline, made.cluster, made.load_balancer, made.blue_target_group, made.green_target_group,
            made.production_port, made.test_port, made.log_group, made.watched_image) == (
        "shop", "shop", "shop-alb", "shop-blue", "shop-green", 80, 8080, "/ecs/shop", "shop:latest")
    assert TARGET.stack == "shop"


# -- pacing ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_steps_predicted_from_the_configuration() -> None:
    predictor = StepPredictor(interval_s=60.0, steps=4)
    assert predictor.fast_from() == 0.0  # the first step comes as soon as traffic moves
    predictor.observe(100.0, 101.8)
    assert predictor.fast_from() == pytest.approx(100.0 + 60 - 6)  # a margin of 10% before the next
    for k in range(1, 4):
        predictor.observe(100.0 + 60 * k, 101.8 + 60 * k)
    assert predictor.fast_from() == float("inf")  # all four steps seen


def test_steps_learned_when_the_configuration_is_unknown() -> None:
    predictor = StepPredictor()
    predictor.observe(10.0, 11.8)
    assert predictor.fast_from() == 0.0  # one step says nothing of the next
    predictor.observe(70.0, 71.8)
    assert predictor.learned_interval() == pytest.approx(58.2)  # the least gap the reads allow
    assert 120 < predictor.fast_from() < 130


def test_the_budget_defers_what_is_not_essential() -> None:
    clock = Clock()
    meter = CallMeter(clock)
    pacer = Pacer(clock, meter)
    assert pacer.due() == set(Part)  # the first poll reads everything
    for _ in range(BUDGETS[Mode.IDLE]):
        meter.record()
    for part in Part:
        pacer.done(part)
    clock.now += 61
    for _ in range(BUDGETS[Mode.IDLE]):
        meter.record()  # a full minute's budget spent just now
    assert pacer.due() == {Part.EXECUTIONS}  # the change detector still runs; the rest waits
    clock.now += 61
    assert Part.LISTENERS in pacer.due()


def test_a_part_the_budget_defers_waits_for_room_instead_of_spinning() -> None:
    # once seen as 5 polls a second reading nothing while the window was full after a deployment
    clock = Clock()
    meter = CallMeter(clock)
    pacer = Pacer(clock, meter)
    pacer.due()
    for part in Part:
        pacer.done(part)
    clock.now += 61
    for _ in range(BUDGETS[Mode.IDLE]):
        meter.record()
        clock.now += 1  # the window's calls, the oldest 12 s ago
    assert pacer.due() == {Part.EXECUTIONS}
    pacer.done(Part.EXECUTIONS)
    assert pacer.next_poll_in() == pytest.approx(15.0)  # the executions' period, not 0.2 s
    # the deferred parts come back when the window has room: its oldest calls leave in ~48 s
    assert 40 < pacer._next[Part.LISTENERS] - clock.now <= 60
    clock.now += 60
    assert Part.LISTENERS in pacer.due()


def test_a_faster_sandbox_is_watched_faster_within_a_larger_budget() -> None:
    clock = Clock()
    aws, sandbox = Pacer(clock, CallMeter(clock)), Pacer(clock, CallMeter(clock), speed=60.0)
    for pacer in (aws, sandbox):
        pacer.set_mode(Mode.ACTIVE)
        pacer.done(Part.DEPLOYMENT)
    assert aws._next[Part.DEPLOYMENT] - clock.now == pytest.approx(8.0)
    assert sandbox._next[Part.DEPLOYMENT] - clock.now == pytest.approx(0.8)  # at most 10x faster
    assert (aws.budget, sandbox.budget) == (40, 400)


def test_shifting_reads_listeners_fast_only_when_a_step_is_due() -> None:
    clock = Clock()
    pacer = Pacer(clock, CallMeter(clock))
    pacer.set_mode(Mode.SHIFTING)
    pacer.predictor = StepPredictor(interval_s=60.0, steps=10)
    pacer.done(Part.LISTENERS)
    assert pacer._next[Part.LISTENERS] == pytest.approx(clock.now + FAST_LISTENERS_S)
    pacer.predictor.observe(clock.now - 1.8, clock.now)
    pacer.done(Part.LISTENERS)
    assert pacer._next[Part.LISTENERS] == pytest.approx(clock.now + 10.0)  # slow between steps


def test_backoff_grows_with_throttling_and_jitters() -> None:
    clock = Clock()
    pacer = Pacer(clock, CallMeter(clock), random.Random(7))
    for _ in range(5):
        pacer.throttled()
    assert pacer.backoff == 8
    periods = set()
    for _ in range(20):
        pacer.done(Part.EXECUTIONS)
        periods.add(round(pacer._next[Part.EXECUTIONS] - clock.now, 3))
    assert all(60 <= p <= 120 for p in periods) and len(periods) > 1  # 15 s x 8, equal jitter
    pacer.calm()
    pacer.calm()
    pacer.calm()
    assert pacer.backoff == 1
