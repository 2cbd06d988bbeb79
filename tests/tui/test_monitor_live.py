"""The monitor watching real deployments: the starter stack on a sandbox with real containers
(time scale 60: CodeDeploy's minutes are seconds), linear 25% every 4 minutes, a ready wait for a
person (STOP_DEPLOYMENT) and a 2-hour termination wait (2 minutes here, ended by a key).
Driven by keys through Pilot.

1. The execution that creating the pipeline starts waits for reroute: the screen equals boto3;
   `c` continues it, the traffic bar moves through 25/50/75 to 0/100; in the termination wait
   the screen equals boto3 and `status --json`; `t` ends the wait and blue's task set goes.
2. `p` pushes v2: the executions table gains its row (not rebuilt); `r` stops it with rollback
   (traffic never left blue); `y` retries the failed stage (a new deployment); then with half of
   the read calls throttled the panel keeps updating, says so quietly, and never crashes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.pilot import until
from support.watched_stack import WatchedStack, set_version, watched_stack

from bluegreen.aws.target import Connection
from bluegreen.watch import fetch_elb
from bluegreen.watch.snapshot import Health, WaitKind
from screens.confirm import ConfirmScreen
from screens.monitor import MonitorScreen
from screens.monitor_launch import prepare
from screens.widgets.executions_table import ExecutionsTable
from screens.widgets.lifecycle_list import LifecycleList
from screens.widgets.status_line import StatusLine
from screens.widgets.traffic_bar import TrafficBar
from tui.monitor_app import MonitorApp

pytestmark = pytest.mark.docker
SIZE = (120, 40)
REPLACEMENTS = (
    ("deploymentConfig: CodeDeployDefault.ECSAllAtOnce", "deploymentConfig: {type: linear, percent: 25, intervalMinutes: 4}"),
    ("readyAction: CONTINUE_DEPLOYMENT", "readyAction: STOP_DEPLOYMENT\n  readyWaitMinutes: 120"),
    ("terminationWaitMinutes: 5", "terminationWaitMinutes: 120"),
)


@pytest.fixture(scope="module")
def stack(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WatchedStack]:
    with watched_stack(docker_client, tmp_path_factory.mktemp("live"), 60.0, REPLACEMENTS) as made:
        yield made


def app_for(stack: WatchedStack) -> MonitorApp:
    connection = Connection(stack.session, f"local sandbox at {stack.handle.endpoint_url}")
    return MonitorApp(prepare(connection, stack.target, stack.config, stack.config_file.parent, stack.config_file))


# -- what boto3 says, and what the screen shows, in the same terms ---------------------------------


def boto_facts(stack: WatchedStack) -> dict[str, Any]:
    cp, cd = stack.handle.client("codepipeline"), stack.handle.client("codedeploy")
    target = stack.target
    executions = cp.list_pipeline_executions(pipelineName=target.pipeline)["pipelineExecutionSummaries"]
    state = cp.get_pipeline_state(name=target.pipeline)
    deploy = next(a for s in state["stageStates"] if s["stageName"] == "Deploy" for a in s["actionStates"])
    deployment_id = deploy.get("latestExecution", {}).get("externalExecutionId", "")
    facts: dict[str, Any] = {
        "executions": [(e["pipelineExecutionId"], e["status"]) for e in executions],
        "deployment": None, "traffic": None,
    }
    if deployment_id:
        status = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
        ecs_target = cd.get_deployment_target(deploymentId=deployment_id, targetId=f"{target.cluster}:{target.service}"
                                              )["deploymentTarget"]["ecsTarget"]
        sets = ecs_target.get("taskSetsInfo") or []
        facts["deployment"] = (deployment_id, status,
                               [(e["lifecycleEventName"], e["status"]) for e in ecs_target["lifecycleEvents"]],
                               sorted((s["taskSetLabel"], s["runningCount"], s["desiredCount"], float(s["trafficWeight"]))
                                      for s in sets))
        green_group = next((s["targetGroup"]["name"] for s in sets if s["taskSetLabel"] == "Green"), "")
        weights = dict(production_weights(stack))
        total = sum(weights.values())
        green = 100.0 * weights.get(green_group, 0) / total
        facts["traffic"] = (100.0 - green, green)
    return facts


def production_weights(stack: WatchedStack) -> tuple[tuple[str, int], ...]:
    elbv2 = stack.handle.client("elbv2")
    arn = elbv2.describe_load_balancers(Names=[stack.target.load_balancer])["LoadBalancers"][0]["LoadBalancerArn"]
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        if listener["Port"] == stack.target.production_port:
            action = listener["DefaultActions"][0]
            groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
                {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
            return tuple((fetch_elb.group_name(g["TargetGroupArn"]), int(g.get("Weight", 1))) for g in groups)
    raise AssertionError("no production listener")


def shown_facts(screen: MonitorScreen) -> dict[str, Any]:
    """What the widgets show (the table's rows, the lifecycle list's deployment, the bar's split),
    with the statuses the table's rows were drawn from."""
    snapshot = screen.snapshot
    assert snapshot is not None
    table = screen.query_one(ExecutionsTable)
    status = {e.id: e.status for e in snapshot.executions}
    facts: dict[str, Any] = {"executions": [(i, status[i]) for i in table.row_order], "deployment": None,
                             "traffic": None}
    shown = screen.query_one(LifecycleList).deployment
    if shown is not None:
        facts["deployment"] = (shown.id, shown.status, [(e.name, e.status) for e in shown.lifecycle],
                               sorted((s.label, s.running, s.desired, s.traffic_weight) for s in shown.task_sets))
        split = screen.query_one(TrafficBar).split
        facts["traffic"] = (split.blue, split.green) if split.known else None
    return facts


async def screen_equals_boto3(pilot: Any, stack: WatchedStack, screen: MonitorScreen, what: str,
                              seconds: float = 60) -> dict[str, Any]:
    """In a state that holds (a wait), the screen catches up with boto3 and then equals it."""
    facts: dict[str, Any] = {}

    def same() -> bool:
        nonlocal facts
        facts = boto_facts(stack)
        return screen.snapshot is not None and shown_facts(screen) == facts

    try:
        await until(pilot, same, seconds, what)
    except AssertionError:
        raise AssertionError(f"{what}: screen {shown_facts(screen)} != boto3 {facts}") from None
    return facts


def wait_kind(screen: MonitorScreen) -> WaitKind | None:
    deployment = screen.query_one(LifecycleList).deployment
    return deployment.wait.kind if deployment is not None and deployment.wait is not None else None


async def press_and_confirm(pilot: Any, key: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), 10, f"the confirmation of {key}")
    await pilot.click("#yes")
    await until(pilot, lambda: isinstance(pilot.app.screen, MonitorScreen), 10, "back on the monitor")


