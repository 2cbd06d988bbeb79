"""The watch core against the sandbox with real containers: one stack for the module, applied
with the CLI (the starter config, made to shift 25% every 3 minutes, wait for a person before
rerouting and keep blue 2 hours after), at time scale 60 so CodeDeploy's minutes are seconds.

The tests run in order on that stack and each leaves it where the next one starts: the execution
that creating the pipeline starts waits in its ready wait (snapshot = boto3), is continued
(traffic in linear steps), its termination wait is ended; a new execution is stopped with
rollback, its stage retried and stopped without; then polls under throttling, and the idle call
rate counted in calls on a clock of the test's own.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.waiting import until
from support.watched_stack import WatchedStack, watched_stack

from bluegreen.watch import fetch_elb
from bluegreen.watch.changes import changes
from bluegreen.watch.controls import ControlKind, offers, perform
from bluegreen.watch.pacing import BUDGETS, Mode, Part
from bluegreen.watch.poller import Poller
from bluegreen.watch.snapshot import Health, Snapshot, WaitKind
from bluegreen.watch.target import find_stacks, find_target

pytestmark = pytest.mark.docker
SCALE = 60.0  # a minute of CodeDeploy's is a second


Stack = WatchedStack
REPLACEMENTS = (
    ("deploymentConfig: CodeDeployDefault.ECSAllAtOnce", "deploymentConfig: {type: linear, percent: 25, intervalMinutes: 3}"),
    ("readyAction: CONTINUE_DEPLOYMENT", "readyAction: STOP_DEPLOYMENT\n  readyWaitMinutes: 60"),
    ("terminationWaitMinutes: 5", "terminationWaitMinutes: 120"),
)


@pytest.fixture(scope="module")
def stack(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with watched_stack(docker_client, tmp_path_factory.mktemp("stack"), SCALE, REPLACEMENTS) as made:
        yield made


@pytest.fixture(scope="module")
def poller(stack: Stack) -> Poller:
    """The monitor's poller, shared by the tests that follow the stack's deployments."""
    return Poller(stack.session, stack.target, aws_time_scale=SCALE)


class FakeClock:
    """The poller's clock in the tests that count calls: time moves when the test says."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


async def poll_until(poller: Poller, check: Callable[[Snapshot], bool], what: str, limit_s: float = 60.0,
                     lines: list[str] | None = None) -> Snapshot:
    """Poll (a poll reads only what is due) until `check` holds: a bounded wait."""
    deadline = time.monotonic() + limit_s
    before: Snapshot | None = None
    while True:
        snapshot = await poller.poll()
        if lines is not None:
            lines += changes(before, snapshot)
        if os.environ.get("WATCH_DEBUG"):
            for line in changes(before, snapshot):
                print(f"{time.monotonic():.1f} {poller.pacer.mode} {line}")
        before = snapshot
        if check(snapshot):
            return snapshot
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {limit_s:g} s (health {snapshot.health}, "
                                 f"deployment {snapshot.deployment}, errors {snapshot.errors})")
        await asyncio.sleep(0.1)


def enabled(snapshot: Snapshot) -> set[ControlKind]:
    return {o.kind for o in offers(snapshot) if o.enabled}


# -- what boto3 says ------------------------------------------------------------------------------


def boto_weights(stack: Stack) -> dict[str, tuple[tuple[str, int], ...]]:
    elbv2 = stack.handle.client("elbv2")
    arn = elbv2.describe_load_balancers(Names=[stack.target.load_balancer])["LoadBalancers"][0]["LoadBalancerArn"]
    roles = {stack.target.production_port: "production", stack.target.test_port: "test"}
    found = {}
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        groups = listener["DefaultActions"][0].get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": listener["DefaultActions"][0]["TargetGroupArn"], "Weight": 1}]
        found[roles[listener["Port"]]] = tuple((fetch_elb.group_name(g["TargetGroupArn"]), g["Weight"]) for g in groups)
    return found


def boto_target(stack: Stack, deployment_id: str) -> dict[str, Any]:
    target = stack.handle.client("codedeploy").get_deployment_target(
        deploymentId=deployment_id, targetId=f"{stack.target.cluster}:{stack.target.service}")
    return dict(target["deploymentTarget"]["ecsTarget"])


def boto_deployment_facts(stack: Stack, deployment_id: str) -> tuple[Any, ...]:
    target = boto_target(stack, deployment_id)
    return (tuple((e["lifecycleEventName"], e["status"]) for e in target["lifecycleEvents"]),
            tuple((t["identifer"], t["taskSetLabel"], t["status"], t["desiredCount"], t["runningCount"],
                   t["trafficWeight"], t["targetGroup"]["name"]) for t in target["taskSetsInfo"]))


