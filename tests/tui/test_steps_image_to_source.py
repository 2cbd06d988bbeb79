"""Wizard steps 1-4 (image, task definition, AppSpec, source): each refusal with its rule and fix,
choices written to the draft, the live previews, the EXPOSE port carried to the Task step, the
S3 fallback when CodeCommit is closed, discovery against a real sandbox, the background build and
push of the sample web site (Docker), and SVG snapshots at 120x40 from fixed discovery records."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.pilot import SIZE, NoCalls, field, fill, make_app, problems, show, steady, text_of, until
from textual.widgets import DataTable, Input, RadioButton, Select
from textual.widgets._select import InvalidSelectValueError

from bluegreen.aws.discovery_records import (
    CodeCommitRepository,
    EcrImage,
    EcrRepository,
    LocalImage,
    Role,
)
from bluegreen.events import BuildStep, PushDone
from bluegreen.images.dockerfiles import Dockerfile, ExposedPort
from bluegreen.model.draft import Draft
from bluegreen.model.rules import FARGATE_MEMORY
from screens.appspec import AppSpecScreen
from screens.image import ImageScreen
from screens.lookups import Key, Kind
from screens.source import SourceScreen
from screens.steps import Nav
from screens.task import TaskScreen, memory_label
from screens.widgets.preview import CodePreview

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "examples" / "sample-website" / "Dockerfile"
API = REPO_ROOT / "services" / "api" / "Dockerfile"  # a record only: no such file is needed
EXEC_ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
CLOSED = ("CreateRepository request is not allowed because there is no existing repository in this "
          "AWS account or AWS Organization")

# -- fixed discovery records (the sandbox's ids are random) ---------------------------------------

FOUND: dict[Key, Any] = {
    Key(Kind.DOCKERFILES): [Dockerfile(SAMPLE, (ExposedPort(80),)),
                            Dockerfile(API, (ExposedPort(8080), ExposedPort(9090, "udp")))],
    Key(Kind.LOCAL_IMAGES): [LocalImage("sha256:" + "ab12" * 16, ("my-app:latest", "my-app:v2"),
                                        (ExposedPort(8080),), datetime(2025, 5, 1, 12, 30, tzinfo=UTC))],
    Key(Kind.ECR_REPOSITORIES): [
        EcrRepository("my-app", "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app",
                      "arn:aws:ecr:us-east-1:123456789012:repository/my-app"),
        EcrRepository("shared/web", "123456789012.dkr.ecr.us-east-1.amazonaws.com/shared/web",
                      "arn:aws:ecr:us-east-1:123456789012:repository/shared/web"),
    ],
    Key(Kind.ECR_IMAGES, "my-app"): [EcrImage("my-app", ("v1",), "sha256:" + "cd34" * 16, 12_345_678,
                                              datetime(2025, 4, 30, 9, 0, tzinfo=UTC))],
    Key(Kind.ECR_IMAGES, "shared/web"): [],
    Key(Kind.ROLES): [Role("ecsTaskExecutionRole", EXEC_ROLE, ("ecs-tasks.amazonaws.com",)),
                      Role("lambda-basic", "arn:aws:iam::123456789012:role/lambda-basic", ("lambda.amazonaws.com",))],
    Key(Kind.CODECOMMIT_REPOSITORIES): [
        CodeCommitRepository("my-app", "arn:aws:codecommit:us-east-1:123456789012:my-app", "main"),
        CodeCommitRepository("infra", "arn:aws:codecommit:us-east-1:123456789012:infra", ""),
    ],
}
NOTHING_HERE = {Key(Kind.DOCKERFILES): [], Key(Kind.LOCAL_IMAGES): []}  # only the AWS lookups are under test


async def pick_row(pilot: Any, screen: Any, key: str) -> None:
    table = screen.query_one("#sources", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.press("enter")
    await pilot.pause()


# -- 1. Image -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wizard shows Dockerfiles relative to the working directory (and snapshots show them)."""
    monkeypatch.chdir(REPO_ROOT)