def result_line(screen: MonitorScreen) -> str:
    return str(screen.query_one("#result").render())


async def in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


# -- 1. continue, the linear shift, status --json, end the termination wait ------------------------


async def test_continue_shift_and_end_the_termination_wait(stack: WatchedStack) -> None:
    app = app_for(stack)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), 20, "the monitor")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: wait_kind(screen) is WaitKind.READY, 120, "the first deployment's ready wait")
        facts = await screen_equals_boto3(pilot, stack, screen, "the ready wait")
        assert facts["traffic"] == (100.0, 0.0)
        assert screen.query_one(StatusLine).health is Health.WAITING

        await press_and_confirm(pilot, "c")
        greens: list[float] = []

        def record() -> bool:
            split = screen.query_one(TrafficBar).split
            if split.known and (not greens or greens[-1] != split.green):
                greens.append(split.green)
            return wait_kind(screen) is WaitKind.TERMINATION and split.green == 100.0

        await until(pilot, record, 90, "the shift to end in the termination wait")
        assert greens == sorted(greens) and {25.0, 50.0, 75.0} <= set(greens), greens
        facts = await screen_equals_boto3(pilot, stack, screen, "the termination wait")
        assert facts["traffic"] == (0.0, 100.0)

        # `status --json` says what the screen says
        status = await in_thread(lambda: stack.cli("status", "--json"))
        assert status.exit_code == 3, status.output  # deploying: docs/monitor.md
        printed = json.loads(status.output)
        shown = screen.snapshot
        assert shown is not None
        assert printed["health"] == shown.health.value
        assert [(e["id"], e["status"]) for e in printed["executions"]] == [(e.id, e.status) for e in shown.executions]
        deployment = printed["deployment"]
        assert shown.deployment is not None
        assert (deployment["id"], deployment["status"]) == (shown.deployment.id, shown.deployment.status)
        assert [(e["name"], e["status"]) for e in deployment["lifecycle"]] == [
            (e.name, e.status) for e in shown.deployment.lifecycle]
        assert [(t["label"], t["running"], t["trafficWeight"]) for t in deployment["taskSets"]] == [
            (t.label, t.running, t.traffic_weight) for t in shown.deployment.task_sets]
        assert deployment["wait"]["kind"] == "termination"
        assert [(lst["role"], [tuple(w) for w in lst["weights"]]) for lst in printed["listeners"]] == [
            (lst.role, list(lst.weights)) for lst in shown.listeners]

        await press_and_confirm(pilot, "t")
        ecs = stack.handle.client("ecs")

        def one_task_set() -> bool:
            service = ecs.describe_services(cluster=stack.target.cluster, services=[stack.target.service])
            return len(service["services"][0]["taskSets"]) == 1

        await until(pilot, one_task_set, 60, "blue's task set removed after the wait was ended")
        await until(pilot, lambda: screen.query_one(StatusLine).health is Health.IDLE, 60, "idle")
        facts = await screen_equals_boto3(pilot, stack, screen, "after the deployment")
        assert facts["deployment"][1] == "Succeeded"
        await pilot.press("escape")
        await until(pilot, lambda: not app.is_running, 10, "the app to end")