def snapshot_deployment_facts(snapshot: Snapshot) -> tuple[Any, ...]:
    assert snapshot.deployment is not None
    return (tuple((e.name, e.status) for e in snapshot.deployment.lifecycle),
            tuple((t.id, t.label, t.status, t.desired, t.running, t.traffic_weight, t.target_group)
                  for t in snapshot.deployment.task_sets))


def pipeline_deployment(stack: Stack) -> str:
    state = stack.handle.client("codepipeline").get_pipeline_state(name=stack.target.pipeline)
    for stage in state["stageStates"]:
        for action in stage["actionStates"]:
            found = (action.get("latestExecution") or {}).get("externalExecutionId", "")
            if found.startswith("d-"):
                return str(found)
    return ""


# -- the tests, in the order the stack goes through ------------------------------------------------


def test_find_stacks_and_find_target_read_the_applied_stack(stack: Stack) -> None:
    (summary,) = find_stacks(stack.session)
    assert (summary.stack, summary.pipeline, summary.region) == ("my-app", "my-app", "us-east-1")
    assert summary.latest_status in ("InProgress", "Succeeded") and summary.latest_at is not None
    assert find_target(stack.session, "my-app") == stack.target


async def test_a_snapshot_in_the_ready_wait_equals_what_boto3_reports(stack: Stack, poller: Poller) -> None:
    codedeploy = stack.handle.client("codedeploy")
    deployment_id = until(lambda: (lambda d: d if d and codedeploy.get_deployment(deploymentId=d)[
        "deploymentInfo"]["status"] == "Ready" else None)(pipeline_deployment(stack)), "the first deployment is ready")
    snapshot = await poller.poll()
    assert snapshot.errors == ()
    assert snapshot.health is Health.WAITING and snapshot.exit_code == 4
    assert snapshot.deployment is not None and snapshot.deployment.id == deployment_id
    assert snapshot.deployment.status == "Ready"
    assert snapshot_deployment_facts(snapshot) == boto_deployment_facts(stack, deployment_id)
    assert {w.role: w.weights for w in snapshot.listeners} == boto_weights(stack)
    listed = stack.handle.client("codepipeline").list_pipeline_executions(pipelineName="my-app")
    assert [e.id for e in snapshot.executions] == [e["pipelineExecutionId"] for e in
                                                    listed["pipelineExecutionSummaries"]]
    assert [(s.name, s.status) for s in snapshot.stages] == [("Source", "Succeeded"), ("Deploy", "InProgress")]
    assert snapshot.stages[1].actions[0].external_id == deployment_id
    wait = snapshot.deployment.wait
    assert wait is not None and wait.kind is WaitKind.READY and wait.on_timeout == "STOP_DEPLOYMENT"
    assert wait.seconds_left is not None and 0 < wait.seconds_left <= 60  # 60 AWS minutes at time scale 60
    assert enabled(snapshot) == {ControlKind.START, ControlKind.PUSH, ControlKind.CONTINUE, ControlKind.STOP,
                                 ControlKind.ROLLBACK}
    assert snapshot.service is not None and snapshot.service.deployment_controller == "CODE_DEPLOY"
    assert snapshot.traffic == (100.0, 0.0)
    assert snapshot.to_json()["health"] == "waiting" and snapshot.to_json()["exitCode"] == 4