async def test_image_lists_every_source_and_a_dockerfile_fills_context_and_port_for_the_task() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ImageScreen)
        table = screen.query_one("#sources", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)][1:] for i in range(table.row_count)]
        assert rows == [
            ["Dockerfile", "examples/sample-website/Dockerfile", "80", ""],
            ["Dockerfile", "services/api/Dockerfile", "8080, 9090/udp", ""],
            ["Local", "my-app:latest +1", "8080", "ab12ab12ab12 · 2025-05-01"],
            ["ECR", "my-app:v1", "—", "12.3 MB · pushed 2025-04-30"],
        ]
        assert app.focused is table  # the first choice is where the image comes from
        # with the default settings the first Dockerfile found is taken, so the defaults build
        assert str(table.get_row_at(0)[0]) == "●"
        assert app.context.draft.config.image.context == "examples/sample-website"

        await pick_row(pilot, screen, f"dockerfile:{API}")
        image = app.context.draft.config.image
        assert (image.context, image.dockerfile) == ("services/api", "Dockerfile")
        assert app.context.image.exposed_port == 8080
        assert "EXPOSE 8080: the Task step will use port 8080" in text_of(screen, "#choice-note")
        assert str(table.get_row_at(1)[0]) == "●"
        # edited away from the row: the row is no longer chosen, and a missing Dockerfile is said
        await fill(pilot, field(screen, "image.context"), "nowhere")
        assert str(table.get_row_at(1)[0]) == " " and app.context.image.exposed_port is None
        assert "No Dockerfile at nowhere/Dockerfile: pick one above" in text_of(screen, "#choice-note")
        # no target yet (session None): nothing to push to
        assert screen.query_one("#build").disabled
        assert "connect a target in step 0 first" in text_of(screen, "#build-help")


async def test_image_from_ecr_sets_repository_and_tag_and_says_nothing_to_build() -> None:
    app = make_app(FOUND, session=NoCalls())
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ImageScreen)
        await fill(pilot, field(screen, "image.repository"), "other")
        assert "other is new: created when you press Build and push" in text_of(screen, "#field-image-repository .field-help")
        assert "Creates the ECR repository other first" in text_of(screen, "#build-help")
        await pick_row(pilot, screen, f"ecr:my-app@sha256:{'cd34' * 16}")
        image = app.context.draft.config.image
        assert (image.repository, image.tag) == ("my-app", "v1")
        assert "my-app:v1 is already in ECR: nothing to build" in text_of(screen, "#choice-note")
        assert screen.query_one("#repo-pick", Select).value == "my-app"
        assert "my-app exists in ECR" in text_of(screen, "#field-image-repository .field-help")


async def test_image_bad_repository_name_refused_with_rule_and_fix() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, ImageScreen, results)
        repository = field(screen, "image.repository")
        await fill(pilot, repository, "My_Repo")
        error = text_of(repository, ".field-error")
        assert "an ECR repository name may only use lowercase letters" in error
        assert "Fix: use a name like 'nginx'" in error
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [] and "Can't go on yet: ECR repository" in problems(screen)
        # a field typed meanwhile waits for the repository (the draft takes the values together) ...
        await fill(pilot, field(screen, "image.tag"), "v2")
        assert not field(screen, "image.tag").valid
        await fill(pilot, repository, "team/my-app")
        assert field(screen, "image.tag").valid  # ... and is taken once the repository is fixed
        assert app.context.draft.config.image.tag == "v2"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT] and app.context.draft.config.image.repository == "team/my-app"


