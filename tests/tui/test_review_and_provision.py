"""Steps 9 (Review) and 10 (Provisioning): against a real sandbox, and as SVG snapshots
fed with fixed plan rows and fixed engine events (timers frozen)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from support.ecr import put_tiny_image
from support.pilot import SIZE, make_app, until

from bluegreen.aws.session import AwsSession, Identity, Target
from bluegreen.aws.target import sandbox_url
from bluegreen.engine.runner import PlanRow, RunResult
from bluegreen.engine.stack import Outputs, Plan
from bluegreen.events import NodeDone, NodeFailed, NodeProgress, NodeSkipped, NodeStarted, RunFinished
from bluegreen.model.configfile import load_text
from bluegreen.model.draft import Draft
from bluegreen.sandbox.server import SandboxHandle
from screens.monitor import MonitorScreen
from screens.provision import ApplyFinished, ProvisionScreen
from screens.review import ReviewScreen
from screens.steps import Nav
from screens.widgets.plan_table import PlanTable
from screens.widgets.resource_tree import ResourceTree
from tui.app import BlueGreenApp

REGION = "us-east-1"
REPOSITORY = "tiny-app"


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session(sandbox: SandboxHandle) -> AwsSession:
    session = AwsSession(Target(endpoint_url=sandbox.endpoint_url, region=REGION))
    put_tiny_image(session, REPOSITORY)
    return session


def draft(name: str, **sections: Any) -> Draft:
    document: dict[str, Any] = {"name": name, "region": REGION, "image": {"repository": REPOSITORY}}
    for key, value in sections.items():
        document.setdefault(key, {}).update(value)
    return Draft(load_text(json.dumps(document)))


def app_for(the_draft: Draft, session: AwsSession | None) -> BlueGreenApp:
    app = make_app(session=session, draft=the_draft)
    if session is not None:
        app.context.identity = session.identity()
    return app


# -- Review against the sandbox --------------------------------------------------------


async def test_review_plans_creates_and_apply_moves_on(session: AwsSession) -> None:
    app = app_for(draft("rv-ok"), session)
    answers: list[Nav | None] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = ReviewScreen(app.context)
        await app.push_screen(screen, answers.append)
        apply = screen.query_one("#next")
        assert apply.disabled  # while the plan is loading
        await until(pilot, lambda: bool(screen.query_one(PlanTable).rows))
        rows = {row.node: row for row in screen.query_one(PlanTable).rows}
        assert rows["ecs.service"].action == "create"
        assert rows["codepipeline.pipeline"].action == "create"
        assert rows["ecr.image"].action == "in_sync"  # the tiny image is already in ECR
        assert "to create" in str(screen.query_one("#plan-counts").render())
        await pilot.pause()
        assert not apply.disabled
        assert "Ready" in str(screen.query_one("#apply-why").render())

        tabs = [str(pane.id) for pane in screen.query("TabPane")]
        assert tabs == ["tab-taskdef-json", "tab-appspec-yaml", "tab-create-service-json", "tab-pipeline-json",
                        "tab-cloudformation-yaml"]
        taskdef = screen.query_one("#tab-taskdef-json CodeView")
        assert "<IMAGE1_NAME>" in taskdef.text and taskdef.read_only
        assert "arn:aws:iam::123456789012:role/rv-ok-execution" in taskdef.text

        await pilot.click("#export")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("ctrl+n")
        await until(pilot, lambda: bool(answers))
    assert answers == [Nav.NEXT]


@pytest.mark.parametrize("removed", ["PlanTable", "#plan-rows"], ids=["whole-table", "table-rows-only"])
async def test_leaving_review_while_it_plans_is_quiet(session: AwsSession, removed: str) -> None:
    # Back pressed while the plan is worked out: Textual removes the screen's widgets before the
    # screen (and its workers), one by one; a plan arriving in between once found no PlanTable,
    # then (seen in CI) a PlanTable without its DataTable, and ended the whole app. Removing
    # that part first puts the worker in exactly that moment.
    app = app_for(draft(f"rv-left-{len(removed)}"), session)
    async with app.run_test(size=SIZE) as pilot:
        screen = ReviewScreen(app.context)
        await app.push_screen(screen)
        assert screen.planning
        workers = [w for w in screen.workers if w.group == "plan"]
        await screen.query_one(removed).remove()
        await until(pilot, lambda: all(w.is_finished for w in workers), 30, "the plan worker ends")
        await pilot.pause()
        assert [w.state.name for w in workers] == ["SUCCESS"]
        assert app.is_running and app.return_code is None
        app.pop_screen()
        await pilot.pause()


async def test_review_conflict_disables_apply(session: AwsSession) -> None:
    app = app_for(draft("rv-novpc", network={"vpc": "vpc-0123456789abcdef0"}), session)
    answers: list[Nav | None] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = ReviewScreen(app.context)
        await app.push_screen(screen, answers.append)
        await until(pilot, lambda: bool(screen.query_one(PlanTable).rows))
        table = screen.query_one(PlanTable)
        assert table.rows[0].node == "network.vpc" and table.rows[0].action == "conflict"
        assert any(row.action == "blocked" for row in table.rows)
        assert "set network.vpc" in str(screen.query_one("#plan-detail").render())
        await pilot.pause()
        assert screen.query_one("#next").disabled
        assert "1 conflict" in str(screen.query_one("#apply-why").render())
        await pilot.press("ctrl+n")  # refused, with the reason
        await pilot.pause()
        assert answers == []
        assert "conflict" in str(screen.query_one("#problems").render())


# -- Provisioning against the sandbox --------------------------------------------------


async def test_provision_failure_shows_the_fix_and_retry_resumes(session: AwsSession) -> None:
    iam = session.client("iam")
    trust = {"Version": "2012-10-17", "Statement": []}
    iam.create_role(RoleName="pv-clash-pipeline", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "bluegreen:stack", "Value": "someone-else"}])
    app = app_for(draft("pv-clash"), session)
    async with app.run_test(size=SIZE) as pilot:
        screen = ProvisionScreen(app.context)
        await app.push_screen(screen)
        await until(pilot, lambda: screen.result is not None or screen.has_class("-failed"))
        tree = screen.query_one(ResourceTree)
        assert tree.rows["iam.role.pipeline"].status == "failed"
        assert tree.rows["codepipeline.pipeline"].status == "skipped"
        failures = str(tree.query_one("#failures").render())
        assert "someone-else" in failures and "fix:" in failures
        assert screen.has_class("-failed") and screen.query_one("#retry").display
        assert screen.query_one("#next").disabled
        assert not screen.has_class("-summary")

        # The fix: the role is handed over to this stack; Retry resumes and finishes.
        iam.tag_role(RoleName="pv-clash-pipeline", Tags=[{"Key": "bluegreen:stack", "Value": "pv-clash"}])
        await pilot.click("#retry")
        await until(pilot, lambda: screen.result is not None and screen.result.ok, seconds=30)
        assert tree.rows["iam.role.pipeline"].status == "updated"
        assert tree.rows["ecs.service"].status == "in_sync"  # made by the first run, found again
        assert "ecs.service" in screen.created
        assert not screen.has_class("-failed") and screen.has_class("-summary")
        assert not screen.query_one("#next").disabled
    assert session.client("codepipeline").get_pipeline(name="pv-clash")["pipeline"]["name"] == "pv-clash"


async def test_apply_from_review_provisions_and_watch_opens_the_monitor(session: AwsSession) -> None:
    """Through the app's driver: Review → Apply → Provisioning (every node done, the
    summary, the honest LB check) → Watch opens the live monitor of the stack; closing it ends
    the app; boto3 then sees the stack."""
    app = app_for(draft("flow"), session)
    app.start_step, app.auto_start = 9, True
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and bool(app.screen.query_one(PlanTable).rows))
        await pilot.pause()
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, ProvisionScreen))
        screen = app.screen
        assert isinstance(screen, ProvisionScreen)
        tree = screen.query_one(ResourceTree)
        # The plan's rows are in the tree from the start, titled, waiting their turn.
        assert tree.rows["codepipeline.pipeline"].title == "Pipeline flow"
        await until(pilot, lambda: screen.result is not None and screen.check is not None)
        assert screen.result.ok
        assert all(row.status in ("created", "updated", "in_sync") for row in tree.rows.values()), \
            {n: r.status for n, r in tree.rows.items()}
        assert tree.finished is not None and tree.finished.ok
        assert screen.has_class("-summary") and not screen.has_class("-failed")
        summary = "\n".join(f"{label} {value}" for label, value in screen.summary_rows)
        dns = session.client("elbv2").describe_load_balancers(Names=["flow-alb"])["LoadBalancers"][0]["DNSName"]
        assert f"http://{dns}:80/" in summary  # the sandbox's load balancer: a loopback address of its own
        assert "flow: runs on a push of tiny-app:latest" in summary
        assert "bluegreen push -f bluegreen.yaml --sandbox" in summary
        # the GET really reached the load balancer; this sandbox simulates its tasks, so no
        # target serves it: the load balancer's own 503
        assert screen.check[0] is False and screen.check[1].startswith("HTTP 503"), screen.check
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), 30, "the monitor")
        monitor = app.screen
        await until(pilot, lambda: monitor.snapshot is not None, 30, "the first snapshot")
        assert monitor.snapshot.target.pipeline == "flow"
        assert monitor.probe_url == f"http://{dns}:80/"
        await pilot.press("escape")
        await until(pilot, lambda: not app.is_running)
    service = session.client("ecs").describe_services(cluster="flow", services=["flow"])["services"][0]
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert session.client("codepipeline").get_pipeline(name="flow")["pipeline"]["name"] == "flow"


async def test_tree_takes_image_events_from_a_thread() -> None:
    """The image build emits from a worker thread: the listener hands events over as
    messages, and a flood of push progress folds into the image row's note."""
    from bluegreen.events import BuildStep, PushProgress

    app = snapshot_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = ProvisionScreen(app.context, autostart=False)
        await app.push_screen(screen)
        tree = screen.query_one(ResourceTree)
        tree.record(NodeStarted("ecr.image", "Image demo:latest", "create"))

        def build() -> None:
            tree.listener(BuildStep(1, 2, "FROM scratch"))
            for current in range(0, 1001, 10):
                tree.listener(PushProgress("sha256:aa", "Pushing", current, 1000))

        worker = threading.Thread(target=build)
        worker.start()
        worker.join()
        await until(pilot, lambda: tree.rows["ecr.image"].message == "pushing 1 layer: 100%")
        assert tree.rows["ecr.image"].status == "running"


