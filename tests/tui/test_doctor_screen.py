"""The home screen checks an existing pipeline: the doctor screen shows the findings grouped by
severity, each with why and fix; r checks again after the user fixed it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from support.pilot import SIZE, until
from support.seed_stack import build_seed_stack, ecr_pattern
from textual.widgets import Button, Input, Static

from screens.doctor import DoctorScreen
from screens.target import TargetScreen
from tui.app import BlueGreenApp


@pytest.fixture(autouse=True)
def point_at(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)


def shown(screen: Any) -> str:
    return "\n".join(str(s.render()) for s in screen.query("FindingsView Static"))


async def press_for(pilot: Any, pipeline: str, button: str, screen_class: type) -> Any:
    """On the home screen, once connected: type the pipeline's name, press the button, and
    return the screen it opens."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, TargetScreen) and app.context.identity is not None, 60)
    app.screen.query_one("#pipeline-name", Input).value = pipeline
    app.screen.query_one(button, Button).press()
    await until(pilot, lambda: isinstance(app.screen, screen_class), 10, screen_class.__name__)
    return app.screen


async def test_check_a_pipeline_see_the_finding_fix_it_and_check_again(sandbox: Any) -> None:
    seed = build_seed_stack(sandbox.client, app="tuidoc", region="us-east-1")
    events = sandbox.client("events")
    image_rule = seed.rules[0]
    events.disable_rule(Name=image_rule)

    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        doctor = await press_for(pilot, seed.pipeline, "#check-pipeline", DoctorScreen)
        await until(pilot, lambda: doctor.report is not None, 60, "the report")
        summary = str(doctor.query_one("#doctor-summary", Static).render())
        assert "1 error, 0 warnings" in summary, summary
        text = shown(doctor)
        assert "Errors: the deployment cannot work (1)" in text
        assert "source-no-change-detection" in text and "why: " in text and "fix: " in text
        await pilot.press("c")  # the focused (first) finding's fix, ready to paste
        await pilot.pause()
        assert app.clipboard == doctor.report.findings[0].fix == f"aws events enable-rule --name {image_rule}"

        events.enable_rule(Name=image_rule)
        assert json.loads(events.describe_rule(Name=image_rule)["EventPattern"]) == ecr_pattern("tuidoc", "latest")
        first = doctor.report
        await pilot.press("r")
        await until(pilot, lambda: doctor.report is not first, 60, "the second report")
        assert doctor.report.clean, doctor.report
        assert "no known mistake found" in shown(doctor)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TargetScreen), 10)


async def test_check_without_a_name_says_what_to_do(sandbox: Any) -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TargetScreen) and app.context.identity is not None, 60)
        app.screen.query_one("#check-pipeline", Button).press()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TargetScreen)
        assert app.screen.query_one("#pipeline-name", Input).has_focus


async def test_adopt_a_pipeline_writes_its_config_tags_it_and_opens_the_monitor(
        sandbox: Any, tmp_path: Path) -> None:
    from support.engine import put_tiny_image, run_plan

    from bluegreen.aws.session import AwsSession, Target
    from bluegreen.model.configfile import load
    from screens.adopt import AdoptScreen
    from screens.monitor import MonitorScreen

    seed = build_seed_stack(sandbox.client, app="tuiadopt", region="us-east-1")
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        adopt = await press_for(pilot, seed.pipeline, "#adopt-pipeline", AdoptScreen)
        await until(pilot, lambda: adopt.adopted is not None, 60, "the pipeline read")
        summary = str(adopt.query_one("#adopt-summary", Static).render())
        assert "Stack tuiadopt-pipeline" in summary or "Stack tuiadopt" in summary, summary
        assert "destroy would delete them" in summary and "targetgroup tuiadopt-tg1" in summary
        path = tmp_path / "adopted.yaml"
        adopt.query_one("#adopt-path", Input).value = str(path)
        adopt.query_one("#adopt-go", Button).press()
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), 60, "the monitor")
        await pilot.press("escape")
        await pilot.pause()

    config = load(path)
    assert path.read_text().startswith(f"# imported by 'bluegreen import' from pipeline {seed.pipeline}")
    elbv2 = sandbox.client("elbv2")
    tags = elbv2.describe_tags(ResourceArns=[seed.tgs["tuiadopt-tg1"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "bluegreen:stack", "Value": config.name} in tags
    session = AwsSession(Target(endpoint_url=sandbox.endpoint_url, region="us-east-1"))
    await asyncio.to_thread(put_tiny_image, session, "tuiadopt", "latest")  # the seed pushed none yet
    rows = await asyncio.to_thread(run_plan, session, config)  # its own event loop
    assert {r.action for r in rows} == {"in_sync"}, [(r.node, r.action, r.reason) for r in rows if r.action != "in_sync"]
