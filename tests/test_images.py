"""Images: build with streamed steps, push to the sandbox's ECR, skip, and every failure message.

The docker tests share one sandbox and one build of the sample web site per module (the classic
builder costs about a second per Dockerfile instruction). Every image this module creates carries
a per-run label and is removed in teardown, even when a test fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bluegreen.errors import BadInput, Failed
from bluegreen.events import BuildDone, BuildLog, BuildStep, Event, PushDone, PushProgress
from bluegreen.images import build_push as images
from bluegreen.images.stream import classify_push_error, clean, iter_lines
from bluegreen.model.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_ID = uuid.uuid4().hex[:10]
LABELS = {"bluegreen-test": "images", "bluegreen-test-run": RUN_ID}
VERSION = "7"


def make_config(repository: str = "imgtest-web", context: str | Path = "examples/sample-website",
                **image: Any) -> Config:
    return Config(
        name="imgtest",
        region="us-east-1",
        image={"repository": repository, "context": str(context), "build_args": {"VERSION": VERSION},
               **image},
    )


@dataclass
class Recorder:
    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)  # list.append is atomic: fine from worker threads

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


# ---------------------------------------------------------------------------------------------
# pure parts: no engine, no sandbox
# ---------------------------------------------------------------------------------------------


def test_stream_lines_are_joined_split_and_cleaned() -> None:
    chunks = [
        {"stream": "Step 1/3 : FROM scratch"},
        {"stream": "\n"},
        {"stream": " ---> \n"},
        {"stream": "Step 2/3 : RUN x\n ---> Running in abc\n"},
        {"stream": "\x1b[91mboom\r\n\x1b[0m"},
        {"stream": "part"},
        {"errorDetail": {"code": 3, "message": "returned a non-zero code: 3"}, "error": "returned a non-zero code: 3"},
    ]
    assert list(iter_lines(chunks)) == [
        ("text", "Step 1/3 : FROM scratch"),
        ("text", " --->"),
        ("text", "Step 2/3 : RUN x"),
        ("text", " ---> Running in abc"),
        ("text", "boom"),
        ("text", "part"),
        ("error", "returned a non-zero code: 3"),
    ]
    assert clean("\x1b[0m") == ""


def test_stream_image_id_from_aux_or_success_line() -> None:
    aux = [{"aux": {"ID": "sha256:" + "a" * 64}}, {"stream": "Successfully built aaaaaaaaaaaa\n"}]
    assert [v for k, v in iter_lines(aux) if k == "image_id"] == ["sha256:" + "a" * 64]
    old = [{"stream": "Successfully built 0123456789ab\n"}]
    assert ("image_id", "0123456789ab") in list(iter_lines(old))


def test_build_failed_message_names_step_instruction_output_and_fix() -> None:
    exc = images.BuildFailed(3, 4, "RUN make", "The command 'make' returned a non-zero code: 2",
                             ["cc -o app", "app.c:1: error"], Path("app/Dockerfile"))
    text = str(exc)
    assert text.startswith("the image build failed at step 3/4 (RUN make): The command 'make'")
    assert "  | app.c:1: error" in text
    assert text.endswith("Fix: correct step 3 of app/Dockerfile, then build again.")
    assert isinstance(exc, Failed) and exc.exit_code == 1


@pytest.mark.parametrize(
    ("engine_says", "expected"),
    [
        ("denied: Your authorization token is invalid. Reauthenticate and try again.", "refused the ECR authorization token"),
        ("no basic auth credentials", "refused the ECR authorization token"),
        ("denied: User: arn:aws:iam::1:user/x is not authorized to perform: ecr:InitiateLayerUpload", "lacks an ECR permission"),
        ("name unknown: The repository with name 'web' does not exist in the registry with id '1'", "ECR repository 'web' does not exist"),
        ("tag invalid: The image tag 'v1' already exists in the 'web' repository and cannot be overwritten because the repository is immutable.", "immutable repository 'web'"),
        ("Get \"https://127.0.0.9:1/v2/\": http: server gave HTTP response to HTTPS client", "insecure-registries"),
        ("Put \"http://127.0.0.1:9/v2/web/blobs/uploads/\": dial tcp 127.0.0.1:9: connect: connection refused", "cannot reach the registry"),
        ("something else entirely", "the push of 127.0.0.1:5000/web:v1 failed: something else entirely"),
    ],
)
def test_push_errors_become_one_message_with_a_fix(engine_says: str, expected: str) -> None:
    failed = classify_push_error(engine_says, "127.0.0.1:5000/web", "v1", "us-east-1")
    assert expected in str(failed), str(failed)
    assert failed.fix


def test_layer_progress_reports_finished_layers_as_complete() -> None:
    sizes: dict[str, int] = {}
    progress = images._layer_progress
    assert progress(sizes, "l1", "Preparing", {}) == PushProgress("l1", "Preparing", 0, 0)
    assert progress(sizes, "l1", "Pushing", {"current": 10, "total": 100}) == PushProgress("l1", "Pushing", 10, 100)
    assert progress(sizes, "l1", "Pushing", {"current": 104, "total": 100}).current == 100
    assert progress(sizes, "l1", "Pushed", {}) == PushProgress("l1", "Pushed", 100, 100)


def test_missing_context_dockerfile_and_bad_tag_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"image.context: the build context folder .*nowhere does not exist"):
        images.build(make_config(context="nowhere"), on_event=Recorder(), base_dir=tmp_path)
    with pytest.raises(BadInput, match=r"image.dockerfile: there is no Dockerfile at .*Dockerfile.web"):
        images.build(make_config(context=".", dockerfile="Dockerfile.web"), on_event=Recorder(), base_dir=tmp_path)
    with pytest.raises(BadInput, match=r"--tag 'no spaces'"):
        images.build(make_config(), on_event=Recorder(), base_dir=REPO_ROOT, tag="no spaces")


def test_no_engine_is_one_message_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    with pytest.raises(Failed) as caught:
        images.build(make_config(), on_event=Recorder(), base_dir=REPO_ROOT)
    failed = caught.value
    assert failed.message.startswith(f"no Docker engine is reachable at unix://{tmp_path}/no-such-docker.sock")
    assert "start Docker" in failed.fix and "DOCKER_HOST" in failed.fix
    assert "Traceback" not in str(failed)


def test_importing_images_does_not_import_docker() -> None:
    import subprocess
    import sys

    code = "import sys, bluegreen.images.build_push; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# sandbox (no engine needed)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session(sandbox_session: Any) -> Any:
    return sandbox_session


@pytest.fixture(scope="module")
def repository(sandbox: Any) -> str:
    name = f"imgtest/web-{RUN_ID}"
    sandbox.client("ecr").create_repository(repositoryName=name)
    return name


def test_missing_repository_names_it_and_suggests_apply(session: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No engine is touched: the repository is checked first, so this holds without Docker too.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    config = make_config(repository="imgtest/absent")
    calls = [
        lambda: images.push(session, config, "sha256:" + "0" * 64, on_event=Recorder()),
        lambda: images.build(config, on_event=Recorder(), base_dir=REPO_ROOT, session=session),
        lambda: images.build_and_push(session, config, on_event=Recorder(), base_dir=REPO_ROOT),
    ]
    for call in calls:
        with pytest.raises(Failed) as caught:
            call()
        assert caught.value.message == "the ECR repository 'imgtest/absent' does not exist in us-east-1"
        assert "bluegreen apply" in caught.value.fix


def test_no_engine_on_push(session: Any, repository: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    with pytest.raises(Failed, match="no Docker engine is reachable"):
        images.push(session, make_config(repository=repository), "sha256:" + "0" * 64, on_event=Recorder())


# ---------------------------------------------------------------------------------------------
# real Docker engine
# ---------------------------------------------------------------------------------------------


def _remove_images(client: Any, ids: list[str]) -> None:
    for image_id in ids:
        # already gone, or a cache parent that someone else's image still uses: leave it
        with contextlib.suppress(Exception):
            client.images.remove(image_id, force=True)


@pytest.fixture(scope="module")
def sample(docker_client: Any, session: Any, repository: str) -> Iterator[tuple[images.Built, Recorder]]:
    """The sample web site built once for the module (VERSION build arg, tagged for the repository)."""
    events = Recorder()
    built = None
    try:
        built = images.build(make_config(repository=repository), on_event=events, base_dir=REPO_ROOT,
                             session=session, labels=LABELS)
        yield built, events
    finally:
        leftovers = docker_client.images.list(filters={"label": f"bluegreen-test-run={RUN_ID}"})
        _remove_images(docker_client, [i.id for i in leftovers] + ([built.image_id] if built else []))


@pytest.mark.docker
def test_build_sample_streams_steps_and_tags_for_ecr(docker_client: Any, sample: Any, session: Any,
                                                     repository: str) -> None:
    built, events = sample
    steps = events.of(BuildStep)
    assert [s.step for s in steps] == list(range(1, len(steps) + 1)), steps
    assert len(steps) >= 5 and {s.total for s in steps} == {len(steps)}
    assert steps[0].text == "FROM scratch" and any(s.text.startswith("RUN ") for s in steps)
    assert events.of(BuildLog) and all(line.line == line.line.rstrip() and line.line for line in events.of(BuildLog))
    done = events.events[-1]
    uri = images.repository_uri(session, make_config(repository=repository))
    assert done == BuildDone(built.image_id, f"{uri}:latest")
    assert built.reference == f"{uri}:latest" and built.image_id.startswith("sha256:")

    image = docker_client.images.get(built.image_id)
    assert f"{uri}:latest" in image.tags
    assert image.labels["bluegreen-test-run"] == RUN_ID
    history = " ".join(h.get("CreatedBy", "") for h in docker_client.api.history(built.image_id))
    assert f"VERSION={VERSION}" in history  # the build arg reached the RUN step


@pytest.mark.docker
def test_failing_run_step_names_the_step_and_quotes_its_output(docker_client: Any, tmp_path: Path) -> None:
    import docker
    context = tmp_path / "app"
    context.mkdir()
    shutil.copy("/bin/busybox", context / "busybox")
    run = (f'RUN ["/bin/busybox", "sh", "-c", "echo compiling {RUN_ID}; '
           'echo missing-header.h not found >&2; exit 3"]')
    (context / "Dockerfile").write_text(f"FROM scratch\nCOPY busybox /bin/busybox\n{run}\nCMD [\"true\"]\n")
    events = Recorder()
    try:
        with pytest.raises(images.BuildFailed) as caught:
            images.build(make_config(context=context), on_event=events, labels=LABELS)
    finally:
        # images made by this build's finished steps (cache hits belong to someone else)
        lines = [e.line for e in events.of(BuildLog)]
        made = [m[1] for prev, line in zip(["", *lines], lines, strict=False)
                if (m := re.match(r"^ ---> ([0-9a-f]{12})$", line)) and "Using cache" not in prev]
        _remove_images(docker_client, made)
    # forcerm: the failed step's container is gone too
    ran = [m[1] for line in lines if (m := re.match(r"^ ---> Running in ([0-9a-f]{12})$", line))]
    assert ran
    for container in ran:
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(container)
    failed = caught.value
    assert (failed.step, failed.total) == (3, 4 + len(LABELS))  # the engine adds a LABEL step per label
    assert failed.instruction == run
    assert "returned a non-zero code: 3" in failed.error
    assert "missing-header.h not found" in failed.output and f"compiling {RUN_ID}" in failed.output
    text = str(failed)
    assert f"failed at step 3/{4 + len(LABELS)} (RUN " in text and "  | missing-header.h not found" in text
    assert f"Fix: correct step 3 of {context / 'Dockerfile'}" in text
    assert [s.step for s in events.of(BuildStep)] == [1, 2, 3]
    assert not events.of(BuildDone)


@pytest.mark.docker
def test_unparsable_dockerfile_names_the_file(docker_client: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPPY index.html /\n")
    with pytest.raises(Failed) as caught:
        images.build(make_config(context=tmp_path), on_event=Recorder())
    assert "dockerfile parse error line 2: unknown instruction: COPPY" in caught.value.message
    assert caught.value.fix == f"correct {tmp_path / 'Dockerfile'}"


@pytest.mark.docker
def test_push_lands_in_ecr_and_a_second_push_is_skipped(docker_client: Any, sample: Any, session: Any,
                                                         sandbox: Any, repository: str) -> None:
    built, _ = sample
    config = make_config(repository=repository)
    docker_config = Path.home() / ".docker" / "config.json"
    before = docker_config.read_bytes() if docker_config.exists() else None

    first = Recorder()
    done = images.push(session, config, built.image_id, tag="v1", on_event=first)
    progress = first.of(PushProgress)
    assert progress, "no per-layer progress"
    assert any(p.status == "Pushing" and p.current > 0 and p.total > 0 for p in progress)
    assert isinstance(done, PushDone) and first.events[-1] == done and not done.skipped
    detail = sandbox.client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
    assert done.digest == detail["imageDigest"] and done.digest.startswith("sha256:")
    assert "v1" in detail["imageTags"]
    assert done.size == detail["imageSizeInBytes"] > 0
    assert done.repository_uri == built.repository and done.tag == "v1"

    def pushes() -> list[dict[str, Any]]:
        return [e["detail"] for e in sandbox.events.emitted if e["detail-type"] == "ECR Image Action"
                and e["detail"].get("repository-name") == repository and e["detail"].get("image-tag") == "v1"]

    assert [(p["action-type"], p["image-digest"]) for p in pushes()] == [("PUSH", done.digest)]

    second = Recorder()
    again = images.push(session, config, built.image_id, tag="v1", on_event=second)
    assert again.skipped and again.digest == done.digest and again.size == done.size
    assert not second.of(PushProgress) and second.events == [again]
    assert len(pushes()) == 1  # nothing reached the registry: no second push event

    # the token went nowhere: not in events, not in the Docker CLI's config file
    token = session.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().partition(":")[2]
    assert all(password not in repr(e.to_dict()) for e in first.events + second.events)
    after = docker_config.read_bytes() if docker_config.exists() else None
    assert after == before


@pytest.mark.docker
def test_refused_token_is_a_clear_failure(docker_client: Any, sample: Any, session: Any, repository: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    built, _ = sample
    ecr = session.client("ecr")
    real = ecr.get_authorization_token

    def garbage_token(**kwargs: Any) -> dict[str, Any]:
        answer = real(**kwargs)
        answer["authorizationData"][0]["authorizationToken"] = base64.b64encode(b"AWS:not-the-token").decode()
        return answer

    monkeypatch.setattr(ecr, "get_authorization_token", garbage_token)
    with pytest.raises(Failed) as caught:
        images.push(session, make_config(repository=repository), built.image_id, tag="refused", on_event=Recorder())
    failed = caught.value
    assert "refused the ECR authorization token" in failed.message
    assert "fresh token" in failed.fix
    assert "not-the-token" not in str(failed)


@pytest.mark.docker
async def test_build_and_push_from_async_code_in_threads(docker_client: Any, sample: Any, session: Any,
                                                        repository: str) -> None:
    built, _ = sample
    config = make_config(repository=repository)
    events = Recorder()
    # the build is all cache hits (same context, args and labels): same image, then a fresh tag
    done = await asyncio.to_thread(images.build_and_push, session, config, on_event=events,
                                   base_dir=REPO_ROOT, tag="async-1", labels=LABELS)
    assert events.of(BuildDone)[0].image_id == built.image_id
    assert not done.skipped and done.tag == "async-1"
    # two pushes at once (thread safety): both land, with the same digest
    both = await asyncio.gather(
        asyncio.to_thread(images.push, session, config, built.image_id, tag="async-2", on_event=events),
        asyncio.to_thread(images.push, session, config, built.image_id, tag="async-3", on_event=events),
    )
    assert {d.digest for d in both} == {done.digest}


def test_a_sandbox_registry_off_this_machine_is_refused_before_any_push() -> None:
    """Safety net: against the sandbox, a repository URI that is not on loopback (an AWS
    host) must never reach Docker, which would look it up and push off this machine. The
    sandbox no longer answers such a URI, so botocore's Stubber plays the wrong answer."""
    from botocore.stub import Stubber

    from bluegreen.aws.session import AwsSession, Target
    from bluegreen.errors import Failed
    from bluegreen.images.build_push import repository_uri
    from bluegreen.model.configfile import load_text

    session = AwsSession(Target(endpoint_url="http://127.0.0.1:9", region="us-east-2"))
    ecr = session.client("ecr")
    with Stubber(ecr) as stub:
        stub.add_response("describe_repositories", {"repositories": [{
            "repositoryName": "nginx", "repositoryArn": "arn:aws:ecr:us-east-2:123456789012:repository/nginx",
            "repositoryUri": "123456789012.dkr.ecr.us-east-2.amazonaws.com/nginx"}]})
        with pytest.raises(Failed, match="off this machine"):
            repository_uri(session, load_text("name: shop\nimage: {repository: nginx}\n"))