async def test_continue_moves_production_traffic_in_linear_steps(stack: Stack, poller: Poller) -> None:
    ready = await poller.poll()
    said = await perform(stack.session, ready, ControlKind.CONTINUE)
    assert said.startswith(f"deployment {ready.deployment.id}: rerouting")  # type: ignore[union-attr]
    poller.hurry()
    greens: list[float] = []
    lines: list[str] = []
    compared = 0
    before: Snapshot | None = ready
    deadline = time.monotonic() + 60
    while True:
        boto_before = boto_weights(stack), boto_deployment_facts(stack, ready.deployment.id)  # type: ignore[union-attr]
        calls = dict(poller.meter.by_operation)
        snapshot = await poller.poll()  # reads what its schedule says is due, often nothing
        read = {op for op, n in poller.meter.by_operation.items() if n > calls.get(op, 0)}
        if (boto_weights(stack), boto_deployment_facts(stack, ready.deployment.id)) == boto_before:  # type: ignore[union-attr]
            # nothing moved while the poll read: what it read must say exactly what boto3 says
            if "DescribeListeners" in read:
                assert {w.role: w.weights for w in snapshot.listeners} == boto_before[0]
                compared += 1
            if "GetDeploymentTarget" in read:
                assert snapshot_deployment_facts(snapshot) == boto_before[1]
                compared += 1
        moved = [(e.name, e.status) for e in (snapshot.deployment.lifecycle if snapshot.deployment else ())] != [
            (e.name, e.status) for e in (before.deployment.lifecycle if before and before.deployment else ())]
        if moved:  # traffic moves with the lifecycle: the same poll reads where it stands
            assert "DescribeListeners" in read, (read, snapshot.deployment)
        lines += changes(before, snapshot)
        before = snapshot
        greens.append(snapshot.traffic[1])
        wait = snapshot.deployment.wait if snapshot.deployment else None
        if wait is not None and wait.kind is WaitKind.TERMINATION:
            break
        assert time.monotonic() < deadline, f"no termination wait within 60 s: {snapshot.deployment}"
        await asyncio.sleep(0.1)
    assert snapshot.errors == ()
    assert greens == sorted(greens) and greens[-1] == 100.0
    steps = {25.0, 50.0, 75.0} & set(greens)
    assert len(steps) >= 2, greens  # the linear steps show, not only the start and the end
    assert compared >= 3
    for green in sorted(steps):
        assert f"production: blue {100 - green:.0f}% / green {green:.0f}%" in lines
    assert "production: blue 0% / green 100%" in lines
    assert snapshot.health is Health.DEPLOYING
    assert enabled(snapshot) == {ControlKind.START, ControlKind.PUSH, ControlKind.END_WAIT, ControlKind.STOP,
                                 ControlKind.ROLLBACK}

    # A poll that sees the lifecycle move reads the listeners too, even when they are not due:
    # CI once ended this loop on a snapshot showing the termination wait beside 75/25.
    fresh = Poller(stack.session, stack.target, aws_time_scale=SCALE)
    scheduled = fresh.pacer.due
    fresh.pacer.due = lambda: scheduled() - {Part.LISTENERS}  # type: ignore[method-assign]
    first = await fresh.poll()
    assert first.deployment is not None and first.deployment.wait is not None
    assert first.deployment.wait.kind is WaitKind.TERMINATION and first.traffic[1] == 100.0, first.listeners


async def test_end_wait_ends_the_deployment_and_removes_blue(stack: Stack, poller: Poller) -> None:
    waiting = await poller.poll()
    assert waiting.deployment is not None
    said = await perform(stack.session, waiting, ControlKind.END_WAIT)
    assert "termination wait ended" in said
    poller.hurry()
    lines: list[str] = []
    done = await poll_until(poller, lambda s: s.health is Health.IDLE, "the deployment and execution end", lines=lines)
    assert done.deployment is not None and done.deployment.status == "Succeeded" and done.deployment.wait is None
    assert done.executions[0].status == "Succeeded"
    assert done.traffic == (0.0, 100.0)
    # (on a loaded machine the first poll may already see it ended: then that line says so)
    assert any(line.startswith(f"deployment {waiting.deployment.id} Succeeded") for line in lines), lines
    ecs = stack.handle.client("ecs")
    until(lambda: len(ecs.describe_services(cluster="my-app", services=["my-app"])["services"][0]["taskSets"]) == 1,
          "one task set left")


async def test_stop_with_rollback_returns_traffic_to_blue(stack: Stack, poller: Poller) -> None:
    idle = await poller.poll()
    assert ControlKind.START in enabled(idle)
    said = await perform(stack.session, idle, ControlKind.START)
    assert said.startswith("started execution ")
    poller.hurry()
    old = idle.deployment.id if idle.deployment else ""
    ready = await poll_until(poller, lambda s: s.deployment is not None and s.deployment.id != old
                             and s.health is Health.WAITING, "the new execution's deployment is ready")
    assert ready.executions[0].id == said.split()[2] and ready.executions[0].trigger == "StartPipelineExecution"
    await perform(stack.session, ready, ControlKind.ROLLBACK)
    poller.hurry()
    lines: list[str] = []
    codedeploy = stack.handle.client("codedeploy")

    def rolled_back(s: Snapshot) -> bool:
        d = s.deployment
        return (s.health is Health.FAILED and d is not None and d.status == "Stopped" and bool(d.rolled_back_by)
                and codedeploy.get_deployment(deploymentId=d.rolled_back_by)["deploymentInfo"]["status"] == "Succeeded")

    stopped = await poll_until(poller, rolled_back, "the stop and its rollback", lines=lines)
    assert stopped.exit_code == 5 and stopped.executions[0].status == "Failed"
    assert stopped.traffic == (100.0, 0.0)
    assert boto_weights(stack)["production"] == tuple((name, weight) for name, weight in
                                                      {w.role: w.weights for w in stopped.listeners}["production"])
    assert f"deployment {ready.deployment.id} Stopped" in "\n".join(lines)  # type: ignore[union-attr]
    deploy_stage = next(s for s in stopped.stages if s.name == "Deploy")
    assert deploy_stage.status == "Failed" and deploy_stage.retryable
    assert ControlKind.RETRY in enabled(stopped) and ControlKind.STOP not in enabled(stopped)