# -- the load balancer check -----------------------------------------------------------


# -- snapshots (fixed rows and events; nothing asks AWS) -------------------------------

IDENTITY = Identity("123456789012", "arn:aws:iam::123456789012:user/demo", "AIDADEMO")
# the endpoint --sandbox commands look at (so hints need no BLUEGREEN_SANDBOX_URL); never called
SANDBOX_TARGET = Target(endpoint_url=sandbox_url(), region=REGION)


def plan_rows(conflict: bool) -> list[PlanRow]:
    rows = [
        PlanRow("account", "AWS account", "in_sync", "", "123456789012 (arn:aws:iam::123456789012:user/demo)", ""),
        PlanRow("network.vpc", "VPC", "in_sync", "", "vpc-0a1b2c3d4e5f60718", ""),
        PlanRow("network.subnets", "Subnets", "in_sync", "", "subnet-0a1b2c3d, subnet-1b2c3d4e", ""),
    ]
    if conflict:
        rows[1] = PlanRow("network.vpc", "VPC", "conflict",
                          "network.vpc: VPC vpc-0123456789abcdef0 does not exist in us-east-1", "",
                          "set network.vpc to an existing VPC id, or to 'default'")
        rows[2] = PlanRow("network.subnets", "Subnets", "blocked", "after VPC", "", "")
    for node, title in (("iam.role.execution", "IAM role demo-execution"),
                        ("iam.role.codedeploy", "IAM role demo-codedeploy"),
                        ("iam.role.pipeline", "IAM role demo-pipeline"),
                        ("s3.bucket.artifacts", "S3 bucket bluegreen-demo-us-east-1-artifacts"),
                        ("ecs.cluster", "ECS cluster demo"),
                        ("elbv2.load_balancer", "Load balancer demo-alb"),
                        ("ecs.service", "ECS service demo"),
                        ("codedeploy.deployment_group", "Deployment group demo"),
                        ("codepipeline.pipeline", "Pipeline demo")):
        blocked = conflict and node.startswith("elbv2")
        rows.append(PlanRow(node, title, "blocked" if blocked else "create",
                            "after Subnets" if blocked else "does not exist yet", "", ""))
    rows.insert(4, PlanRow("ecr.image", "Image demo:latest", "in_sync", "", "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5", ""))
    return rows


