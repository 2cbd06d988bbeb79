"""Wizard steps 5-8 (network, cluster, CodeDeploy, pipeline): validation refused with its
explanation, choices written to the draft, drawings that follow the choice, discovery against
a real sandbox, and SVG snapshots at 120x40 from fixed discovery records."""

from __future__ import annotations

from typing import Any

from support.pilot import SIZE, field, fill, make_app, show, text_of, type_keys, until

from bluegreen.aws.discovery_records import (
    Cluster,
    CodeDeployApplication,
    Pipeline,
    SecurityGroup,
    Subnet,
    Vpc,
)
from bluegreen.model.config import CustomTrafficShift
from bluegreen.model.configfile import dump_text, load_text
from screens.cluster import ClusterScreen
from screens.codedeploy import CodeDeployScreen, ShiftPartField
from screens.lookups import Key, Kind
from screens.network import NetworkScreen
from screens.pipeline import PipelineScreen
from screens.steps import Nav
from screens.widgets.subnet_table import SubnetTable
from screens.widgets.traffic_drawing import TrafficDrawing
from tui.app import BlueGreenApp

# -- fixed discovery records (the sandbox's ids are random) -------------------------------------

VPC = "vpc-0a1b2c3d4e5f60718"
OTHER_VPC = "vpc-0fedcba987654321f"
RTB_PUBLIC, RTB_PRIVATE = "rtb-0aaa1111bbbb22223", "rtb-0ccc3333dddd44445"


def subnet(suffix: str, az: str, cidr: str, *, public: bool = True, default: bool = True,
           name: str = "") -> Subnet:
    return Subnet(id=f"subnet-0{suffix * 16}", vpc_id=VPC, az=az, cidr=cidr, free_ips=4091,
                  public=public, route_table_id=RTB_PUBLIC if public else RTB_PRIVATE,
                  default_for_az=default, name=name)


PUB_A = subnet("a", "us-east-1a", "172.31.0.0/20")
PUB_A2 = subnet("d", "us-east-1a", "172.31.112.0/20", default=False, name="extra-public")
PRIV_A = subnet("e", "us-east-1a", "172.31.96.0/20", public=False, default=False, name="app-private")
PUB_B = subnet("b", "us-east-1b", "172.31.16.0/20")
PUB_C = subnet("c", "us-east-1c", "172.31.32.0/20")
SUBNETS = sorted([PUB_A, PUB_A2, PRIV_A, PUB_B, PUB_C], key=lambda s: (s.az, s.id))
DEFAULT_CHOICE = [PUB_A.id, PUB_B.id, PUB_C.id]  # public, one per zone, default-for-AZ first

FOUND: dict[Key, Any] = {
    Key(Kind.VPCS): [Vpc(VPC, "172.31.0.0/16", True, ""), Vpc(OTHER_VPC, "10.0.0.0/16", False, "staging")],
    Key(Kind.SUBNETS, VPC): SUBNETS,
    Key(Kind.SUBNETS, OTHER_VPC): [],
    Key(Kind.SECURITY_GROUPS, VPC): [SecurityGroup("sg-0123456789abcdef0", "default", VPC, "default")],
    Key(Kind.SECURITY_GROUPS, OTHER_VPC): [],
    Key(Kind.CLUSTERS): [Cluster("shared", "arn:aws:ecs:us-east-1:123456789012:cluster/shared", "ACTIVE", 2)],
    Key(Kind.CODEDEPLOY_APPLICATIONS): [CodeDeployApplication("legacy", "Server", ("fleet",))],
    Key(Kind.PIPELINES): [Pipeline("other-app", 3, "V2")],
}


async def toggle(pilot: Any, screen: NetworkScreen, *subnet_ids: str) -> None:
    """Tick or untick rows the way a user does: highlight the row, press space."""
    table = screen.query_one(SubnetTable)
    table.focus()
    for subnet_id in subnet_ids:
        table.move_cursor(row=table.get_row_index(subnet_id))
        await pilot.press("space")
    await pilot.pause()


# -- network: validation ---------------------------------------------------------------------