async def test_retry_runs_the_failed_stage_again(stack: Stack, poller: Poller) -> None:
    failed = await poller.poll()
    stopped_id = failed.deployment.id if failed.deployment else ""
    said = await perform(stack.session, failed, ControlKind.RETRY)
    assert said.startswith("retrying the failed actions of stage Deploy")
    poller.hurry()
    ready = await poll_until(poller, lambda s: s.deployment is not None and s.deployment.id != stopped_id
                             and s.health is Health.WAITING, "the retried deploy's deployment is ready")
    assert ready.executions[0].id == failed.executions[0].id  # a retry, not a new execution
    await perform(stack.session, ready, ControlKind.STOP)
    poller.hurry()
    stopped = await poll_until(poller, lambda s: s.health is Health.FAILED and s.deployment is not None
                               and s.deployment.status == "Stopped", "the stop without rollback")
    assert stopped.deployment is not None and stopped.deployment.rolled_back_by == ""
    assert stopped.traffic == (100.0, 0.0)  # stopped before rerouting: production never left blue


async def test_an_older_execution_selected_shows_its_own_stages_and_deployment(stack: Stack, poller: Poller) -> None:
    newest = await poller.poll()
    older = next(e for e in newest.executions if e.status == "Succeeded")
    runs = stack.handle.client("codepipeline").list_action_executions(
        pipelineName="my-app", filter={"pipelineExecutionId": older.id})["actionExecutionDetails"]
    deployed = next(r for r in runs if r["actionName"] == "Deploy")["output"]["executionResult"]["externalExecutionId"]
    poller.select(older.id)
    picked = await poller.poll()
    assert picked.selected == older.id and picked.errors == ()
    assert [(s.name, s.status) for s in picked.stages] == [("Source", "Succeeded"), ("Deploy", "Succeeded")]
    assert {(a.name, a.status) for s in picked.stages for a in s.actions} == {
        (r["actionName"], r["status"]) for r in runs}
    assert picked.deployment is not None and picked.deployment.id == deployed
    assert picked.deployment.status == "Succeeded"
    assert picked.health is Health.FAILED  # the stack's word, whatever is selected
    assert ControlKind.RETRY not in enabled(picked)
    poller.select(None)
    back = await poller.poll()
    assert back.selected == newest.executions[0].id and back.deployment == newest.deployment


async def test_polls_under_throttling_keep_answering_with_a_notice(stack: Stack) -> None:
    clock = FakeClock()
    poller = Poller(stack.session, stack.target, aws_time_scale=SCALE, clock=clock)
    first = await poller.poll()
    assert first.errors == () and first.executions and first.listeners
    snapshots = []
    stack.handle.router.throttle_rate = 0.5
    try:
        for _ in range(6):
            clock.now += 300  # every part is due at every poll
            snapshots.append(await poller.poll())
    finally:
        stack.handle.router.throttle_rate = 0.0
    assert any(s.notices and s.notices[0].startswith("AWS is throttling reads; polling every") for s in snapshots)
    for s in snapshots:  # the last known value of each part stays, and throttling is no error
        assert s.executions and s.listeners and s.service is not None and s.deployment is not None
        assert not [e for e in s.errors if "Throttl" in e or "Rate exceeded" in e], s.errors
    for _ in range(6):
        clock.now += 300
        recovered = await poller.poll()
    assert recovered.notices == () and poller.pacer.backoff == 1


async def test_the_idle_call_rate_stays_within_budget(stack: Stack) -> None:
    clock = FakeClock()
    # AWS's budget: a poller told the sandbox's time scale watches faster within a larger one
    poller = Poller(stack.session, stack.target, clock=clock)
    start = clock.now
    marks: list[tuple[float, int]] = []
    while clock.now - start < 15 * 60:
        snapshot = await poller.poll()
        assert snapshot.health is Health.FAILED and poller.pacer.mode is Mode.IDLE
        marks.append((clock.now, poller.meter.total))
        clock.now += poller.interval_s  # until the next part is due
    steady = [(t, n) for t, n in marks if t - start >= 3 * 60]  # after the first full reads
    worst = max(n - next(m for s, m in reversed(marks) if s <= t - 60) for t, n in steady)
    assert worst <= BUDGETS[Mode.IDLE], worst
    per_minute = (steady[-1][1] - steady[0][1]) / ((steady[-1][0] - steady[0][0]) / 60)
    assert per_minute <= BUDGETS[Mode.IDLE]
    assert poller.meter.by_operation["ListPipelineExecutions"] >= 15 * 4 - 2  # the change detector: every 15 s