# -- 2. push, roll back, retry; then throttled reads -------------------------------------------------


async def test_push_rollback_retry_and_throttled_reads(stack: WatchedStack) -> None:
    app = app_for(stack)
    cd = stack.handle.client("codedeploy")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), 20, "the monitor")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        table = screen.query_one(ExecutionsTable)
        await until(pilot, lambda: table.row_count >= 1 and screen.snapshot is not None, 60, "the executions")
        before, added = list(table.row_order), table.added

        set_version(stack, "2")  # edited while the monitor runs: its push reads the file again
        await press_and_confirm(pilot, "p")  # the engine's docker build and push, from the monitor
        await until(pilot, lambda: "pushed" in result_line(screen), 180, "the push")
        await until(pilot, lambda: len(table.row_order) == len(before) + 1, 60, "the push's execution")
        pushed = table.row_order[0]
        assert table.row_order[1:] == before and table.added == added + 1  # one row added, none rebuilt
        await until(pilot, lambda: wait_kind(screen) is WaitKind.READY, 120, "v2's ready wait")
        facts = await screen_equals_boto3(pilot, stack, screen, "v2 waits for reroute")
        stopped_id = facts["deployment"][0]

        await press_and_confirm(pilot, "r")
        await until(pilot, lambda: cd.get_deployment(deploymentId=stopped_id)["deploymentInfo"]["status"] == "Stopped",
                    60, "the deployment stopped")
        info = cd.get_deployment(deploymentId=stopped_id)["deploymentInfo"]
        assert info.get("rollbackInfo", {}).get("rollbackDeploymentId"), info
        weights = dict(production_weights(stack))
        assert weights.get(_live_group(stack), 0) == sum(weights.values()) > 0  # traffic never left blue
        await until(pilot, lambda: screen.query_one(StatusLine).health is Health.FAILED, 90, "failed")
        executions = stack.handle.client("codepipeline").list_pipeline_executions(
            pipelineName=stack.target.pipeline)["pipelineExecutionSummaries"]
        assert (executions[0]["pipelineExecutionId"], executions[0]["status"]) == (pushed, "Failed")

        await press_and_confirm(pilot, "y")

        def retried() -> str:
            state = stack.handle.client("codepipeline").get_pipeline_state(name=stack.target.pipeline)
            deploy = next(s for s in state["stageStates"] if s["stageName"] == "Deploy")
            latest = deploy["actionStates"][0].get("latestExecution", {})
            return latest.get("externalExecutionId", "") if deploy["latestExecution"]["pipelineExecutionId"] == pushed \
                and latest.get("status") == "InProgress" else ""

        await until(pilot, lambda: retried() not in ("", stopped_id), 60, "the Deploy stage retried")
        await until(pilot, lambda: wait_kind(screen) is WaitKind.READY, 120, "the retried deployment's wait")

        # half of the read calls throttled: the panel keeps updating, slower, and says so quietly
        router = stack.handle.router
        router.throttle_reads_only, router.throttle_rate = True, 0.5
        try:
            generation = screen.snapshot.generation if screen.snapshot else 0
            await until(pilot, lambda: "throttl" in screen.query_one(StatusLine).quiet_text.lower(), 90,
                        "the quiet throttling notice")
            await until(pilot, lambda: screen.snapshot is not None and screen.snapshot.generation >= generation + 3,
                        90, "snapshots while throttled")
            assert isinstance(app.screen, MonitorScreen) and app.is_running
        finally:
            router.throttle_rate = 0.0
        await screen_equals_boto3(pilot, stack, screen, "after the throttling", 90)
        await pilot.press("escape")
        await until(pilot, lambda: not app.is_running, 10, "the app to end")


def _live_group(stack: WatchedStack) -> str:
    """The target group the service's PRIMARY task set serves (blue, after a rollback)."""
    service = stack.handle.client("ecs").describe_services(cluster=stack.target.cluster,
                                                           services=[stack.target.service])["services"][0]
    primary = next(s for s in service["taskSets"] if s["status"] == "PRIMARY")
    return fetch_elb.group_name(primary["loadBalancers"][0]["targetGroupArn"])

