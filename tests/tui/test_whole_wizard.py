"""The whole wizard, driven by keys as a user would: from the Target screen to a provisioned
stack accepting every default (checked through boto3, in at most 25 keystrokes), and a walk
back from the review to change the deployment config, then export and read the YAML."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from support.docker_images import remove_images
from support.pilot import SIZE, until
from textual.widgets import Select

from bluegreen.model.configfile import load
from screens.codedeploy import CodeDeployScreen
from screens.provision import ProvisionScreen
from screens.review import ReviewScreen
from tui.app import BlueGreenApp

ROOT = Path(__file__).resolve().parents[2]
MAX_KEYSTROKES = 25  # issue 5: the console procedure needs well over 60 fields


class Keys:
    """Presses keys and counts them."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.count += 1
            await self.pilot.press(key)
            await self.pilot.pause()


async def to_review(app: BlueGreenApp, pilot: Any, keys: Keys) -> None:
    # 90 s: the wizard starts its sandbox as a child process, slow while the rest of the suite
    # keeps both cores busy
    await until(pilot, lambda: app.context.session is not None, 90, what="the sandbox")
    while not isinstance(app.screen, ReviewScreen):
        before = app.screen
        # As a user would: Next once the step is ready (a step still looking things up says
        # "Can't go on yet: the subnets are still being looked up" and stays).
        with contextlib.suppress(AssertionError):
            await until(pilot, lambda before=before: not _problems(before), 30, "")
        await keys.press("ctrl+n")
        await until(pilot, lambda before=before: app.screen is not before, 20,
                    f"leaving {type(before).__name__} ({'; '.join(_problems(before))})")


def _problems(screen: Any) -> list[str]:
    """What the step says stops Next (a step not yet composed: that it is not ready)."""
    try:
        return list(screen.problems()) if hasattr(screen, "problems") else []
    except Exception as exc:  # its widgets are still being mounted
        return [f"not ready: {exc}"]


@pytest.fixture
def in_examples(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run where the user has a Dockerfile: the sample website of the seed procedure."""
    monkeypatch.chdir(ROOT / "examples")
    return ROOT / "examples"


@pytest.mark.docker
async def test_every_default_from_target_to_a_provisioned_stack(in_examples: Path, docker_client: Any) -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_review(app, pilot, keys)
        review = app.screen
        await until(pilot, lambda: not review.problems(), 60, "a clean plan")
        await keys.press("ctrl+n")  # Apply
        await until(pilot, lambda: isinstance(app.screen, ProvisionScreen), 20, "provisioning")
        provision = app.screen
        await until(pilot, lambda: provision.result is not None, 120, "the apply to finish")
        assert provision.result.ok, provision.result
        assert keys.count <= MAX_KEYSTROKES, keys.count

        session = app.context.session
        name = app.context.draft.config.name
        service = session.client("ecs").describe_services(cluster=name, services=[name])["services"][0]
        assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
        assert session.client("codepipeline").get_pipeline(name=name)["pipeline"]["name"] == name
        group = session.client("codedeploy").get_deployment_group(applicationName=name, deploymentGroupName=name)
        assert group["deploymentGroupInfo"]["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"
        images = session.client("ecr").describe_images(repositoryName=name)["imageDetails"]
        assert any("latest" in i.get("imageTags", []) for i in images)
        repository = app.context.draft.config.image.repository
    remove_images(docker_client, [image.id for image in docker_client.images.list(name=f"*/{repository}")])


async def test_back_from_review_change_the_deployment_config_and_export(tmp_path: Path, in_examples: Path) -> None:
    app = BlueGreenApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_review(app, pilot, keys)
        while not isinstance(app.screen, CodeDeployScreen):
            before = app.screen
            await keys.press("escape")
            await until(pilot, lambda before=before: app.screen is not before, 20, "going back")
        select = app.screen.query_one("#deployment-config", Select)
        select.focus()
        select.value = "CodeDeployDefault.ECSCanary10Percent5Minutes"
        await pilot.pause()
        assert app.context.draft.config.deployment_config_name == "CodeDeployDefault.ECSCanary10Percent5Minutes"
        await to_review(app, pilot, keys)  # forward again: what was entered elsewhere is kept
        assert app.context.draft.config.name == "my-app"

        await keys.press("ctrl+e")
        await until(pilot, lambda: app.screen.query("#yaml"), 10, "the export dialog")
        target = tmp_path / "exported.yaml"
        app.screen.query_one("#yaml").value = str(target)
        await pilot.click("#save")
        await until(pilot, target.exists, 10, "the file")

    exported = load(target)
    assert exported.deployment_config_name == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert exported.code_deploy.ready_action == "CONTINUE_DEPLOYMENT"
    assert "ECSCanary10Percent5Minutes" in target.read_text()