def snapshot_app(session: AwsSession | None = None) -> BlueGreenApp:
    app = make_app(session=session, draft=draft("demo", image={"repository": "demo"}))
    app.context.identity = IDENTITY
    return app


def review_snapshot(conflict: bool) -> tuple[BlueGreenApp, Callable[[Any], Any]]:
    app = snapshot_app(AwsSession(SANDBOX_TARGET))

    async def run_before(pilot: Any) -> None:
        screen = ReviewScreen(app.context, autoplan=False)
        await app.push_screen(screen)
        screen.show_plan(plan_rows(conflict))
        await pilot.pause()

    return app, run_before


def test_review_snapshot(snap_compare: Any) -> None:
    app, run_before = review_snapshot(conflict=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_review_conflict_snapshot(snap_compare: Any) -> None:
    app, run_before = review_snapshot(conflict=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def fed_events(stage: str) -> list[Any]:
    """A run as the engine reports it: "running" (two rows still at work), "failed" (the
    pipeline role clashes with another stack's), or "done"."""
    done = [("account", "AWS account", "in_sync", "123456789012"),
            ("network.vpc", "VPC", "in_sync", "vpc-0a1b2c3d4e5f60718"),
            ("network.subnets", "Subnets", "in_sync", "subnet-0a1b2c3d, subnet-1b2c3d4e"),
            ("iam.role.execution", "IAM role demo-execution", "created", "arn:aws:iam::123456789012:role/demo-execution"),
            ("iam.role.codedeploy", "IAM role demo-codedeploy", "created", "arn:aws:iam::123456789012:role/demo-codedeploy"),
            ("s3.bucket.artifacts", "S3 bucket bluegreen-demo-us-east-1-artifacts", "created", "bluegreen-demo-us-east-1-artifacts"),
            ("ecr.image", "Image demo:latest", "in_sync", "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5"),
            ("ecs.cluster", "ECS cluster demo", "created", "arn:aws:ecs:us-east-1:123456789012:cluster/demo")]
    events: list[Any] = []
    for index, (node, title, outcome, detail) in enumerate(done):
        events.append(NodeStarted(node, title, "check" if outcome == "in_sync" else "create"))
        events.append(NodeDone(node, outcome, detail, 0.3 + index / 10))
    events.append(NodeStarted("elbv2.load_balancer", "Load balancer demo-alb", "create"))
    if stage == "running":
        return [*events, NodeProgress("elbv2.load_balancer", "waiting for the load balancer to become active"),
                NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "create")]
    events.append(NodeDone("elbv2.load_balancer", "created", "demo-alb-1.us-east-1.elb.amazonaws.com", 12.5))
    if stage == "failed":
        return [*events,
                NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "check"),
                NodeFailed("iam.role.pipeline", "Conflict",
                           "IAM role demo-pipeline already exists and belongs to the bluegreen stack 'other'",
                           "give this stack another name, or set this resource's name in the config to a free one", 0.4),
                NodeStarted("ecs.service", "ECS service demo", "create"),
                NodeDone("ecs.service", "created", "arn:aws:ecs:us-east-1:123456789012:service/demo/demo", 0.9),
                NodeStarted("codedeploy.deployment_group", "Deployment group demo", "create"),
                NodeDone("codedeploy.deployment_group", "created", "3f1c0b7e", 0.5),
                NodeSkipped("codepipeline.pipeline", "needs IAM role demo-pipeline, which did not finish"),
                RunFinished(False, 11, 1, 1, 14.1)]
    for node, title in (("iam.role.pipeline", "IAM role demo-pipeline"), ("ecs.service", "ECS service demo"),
                        ("codedeploy.deployment_group", "Deployment group demo"),
                        ("codepipeline.pipeline", "Pipeline demo")):
        events += [NodeStarted(node, title, "create"), NodeDone(node, "created", "", 0.6)]
    return [*events, RunFinished(True, 13, 0, 0, 15.2)]