async def test_image_without_docker_engine_says_so_calmly(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_engine() -> list[Any]:
        raise ConnectionError("Error while fetching server API version: connection refused")

    monkeypatch.setattr("screens.image.list_local_images", no_engine)
    app = make_app({k: v for k, v in FOUND.items() if k != Key(Kind.LOCAL_IMAGES)})
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ImageScreen)
        await pilot.pause(0.2)
        note = text_of(screen, "#sources-note")
        assert "No Docker engine reachable, so no local images are listed" in note
        assert "fine for an image already in ECR" in note
        assert "Traceback" not in note and "refused" not in note
        table = screen.query_one("#sources", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["Dockerfile", "Dockerfile", "ECR"]


# -- 2. Task definition ------------------------------------------------------------------------------


async def test_task_memory_offers_only_sizes_valid_for_the_cpu_and_next_refuses_a_misfit() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, TaskScreen, results)
        memory = field(screen, "task.memory").query_one(Select)
        cpu = field(screen, "task.cpu").query_one(Select)
        assert [v for _, v in memory._options] == list(FARGATE_MEMORY[256])
        assert [str(label) for label, _ in memory._options] == ["512 MiB", "1 GiB", "2 GiB"]
        with pytest.raises(InvalidSelectValueError):  # 4 GiB cannot be chosen with 0.25 vCPU
            memory.value = 4096

        cpu.value = 1024
        await pilot.pause()
        await pilot.pause()
        task = app.context.draft.config.task
        assert (task.cpu, task.memory) == (1024, 2048)  # 512 MiB did not fit: the nearest size that does
        assert [v for _, v in memory._options] == list(FARGATE_MEMORY[1024])
        assert memory.value == 2048
        assert "512 MiB does not fit cpu 1024: now 2 GiB" in text_of(screen, "#field-task-memory .field-help")
        assert field(screen, "task.cpu").valid and not app.context.draft.pending
        memory.value = 8192
        await pilot.pause()
        assert app.context.draft.config.task.memory == 8192
        assert '"cpu": "1024"' in screen.query_one(CodePreview).text
        assert '"memory": "8192"' in screen.query_one(CodePreview).text
        assert memory_label(30720) == "30 GiB"

        # a size that does not fit, however it got into the draft, holds Next with the rule and fix
        app.context.draft.set("task.memory", 1024)  # refused by the model: waits in `pending`
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        assert "with cpu 1024, Fargate memory must be 2048-8192 in steps of 1024 MiB" in problems(screen)
        assert "set memory to 2048, or change cpu" in problems(screen)
        # and when the step shows again, the misfit is moved to the nearest size that fits, and said
        again = await show(pilot, TaskScreen, results)
        assert app.context.draft.config.task.memory == 2048 and not app.context.draft.pending
        assert "1 GiB does not fit cpu 1024: now 2 GiB" in text_of(again, "#field-task-memory .field-help")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


async def test_task_port_zero_refused_with_rule_and_fix() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, TaskScreen, results)
        port = field(screen, "task.containerPort")
        await fill(pilot, port, "0")
        assert text_of(port, ".field-error") == ("a port is a whole number from 1 to 65535. "
                                                 "Fix: pick a port such as 80 or 8080")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [] and "Container port: fix the value above" in problems(screen)
        assert app.context.draft.config.task.container_port == 80  # the refused value was not taken
        await fill(pilot, port, "8081")
        assert '"containerPort": 8081' in screen.query_one(CodePreview).text
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT] and app.context.draft.config.task.container_port == 8081


async def test_task_port_prefilled_from_expose_of_the_chosen_dockerfile() -> None:
    # The real driver: pick a Dockerfile in step 1, Next, and the Task step starts from its port.
    app = make_app(FOUND, start_step=1, auto_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pick_row(pilot, app.screen, f"dockerfile:{API}")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskScreen)
        port = field(screen, "task.containerPort")
        assert port.query_one(Input).value == "8080"
        assert app.context.draft.config.task.container_port == 8080
        assert "from EXPOSE 8080 in services/api/Dockerfile" in text_of(port, ".field-help")
        assert '"containerPort": 8080' in screen.query_one(CodePreview).text

        # a port the user types wins over EXPOSE when the step shows again
        await fill(pilot, port, "3000")
        again = await show(pilot, TaskScreen)
        assert field(again, "task.containerPort").query_one(Input).value == "3000"
        assert app.context.draft.config.task.container_port == 3000
        assert "from EXPOSE" not in text_of(again, "#field-task-containerPort .field-help")


async def test_task_preview_follows_every_accepted_change() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, TaskScreen)
        preview = screen.query_one(CodePreview)
        assert preview.border_title == "taskdef.json (preview)"
        assert '"image": "<IMAGE1_NAME>"' in preview.text
        await fill(pilot, field(screen, "task.containerName"), "web")
        assert '"name": "web"' in preview.text
        await fill(pilot, field(screen, "task.containerName"), "web app")  # refused: no space
        assert "may only use letters, digits, '_' and '-'" in text_of(screen, "#field-task-containerName .field-error")
        assert '"name": "web"' in preview.text  # the preview keeps the last accepted config
        await fill(pilot, field(screen, "task.containerName"), "web-app")
        assert '"name": "web-app"' in preview.text
        await fill(pilot, field(screen, "task.family"), "shop")
        assert '"family": "shop"' in preview.text