async def test_default_subnets_are_ticked_saved_as_auto_and_follow_the_vpc() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        table = screen.query_one(SubnetTable)
        assert sorted(table.selection) == sorted(DEFAULT_CHOICE)
        assert "the default" in text_of(screen, "#subnet-check")
        assert app.context.draft.config.network.subnets == []
        # another valid choice is written by id, with its zone
        await toggle(pilot, screen, PUB_C.id)
        assert [(s.id, s.az) for s in app.context.draft.config.network.subnets] == [
            (PUB_A.id, "us-east-1a"), (PUB_B.id, "us-east-1b")]
        # back to the default: "auto" again, so the file stays portable
        await toggle(pilot, screen, PUB_C.id)
        assert app.context.draft.config.network.subnets == []
        # another VPC: its own subnets and groups; the old choices mean nothing there
        groups = screen.query_one("#field-network-albSecurityGroups #editor")
        groups.value = "sg-0123456789abcdef0"
        await pilot.pause()
        assert app.context.draft.config.network.alb_security_groups == ["sg-0123456789abcdef0"]
        screen.query_one("#field-vpc #editor").value = OTHER_VPC
        await pilot.pause()
        await pilot.pause()
        network = app.context.draft.config.network
        assert network.vpc == OTHER_VPC and network.alb_security_groups == [] and network.subnets == []
        assert "no subnet is ticked" in text_of(screen, "#subnet-check")
        assert "public subnets in 0 zones" in text_of(screen, "#vpc-status")
        screen.query_one("#field-vpc #editor").value = "default"
        await pilot.pause()
        await pilot.pause()
        assert sorted(screen.query_one(SubnetTable).selection) == sorted(DEFAULT_CHOICE)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


async def test_one_subnet_is_refused_with_the_reason() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        await toggle(pilot, screen, PUB_B.id, PUB_C.id)
        check = text_of(screen, "#subnet-check")
        assert "only one subnet is ticked" in check and PUB_A.id in check
        assert "at least 2 availability zones" in check
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [] and app.screen is screen
        assert "Can't go on yet" in text_of(screen, "#problems")
        assert screen.query_one(SubnetTable).has_focus


async def test_two_subnets_in_one_zone_are_refused() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        await toggle(pilot, screen, PUB_B.id, PUB_C.id, PUB_A2.id)
        check = text_of(screen, "#subnet-check")
        assert f"{PUB_A.id} and {PUB_A2.id} are all in us-east-1a" in check
        assert "at least 2 availability zones" in check
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        # one per zone: a third zone does not make two in one zone acceptable
        await toggle(pilot, screen, PUB_B.id)
        assert "a load balancer takes one subnet per availability zone" in text_of(screen, "#subnet-check")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []


async def test_private_subnet_is_refused_for_an_internet_facing_alb() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        await toggle(pilot, screen, PUB_A.id, PRIV_A.id)  # swap 1a's public subnet for the private one
        check = text_of(screen, "#subnet-check")
        assert f"{PRIV_A.id} (app-private) is private" in check
        assert f"its route table {RTB_PRIVATE} has no 0.0.0.0/0 route to an internet gateway" in check
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        before = app.context.draft.config.network.subnets
        assert PRIV_A.id not in [s.id for s in before]  # a refused choice never reaches the draft
        # an internal load balancer may use private subnets
        app.context.draft.set("loadBalancer.scheme", "internal")
        screen.query_one("#field-loadBalancer-scheme #editor").value = "internal"
        await pilot.pause()
        assert "✓" in text_of(screen, "#subnet-check")
        assert PRIV_A.id in [s.id for s in app.context.draft.config.network.subnets]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


async def test_test_port_equal_to_production_port_is_refused() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        await type_keys(pilot, field(screen, "loadBalancer.testPort"), "80")
        error = text_of(screen, "#field-loadBalancer-testPort .field-error")
        assert "testPort must differ from productionPort (both are 80)" in error
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        assert "Test port: fix the value above" in text_of(screen, "#problems")
        assert app.context.draft.pending == {"loadBalancer.testPort": 80}  # refused, waiting for a fix
        await type_keys(pilot, field(screen, "loadBalancer.testPort"), "8443")
        assert app.context.draft.config.load_balancer.test_port == 8443
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


# -- cluster ---------------------------------------------------------------------------------


