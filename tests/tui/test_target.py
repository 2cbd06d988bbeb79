"""Step 0, Target: the sandbox starts in the background without delaying the screen, an
existing config can be opened (a broken one says why), the stack name is checked as typed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support.pilot import SIZE, until
from textual.widgets import Button, Input, Static

from bluegreen.aws.session import Identity
from bluegreen.aws.target import Connection
from bluegreen.sandbox.server import probe
from screens.target import TargetScreen
from tui.app import BlueGreenApp

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed.yaml"


def status_text(app: BlueGreenApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def test_the_sandbox_boots_in_the_background_and_next_waits_for_it() -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TargetScreen), 10)
        assert app.screen.focused is not None  # keys are taken before the sandbox is up
        await until(pilot, lambda: app.context.session is not None, 90)  # a child process, slow under load
        assert "✓ local sandbox at http://127.0.0.1:" in status_text(app)
        assert "account 123456789012" in status_text(app)
        connection = app.context.connection
        assert connection is not None
    if connection.started_sandbox:  # we started it: leaving the app stopped it
        assert not probe(str(connection.endpoint_url))


async def test_a_bad_stack_name_is_refused_as_typed_and_blocks_next() -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.context.session is not None, 90)  # a child process, slow under load
        name = app.screen.query_one("#field-name #editor", Input)
        name.value = "Not OK"
        await pilot.pause()
        error = str(app.screen.query_one("#field-name .field-error", Static).render())
        assert "lowercase letters, digits and single hyphens" in error and "Fix:" in error
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, TargetScreen)
        name.value = "shop"
        await pilot.pause()
        await pilot.press("ctrl+n")
        await until(pilot, lambda: not isinstance(app.screen, TargetScreen), 10)
        assert app.context.draft.config.load_balancer.name == "shop-alb"


async def test_open_an_existing_config_or_say_why_not(tmp_path: Path) -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TargetScreen), 10)
        broken = tmp_path / "broken.yaml"
        broken.write_text("name: shop\nloadBalancer: {testPort: 80}\n")
        app.screen.query_one("#open-path", Input).value = str(broken)
        app.screen.query_one("#open", Button).press()

        def said() -> str:
            return str(app.screen.query_one("#open-error", Static).render())

        await until(pilot, said, 10, "the open error")  # the press is a message: under load, a while
        assert "loadBalancer.testPort" in said() and "Fix:" in said()
        assert app.context.draft.config.name == "my-app"

        app.screen.query_one("#open-path", Input).value = str(SEED)
        app.screen.query_one("#open", Button).press()
        await until(pilot, lambda: app.context.draft.config.name == "ecs-demo", 10, "the seed opened")
        assert app.context.draft.path == SEED
        assert app.screen.query_one("#field-name #editor", Input).value == "ecs-demo"


def test_snapshot_target(snap_compare: Any) -> None:
    """Connected to the sandbox (set up front so that the picture does not depend on timing)."""
    app = BlueGreenApp(sandbox=True, auto_start=False)

    async def run_before(pilot: Any) -> None:
        context = app.context
        context.connection = Connection(object(), "local sandbox at http://127.0.0.1:4599")  # type: ignore[arg-type]
        context.identity = Identity("123456789012", "arn:aws:sts::123456789012:user/moto", "AKIA")
        await app.push_screen(TargetScreen(context))
        await pilot.pause()
        for cursor in app.screen.query(Input):
            cursor.cursor_blink = False

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_a_connection_that_arrives_after_the_wizard_closed_is_closed_too() -> None:
    """The user quits while the sandbox starts: the worker's late connection still stops it."""
    from bluegreen.model.draft import Draft
    from screens.context import WizardContext

    stopped: list[str] = []
    context = WizardContext(Draft.new())
    early = Connection(object(), "early", _stop=lambda: stopped.append("early"))  # type: ignore[arg-type]
    assert context.hold(early)
    context.close()
    assert stopped == ["early"]  # held but never shown: closed with the wizard
    late = Connection(object(), "late", _stop=lambda: stopped.append("late"))  # type: ignore[arg-type]
    assert not context.hold(late)
    assert stopped == ["early", "late"]


async def test_the_stacks_already_in_the_account_are_listed_and_open_in_the_monitor(sandbox: Any) -> None:
    """Once connected, the first screen lists the account's stacks (pipelines tagged
    bluegreen:stack) and Enter on one opens its monitor; escape comes back; c checks it."""
    from support.engine import put_tiny_image, run_apply, session_for, stack_config
    from support.pilot import make_app
    from textual.widgets import DataTable

    from screens.monitor import MonitorScreen
    from screens.widgets.stack_list import StackList

    session = session_for(sandbox)
    put_tiny_image(session)
    result, _ = await asyncio.to_thread(run_apply, session, stack_config("listed"))
    assert result.ok
    app = make_app(session=session, auto_start=False)
    app.context.identity = session.identity()
    app.context.draft.set("region", "us-east-2")
    async with app.run_test(size=SIZE) as pilot:
        screen = TargetScreen(app.context)
        await app.push_screen(screen)
        found = screen.query_one(StackList)
        await until(pilot, lambda: "listed" in found.stacks, 30, "the stack in the list")
        assert found.has_class("-found") and found.stacks["listed"].stack == "listed"
        table = found.query_one(DataTable)
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), 30, "the monitor")
        monitor = app.screen
        await until(pilot, lambda: monitor.snapshot is not None, 30, "a snapshot")
        assert (monitor.snapshot.target.stack, monitor.snapshot.target.cluster) == ("listed", "listed")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, 10, "back on the Target screen")

        # c on the same row runs the doctor on its pipeline: a stack apply made is sound
        from screens.doctor import DoctorScreen

        table.focus()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DoctorScreen), 10, "the doctor screen")
        doctor = app.screen
        await until(pilot, lambda: doctor.report is not None, 60, "the report")
        assert doctor.pipeline == "listed" and doctor.report.clean, doctor.report