async def test_task_execution_role_create_or_an_existing_one() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, TaskScreen)
        role = field(screen, "task.executionRoleArn").query_one(Select)
        options = [(str(label), value) for label, value in role._options]
        # only roles ECS tasks may assume are offered
        assert options == [("create my-app-execution", None), ("ecsTaskExecutionRole", EXEC_ROLE)]
        assert "created at Apply" in text_of(screen, "#field-task-executionRoleArn .field-help")
        role.value = EXEC_ROLE
        await pilot.pause()
        assert app.context.draft.config.task.execution_role_arn == EXEC_ROLE
        assert f'"executionRoleArn": "{EXEC_ROLE}"' in screen.query_one(CodePreview).text
        assert "an existing role" in text_of(screen, "#field-task-executionRoleArn .field-help")
        role.value = None
        await pilot.pause()
        assert app.context.draft.config.task.execution_role_arn is None
        assert "role/my-app-execution" in screen.query_one(CodePreview).text


# -- 3. AppSpec ------------------------------------------------------------------------------------


async def test_appspec_derives_container_and_port_and_previews_hooks() -> None:
    draft = Draft.new()
    draft.set("task.containerName", "web")
    draft.set("task.containerPort", 8080)
    app = make_app(FOUND, draft=draft)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, AppSpecScreen, results)
        assert "Container  web" in text_of(screen, "#derived") and "Port       8080" in text_of(screen, "#derived")
        preview = screen.query_one(CodePreview)
        assert "TaskDefinition: <TASK_DEFINITION>" in preview.text
        assert 'ContainerName: "web"' in preview.text and "ContainerPort: 8080" in preview.text
        assert "Hooks" not in preview.text

        hook = field(screen, "codeDeploy.hooks.AfterAllowTestTraffic")
        await fill(pilot, hook, "smoke test")
        assert "a Lambda function name may only use letters, digits, '-', '_' and ':'" in text_of(hook, ".field-error")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == []
        await fill(pilot, hook, "CodeDeployHook_smoke")
        assert '- AfterAllowTestTraffic: "CodeDeployHook_smoke"' in preview.text
        await fill(pilot, field(screen, "codeDeploy.hooks.BeforeInstall"), "warmup")
        assert app.context.draft.config.code_deploy.hooks == {"AfterAllowTestTraffic": "CodeDeployHook_smoke",
                                                              "BeforeInstall": "warmup"}
        assert preview.text.index("BeforeInstall") < preview.text.index("AfterAllowTestTraffic")  # event order
        await fill(pilot, field(screen, "codeDeploy.hooks.BeforeInstall"), "")  # empty: no hook
        assert app.context.draft.config.code_deploy.hooks == {"AfterAllowTestTraffic": "CodeDeployHook_smoke"}
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


# -- 4. Source ---------------------------------------------------------------------------------------


async def test_source_switching_type_shows_the_right_fields_and_existing_repositories() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, SourceScreen, results)
        codecommit, s3 = screen.query_one("#codecommit"), screen.query_one("#s3")
        assert codecommit.display and not s3.display
        assert app.focused is screen.query_one("#source-type")
        assert "2 existing repositories" in text_of(screen, "#cc-status")
        screen.query_one("#use-s3", RadioButton).value = True
        await pilot.pause()
        assert app.context.draft.config.source.type == "s3"
        assert s3.display and not codecommit.display
        assert field(screen, "source.bucket").query_one(Input).value == "bluegreen-my-app-us-east-1-source"
        screen.query_one("#use-codecommit", RadioButton).value = True
        await pilot.pause()
        assert app.context.draft.config.source.type == "codecommit"
        assert codecommit.display and not s3.display

        # an existing repository fills the name, and its default branch when it has one
        assert "my-app exists (default branch main)" in text_of(screen, "#field-source-repository .field-help")
        await fill(pilot, field(screen, "source.branch"), "release")
        screen.query_one("#cc-pick", Select).value = "infra"
        await pilot.pause()
        source = app.context.draft.config.source
        assert (source.repository, source.branch) == ("infra", "release")  # an empty repo keeps the branch
        assert "(empty: bluegreen makes the first commit)" in text_of(screen, "#field-source-repository .field-help")
        await fill(pilot, field(screen, "source.repository"), "brand-new")
        assert "brand-new is new: created at Apply" in text_of(screen, "#field-source-repository .field-help")
        # Enter in the last field shown goes Next (the hidden S3 fields are not in the way)
        field(screen, "source.branch").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert results == [Nav.NEXT]