async def test_cluster_existing_or_new_and_public_ip_note() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ClusterScreen)
        pick = screen.query_one("#cluster-pick")
        pick.value = "shared"
        await pilot.pause()
        assert app.context.draft.config.ecs.cluster == "shared"
        assert "existing cluster shared" in text_of(screen, "#cluster-status")
        pick.value = ""
        await pilot.pause()
        assert app.context.draft.config.ecs.cluster == "my-app"  # derived again
        screen.query_one("#field-network-assignPublicIp #editor").value = False
        await pilot.pause()
        assert app.context.draft.config.network.assign_public_ip is False
        assert "can't pull their image from ECR" in text_of(screen, "#ip-note")


# -- CodeDeploy --------------------------------------------------------------------------------


async def test_deployment_config_drawing_follows_the_choice() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, CodeDeployScreen)
        drawings = {}
        picker = screen.query_one("#deployment-config")
        for name in ("CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
                     "CodeDeployDefault.ECSCanary10Percent5Minutes"):
            picker.value = name
            await pilot.pause()
            assert app.context.draft.config.code_deploy.deployment_config == name
            drawings[name] = str(screen.query_one(TrafficDrawing).render())
        assert len(set(drawings.values())) == 3
        assert "at once" in drawings["CodeDeployDefault.ECSAllAtOnce"]
        assert "after 27 minutes" in drawings["CodeDeployDefault.ECSLinear10PercentEvery3Minutes"]
        assert "after 5 minutes" in drawings["CodeDeployDefault.ECSCanary10Percent5Minutes"]


async def test_custom_linear_config_round_trips_into_the_draft() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, CodeDeployScreen)
        screen.query_one("#deployment-config").value = "linear"
        await pilot.pause()
        assert screen.query_one("#custom").display
        await fill(pilot, field(screen, "codeDeploy.deploymentConfig.percent"), "20")
        await fill(pilot, field(screen, "codeDeploy.deploymentConfig.intervalMinutes"), "3")
        shift = app.context.draft.config.code_deploy.deployment_config
        assert isinstance(shift, CustomTrafficShift)
        assert (shift.type, shift.percent, shift.interval_minutes) == ("linear", 20, 3)
        assert shift.name == "my-app-linear-20pct-every-3min"  # derived from the values, not stale
        assert "20% more every 3 minutes" in str(screen.query_one(TrafficDrawing).render())
        reloaded = load_text(dump_text(app.context.draft.config))
        assert reloaded == app.context.draft.config
        # a refused percent shows the rule under the field and blocks Next
        await fill(pilot, field(screen, "codeDeploy.deploymentConfig.percent"), "0")
        percent = screen.query_one("#field-codeDeploy-deploymentConfig-percent", ShiftPartField)
        assert not percent.valid and "at least 1" in text_of(screen, "#field-codeDeploy-deploymentConfig-percent .field-error")
        results: list[Nav] = []
        screen.dismiss = results.append  # type: ignore[method-assign]
        screen.action_next()
        assert results == []


async def test_ready_wait_rollback_on_alarm_and_application() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, CodeDeployScreen)
        cd = lambda: app.context.draft.config.code_deploy  # noqa: E731
        screen.query_one("#ready").value = "STOP_DEPLOYMENT"
        await pilot.pause()
        assert (cd().ready_action, cd().ready_wait_minutes) == ("STOP_DEPLOYMENT", 60)
        screen.query_one("#ready").value = "CONTINUE_DEPLOYMENT"
        await pilot.pause()
        assert (cd().ready_action, cd().ready_wait_minutes) == ("CONTINUE_DEPLOYMENT", 0)
        screen.query_one("#rb-DEPLOYMENT_STOP_ON_ALARM").value = True
        await pilot.pause()
        assert "needs at least one alarm" in text_of(screen, "#rollback-error")
        await fill(pilot, field(screen, "codeDeploy.alarms"), "api-5xx, api-latency")
        assert cd().alarms == ["api-5xx", "api-latency"]
        assert "DEPLOYMENT_STOP_ON_ALARM" in cd().auto_rollback_events
        assert text_of(screen, "#rollback-error") == ""
        # an existing application of another compute platform can't take an ECS group
        results: list[Nav] = []
        screen.dismiss = results.append  # type: ignore[method-assign]
        await fill(pilot, field(screen, "codeDeploy.application"), "legacy")
        assert "exists for the Server platform" in text_of(screen, "#app-status")
        screen.action_next()
        assert results == []
        await fill(pilot, field(screen, "codeDeploy.application"), "my-app")
        screen.action_next()
        assert results == [Nav.NEXT]