def provision_snapshot(stage: str) -> tuple[BlueGreenApp, Callable[[Any], Any]]:
    app = snapshot_app(AwsSession(SANDBOX_TARGET))
    now = [100.0]  # the frozen clock: a running row shows now - its start

    async def run_before(pilot: Any) -> None:
        app.context.plan = Plan(tuple(plan_rows(conflict=False)))
        screen = ProvisionScreen(app.context, clock=lambda: now[0], autostart=False)
        await app.push_screen(screen)
        screen.show_running()
        tree = screen.query_one(ResourceTree)
        for event in fed_events(stage):
            started_early = isinstance(event, NodeStarted) and event.node == "elbv2.load_balancer"
            now[0] = 87.5 if started_early else 98.0
            tree.record(event)
        now[0] = 100.0
        if stage == "failed":
            screen.post_message(ApplyFinished(RunResult(False, [], ["iam.role.pipeline"], ["codepipeline.pipeline"],
                                                        14.1), None))
        elif stage == "done":
            screen.show_done(RunResult(True, [], [], [], 15.2),
                             Outputs.of(app.context.draft.config, "demo-alb-1.us-east-1.elb.amazonaws.com"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    return app, run_before


def test_provision_running_snapshot(snap_compare: Any) -> None:
    app, run_before = provision_snapshot("running")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_provision_failure_snapshot(snap_compare: Any) -> None:
    app, run_before = provision_snapshot("failed")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_provision_summary_snapshot(snap_compare: Any) -> None:
    app, run_before = provision_snapshot("done")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