async def test_source_bad_repository_name_refused_with_rule_and_fix() -> None:
    app = make_app(FOUND)
    async with app.run_test(size=SIZE) as pilot:
        results: list[Nav] = []
        screen = await show(pilot, SourceScreen, results)
        repository = field(screen, "source.repository")
        await fill(pilot, repository, "my repo")
        assert text_of(repository, ".field-error") == (
            "a CodeCommit repository name may only use letters, digits, '_', '.' and '-'. "
            "Fix: use a name like 'ecs-demo'")
        await fill(pilot, repository, "app.git")
        assert "can't end in '.git'. Fix: drop '.git'" in text_of(repository, ".field-error")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [] and "Repository: fix the value above" in problems(screen)
        # switching to S3 drops the refused name of the hidden CodeCommit field
        screen.query_one("#use-s3", RadioButton).value = True
        await pilot.pause()
        await pilot.pause()
        assert app.context.draft.config.source.type == "s3" and not app.context.draft.pending
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert results == [Nav.NEXT]


class ClosedCodeCommit(Exception):
    """What botocore raises in an account CodeCommit refuses (a ClientError, with its response)."""

    def __init__(self, message: str, code: str = "OperationNotAllowedException") -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}
        self.operation_name = "ListRepositories"


@pytest.mark.parametrize(("error", "said", "chosen", "selected"), [
    (ClosedCodeCommit(CLOSED), "This account cannot use CodeCommit", False, "s3"),
    (ClosedCodeCommit("User is not authorized", "AccessDeniedException"),
     "Could not list CodeCommit repositories (AccessDeniedException on ListRepositories", False, "s3"),
    # said, but the user's own choice of CodeCommit is not overturned
    (ClosedCodeCommit(CLOSED), "This account cannot use CodeCommit", True, "codecommit"),
], ids=["closed", "listing-failed", "closed-but-chosen"])
async def test_source_offers_s3_when_codecommit_is_not_usable(monkeypatch: pytest.MonkeyPatch, error: Exception,
                                                              said: str, chosen: bool, selected: str) -> None:
    def refuse(session: Any) -> list[Any]:
        raise error

    monkeypatch.setattr("screens.source.list_repositories", refuse)
    app = make_app({}, session=NoCalls())
    app.context.source_type_chosen = chosen
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, SourceScreen)
        await pilot.pause(0.2)
        status = text_of(screen, "#cc-status")
        assert said in status and "S3 source works everywhere" in status
        assert app.context.draft.config.source.type == selected
        assert screen.query_one(f"#use-{selected}", RadioButton).value
        assert screen.query_one("#s3").display == (selected == "s3")
        assert screen.query_one("#cc-status").display


# -- against a real sandbox ----------------------------------------------------------------------------

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def session(sandbox_session: Any) -> Any:
    return sandbox_session


async def test_discovery_against_the_sandbox(session: Any) -> None:
    repository = f"tui-{RUN_ID}"
    session.client("ecr").create_repository(repositoryName=repository)
    session.client("codecommit").create_repository(repositoryName=f"src-{RUN_ID}")
    app = make_app(NOTHING_HERE, session=session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, ImageScreen)
        await until(pilot, lambda: app.context.discovered.knows(Key(Kind.ECR_IMAGES, repository)))
        await pilot.pause()
        assert repository in [v for _, v in screen.query_one("#repo-pick", Select)._options]

        screen = await show(pilot, TaskScreen)
        await until(pilot, lambda: app.context.discovered.knows(Key(Kind.ROLES)))

        screen = await show(pilot, SourceScreen)
        await until(pilot, lambda: app.context.discovered.knows(Key(Kind.CODECOMMIT_REPOSITORIES)))
        await pilot.pause()
        assert f"src-{RUN_ID}" in [v for _, v in screen.query_one("#cc-pick", Select)._options]
        assert app.context.draft.config.source.type == "codecommit"