# -- pipeline ----------------------------------------------------------------------------------


async def test_pipeline_drawing_and_v1_mode() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, PipelineScreen, results)
        drawing = text_of(screen, "#stages")
        for part in ("CodeCommit my-app@main", "ECR my-app:latest", "CodeDeployToECS", "my-app/my-app"):
            assert part in drawing
        screen.query_one("#field-pipeline-type #editor").value = "V1"
        await pilot.pause()
        await pilot.pause()
        pipeline = app.context.draft.config.pipeline
        assert (pipeline.type, pipeline.execution_mode) == ("V1", "SUPERSEDED")
        assert app.context.draft.problems == []
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


# -- the driver: Next through steps 5-8 with the defaults, Back keeps what was chosen --------------


async def test_next_through_steps_5_to_8_and_back_keeps_choices() -> None:
    app = make_app(FOUND, start_step=5, auto_start=True)
    async with app.run_test(size=SIZE) as pilot:
        for expected in (NetworkScreen, ClusterScreen, CodeDeployScreen):
            await until(pilot, lambda expected=expected: isinstance(app.screen, expected))
            if expected is NetworkScreen:
                await until(pilot, lambda: app.screen.subnets is not None)
            if expected is CodeDeployScreen:
                app.screen.query_one("#deployment-config").value = "canary"
                await pilot.pause()
            await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, PipelineScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CodeDeployScreen))
        screen = app.screen
        assert screen.query_one("#deployment-config").value == "canary"
        assert screen.query_one("#custom").display
        assert "the other 80% follows after 10 minutes" in str(screen.query_one(TrafficDrawing).render())
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen) and app.screen.subnets is not None)
        assert sorted(app.screen.query_one(SubnetTable).selection) == sorted(DEFAULT_CHOICE)
        config = app.context.draft.config
        assert config.network.subnets == [] and config.network.vpc == "default"


# -- against the sandbox -----------------------------------------------------------------------


async def test_sandbox_subnets_discovered_and_private_one_refused(sandbox_session: Any) -> None:
    app = make_app({}, session=sandbox_session)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, NetworkScreen, results)
        await until(pilot, lambda: screen.subnets is not None)
        private = [s for s in screen.subnets if s.name == "bluegreen-sandbox-private"]
        assert len(private) == 1 and not private[0].public
        public = [s for s in screen.subnets if s.public]
        table = screen.query_one(SubnetTable)
        assert set(table.selection) == {s.id for s in public}  # the default VPC has one per zone
        assert private[0].id not in table.selection
        await toggle(pilot, screen, private[0].id)
        check = text_of(screen, "#subnet-check")
        assert f"{private[0].id} (bluegreen-sandbox-private) is private" in check
        assert "no 0.0.0.0/0 route to an internet gateway" in check
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        await toggle(pilot, screen, private[0].id)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]
        assert app.context.draft.config.network.vpc == "default"
        assert app.context.draft.config.network.subnets == []


async def test_sandbox_cluster_is_listed_and_picked(sandbox_session: Any) -> None:
    sandbox_session.client("ecs").create_cluster(clusterName="team-cluster")
    app = make_app({}, session=sandbox_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ClusterScreen)
        await until(pilot, lambda: screen.clusters is not None)
        assert "team-cluster" in screen.names()
        screen.query_one("#cluster-pick").value = "team-cluster"
        await pilot.pause()
        assert app.context.draft.config.ecs.cluster == "team-cluster"
        assert app.context.discovered.knows(Key(Kind.CLUSTERS))  # Back/Next will not ask again


# -- snapshots (fixed records, so they are deterministic) ----------------------------------------


def snapshot_app() -> BlueGreenApp:
    return make_app(FOUND)


def push(screen_class: type) -> Any:
    async def run_before(pilot: Any) -> None:
        await show(pilot, screen_class)

    return run_before


def test_snapshot_network(snap_compare: Any) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=push(NetworkScreen))


def test_snapshot_cluster(snap_compare: Any) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=push(ClusterScreen))


def test_snapshot_codedeploy(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await show(pilot, CodeDeployScreen)
        screen.query_one("#deployment-config").value = "CodeDeployDefault.ECSCanary10Percent5Minutes"
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_pipeline(snap_compare: Any) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=push(PipelineScreen))