async def test_quitting_during_a_build_does_not_wait_for_it(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A build step may be silent for minutes: closing the App must not wait for it.
    from bluegreen.images import build_push as images

    release = threading.Event()
    monkeypatch.setattr(images, "build_and_push", lambda *args, **kwargs: release.wait(60))
    app = make_app(NOTHING_HERE, session=session)
    job = app.context.image_job
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await show(pilot, ImageScreen)
            await fill(pilot, field(screen, "image.repository"), f"quit-{RUN_ID}")
            screen.query_one("#build").press()
            await until(pilot, lambda: job.phase == "build")
            started = time.monotonic()
        assert time.monotonic() - started < 3
        for _ in range(20):  # the worker looks at its cancellation every 0.1 s
            if job.phase == "cancelled":
                break
            await asyncio.sleep(0.05)
        assert job.phase == "cancelled"
    finally:
        release.set()


@pytest.mark.docker
async def test_build_and_push_runs_in_the_background_while_the_user_goes_on(
        docker_client: Any, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bluegreen.images import build_push as images

    repository, tag = f"bg-{RUN_ID}", f"t{RUN_ID}"
    ecr = session.client("ecr")
    # The real build and push, held at the start until the user has moved on (a cached build of
    # the sample can finish before the next screen shows).
    gate = threading.Event()
    build_and_push = images.build_and_push

    def held(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(60)
        return build_and_push(*args, **kwargs)

    monkeypatch.setattr(images, "build_and_push", held)
    app = make_app({}, session=session, start_step=1, auto_start=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ImageScreen)
                           and f"dockerfile:{SAMPLE}" in app.screen.rows)
            screen = app.screen
            await pick_row(pilot, screen, f"dockerfile:{SAMPLE}")
            await fill(pilot, field(screen, "image.repository"), repository)
            await fill(pilot, field(screen, "image.tag"), tag)
            assert f"Creates the ECR repository {repository} first" in text_of(screen, "#build-help")
            screen.query_one("#build").press()
            job = app.context.image_job
            await until(pilot, lambda: job.running, 10, "the build to start")  # a message: a while under load

            await pilot.press("ctrl+n")  # on to the Task step; the build goes on
            await until(pilot, lambda: isinstance(app.screen, TaskScreen))
            await pilot.pause()
            assert app.screen.query_one("#build-status").display
            assert "Image: building" in text_of(app.screen, "#build-status")
            gate.set()
            await until(pilot, lambda: not job.running, seconds=180)
            assert job.phase == "done", job.error
            await pilot.pause()
            assert "Image: ✓ pushed to ECR" in text_of(app.screen, "#build-status")

            events = app.context.image_job.events
            assert any(isinstance(e, BuildStep) for e in events)
            done = [e for e in events if isinstance(e, PushDone)]
            assert len(done) == 1 and done[0].tag == tag
            uri = done[0].repository_uri
            details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
            assert details[0]["imageDigest"] == done[0].digest
            tags = ecr.list_tags_for_resource(
                resourceArn=ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]["repositoryArn"])
            assert {"Key": "bluegreen:stack", "Value": "my-app"} in tags["tags"]  # made from the config

            await pilot.press("escape")  # Back: the Image step shows what happened meanwhile
            await until(pilot, lambda: isinstance(app.screen, ImageScreen))
            await pilot.pause()
            result = text_of(app.screen, "#result")
            assert f"in ECR: {uri}:{tag}" in result
            assert "Build log (" in str(app.screen.query_one("#log-pane").title)
            # the lists were fetched again: the pushed image is there to pick
            await until(pilot, lambda: f"ecr:{repository}@{done[0].digest}" in app.screen.rows)
            assert f"{repository} exists in ECR" in text_of(app.screen, "#field-image-repository .field-help")
    finally:
        # our tags only (untagging): the image itself may carry other tags (the layers are cached)
        ours = [t for image in docker_client.images.list() for t in image.tags if t.endswith(f"/{repository}:{tag}")]
        for reference in ours:
            with contextlib.suppress(Exception):
                docker_client.images.remove(reference)


# -- snapshots (120x40, fixed records, no sandbox ids) ----------------------------------------------------


def test_snapshot_image(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await show(pilot, ImageScreen)
        await pick_row(pilot, screen, f"dockerfile:{SAMPLE}")
        await steady(pilot)

    assert snap_compare(make_app(FOUND, session=NoCalls()), terminal_size=SIZE, run_before=run_before)


def test_snapshot_task(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        pilot.app.context.image.exposed_port = 8080
        pilot.app.context.image.exposed_from = "services/api/Dockerfile"
        await show(pilot, TaskScreen)
        await steady(pilot)

    assert snap_compare(make_app(FOUND, session=NoCalls()), terminal_size=SIZE, run_before=run_before)


def test_snapshot_appspec(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await show(pilot, AppSpecScreen)
        await fill(pilot, field(screen, "codeDeploy.hooks.AfterAllowTestTraffic"), "CodeDeployHook_smoke")
        await steady(pilot)

    assert snap_compare(make_app(FOUND, session=NoCalls()), terminal_size=SIZE, run_before=run_before)


def test_snapshot_source(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await show(pilot, SourceScreen)
        await steady(pilot)

    assert snap_compare(make_app(FOUND, session=NoCalls()), terminal_size=SIZE, run_before=run_before)
