"""Build the app image, tag it, log in to ECR and push it, reporting progress as events.

Everything here is blocking and keeps no shared mutable state: each call opens its own Docker
engine connection and uses the (thread-safe) boto3 clients of the given `AwsSession`, so async
callers run these functions with ``asyncio.to_thread``. ``on_event`` is called on the thread that
runs the function; a front end that must not be touched from a thread hands events over itself
(``loop.call_soon_threadsafe``, Textual ``post_message``).

The ECR authorization token lives only in local variables and in the ``X-Registry-Auth`` header
docker-py sends to the engine: it is never logged, put in an event or an error, or written to
``~/.docker/config.json`` (no ``docker login``).

docker-py is imported lazily, inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluegreen.errors import BadInput, Failed, aws_error_code
from bluegreen.events import BuildDone, BuildLog, BuildStep, Listener, PushDone, PushProgress
from bluegreen.images.stream import classify_push_error, iter_lines
from bluegreen.model import rules

if TYPE_CHECKING:
    from bluegreen.aws.session import AwsSession
    from bluegreen.model.config import Config

__all__ = ["BuildFailed", "Built", "build", "build_and_push", "push", "repository_uri"]

CONNECT_TIMEOUT_S = 15  # first contact with the engine (version check)
STREAM_TIMEOUT_S = 3600  # a silent build step or a slow layer upload may take long
OUTPUT_LINES = 15  # lines of a failing step's output quoted in the error

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_NOISE = re.compile(r"^( ---> |Removing intermediate container |Successfully (built|tagged) )")


@dataclass(frozen=True)
class Built:
    """A built image: its id and the reference it was tagged with."""

    image_id: str  # "sha256:..."
    repository: str  # the ECR repository URI, or the bare repository name when built offline
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


class BuildFailed(Failed):
    """A Dockerfile step failed. The message quotes the step and the last lines of its output."""

    def __init__(self, step: int, total: int, instruction: str, error: str, output: Iterable[str],
                 dockerfile: Path) -> None:
        self.step, self.total, self.instruction, self.error = step, total, instruction, error
        self.output = tuple(output)
        where = f"step {step}/{total} ({instruction})" if step else "the start"
        message = f"the image build failed at {where}: {error}"
        if self.output:
            message += f"\noutput of step {step}:\n" + "\n".join(f"  | {line}" for line in self.output)
        if instruction.upper().startswith("FROM "):
            fix = (f"check the base image of step {step} in {dockerfile}: its name, and that the "
                   "engine can pull it (try 'docker pull' on it)")
        else:
            fix = f"correct step {step} of {dockerfile}" if step else f"correct {dockerfile}"
        super().__init__(message, f"{fix}, then build again")

    def __str__(self) -> str:
        # The fix after the quoted output, on a line of its own.
        return f"{self.message}\nFix: {self.fix}." if self.output else super().__str__()


# -- engine and ECR -------------------------------------------------------------------------


def _docker() -> Any:
    """docker-py, imported on first use (it costs ~0.3 s and is not needed to render or plan)."""
    import docker  # type: ignore[import-untyped,unused-ignore]
    import docker.errors  # type: ignore[import-untyped,unused-ignore]

    return docker


@contextmanager
def _engine() -> Iterator[Any]:
    """A fresh docker-py low-level client (one per call: thread-safe), closed afterwards."""
    docker = _docker()
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        api = docker.APIClient(timeout=CONNECT_TIMEOUT_S, **docker.utils.kwargs_from_env())
        api.ping()
    except (docker.errors.DockerException, OSError) as exc:  # requests' errors are OSErrors
        raise Failed(
            f"no Docker engine is reachable at {host} ({_reason(exc)})",
            "start Docker (Docker Desktop, or 'sudo systemctl start docker'), or set DOCKER_HOST "
            "to a running engine",
        ) from None
    api.timeout = STREAM_TIMEOUT_S
    try:
        yield api
    except OSError as exc:
        if not type(exc).__module__.startswith(("requests", "urllib3")):
            raise
        raise Failed(f"the connection to the Docker engine at {host} broke ({_reason(exc)})",
                     "check that Docker is still running, then try again") from None
    finally:
        api.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _missing_repository(name: str, region: str) -> Failed:
    return Failed(
        f"the ECR repository {name!r} does not exist in {region}",
        "run 'bluegreen apply -f <config>' first (it creates the repository), or set "
        "image.repository to an existing one",
    )


def repository_uri(session: AwsSession, config: Config) -> str:
    """The repository's URI from ECR (``describe_repositories``); `Failed` if it is missing."""
    name = config.image.repository
    try:
        answer = session.client("ecr").describe_repositories(repositoryNames=[name])
    except Exception as exc:  # botocore's ClientError, told apart by its code
        if aws_error_code(exc) == "RepositoryNotFoundException":
            raise _missing_repository(name, session.region) from None
        raise
    uri = str(answer["repositories"][0]["repositoryUri"])
    if session.target.is_sandbox and not _on_loopback(uri):
        # The sandbox must hand out its own registry; anything else would send the image
        # (and a DNS lookup) off this machine.
        raise Failed(f"the sandbox answered with a registry off this machine ({uri.split('/')[0]})",
                     "restart the sandbox ('bluegreen sandbox'); its registry lives on 127.0.0.1")
    return uri


def _on_loopback(uri: str) -> bool:
    host = uri.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _check_tag(tag: str | None, config: Config) -> str:
    if tag is None:
        return config.image.tag
    try:
        return rules.IMAGE_TAG.check(tag)
    except rules.RuleError as exc:
        raise BadInput(f"--tag {tag!r}: {exc.rule}", exc.fix) from None


# -- build --------------------------------------------------------------------------------


def _locate(config: Config, base_dir: Path) -> tuple[Path, Path]:
    """(context folder, Dockerfile) from the config, or `BadInput` naming the field."""
    context = base_dir / config.image.context
    if not context.is_dir():
        raise BadInput(
            f"image.context: the build context folder {context} does not exist",
            f"set image.context to the folder that holds your app (relative to {base_dir.resolve()})",
        )
    dockerfile = context / config.image.dockerfile
    if not dockerfile.is_file():
        raise BadInput(
            f"image.dockerfile: there is no Dockerfile at {dockerfile}",
            "set image.dockerfile to its path inside image.context, or add a Dockerfile there",
        )
    return context, dockerfile


CONTEXT_PREFIX = "bluegreen-sample-"


def _sweep_contexts() -> None:
    """Remove sample build contexts of processes that are gone (a killed build cannot remove
    its own); each is named after its process's pid."""
    import shutil

    for folder in Path(tempfile.gettempdir()).glob(f"{CONTEXT_PREFIX}*-*"):
        pid = folder.name[len(CONTEXT_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _build_context(context: Path) -> Iterator[Path]:
    """The folder to send to the engine: the sample web site gets its static busybox first."""
    from bluegreen.images.sample import SAMPLE_DIR, prepare_sample_context

    if context.resolve() != SAMPLE_DIR.resolve():
        yield context
        return
    _sweep_contexts()
    with tempfile.TemporaryDirectory(prefix=f"{CONTEXT_PREFIX}{os.getpid()}-") as tmp:
        try:
            prepared = prepare_sample_context(Path(tmp) / "context")
        except (RuntimeError, OSError) as exc:
            raise Failed(f"cannot prepare the sample web site: {exc}") from None
        yield prepared


def build_platform(config: Config) -> str:
    """The docker platform of the task definition's cpuArchitecture ("linux/amd64", "linux/arm64")."""
    from bluegreen.model.config import DOCKER_PLATFORMS

    return DOCKER_PLATFORMS[config.task.cpu_architecture]


def build(
    config: Config,
    *,
    on_event: Listener,
    tag: str | None = None,
    base_dir: Path = Path("."),
    session: AwsSession | None = None,
    labels: Mapping[str, str] | None = None,
) -> Built:
    """Build the image of ``config.image`` and tag it ``<repository>:<tag>``.

    With a ``session`` the repository is the ECR repository URI (so the image is ready to push);
    without one, the bare repository name. Emits `BuildStep` for each "Step N/M" line, `BuildLog`
    for every output line and `BuildDone` at the end. Raises `BadInput` (no Dockerfile, bad tag),
    `BuildFailed` (a step failed) or `Failed` (no engine, missing ECR repository).
    """
    tag = _check_tag(tag, config)
    context, dockerfile = _locate(config, base_dir)
    repository = repository_uri(session, config) if session is not None else config.image.repository
    return _build(config, repository, tag, context, dockerfile, on_event, labels)


def _build(config: Config, repository: str, tag: str, context: Path, dockerfile: Path,
           on_event: Listener, labels: Mapping[str, str] | None) -> Built:
    errors = _docker().errors
    reference = f"{repository}:{tag}"
    step, total, instruction = 0, 0, ""
    output: deque[str] = deque(maxlen=OUTPUT_LINES)
    image_id = ""
    with _engine() as api, _build_context(context) as sent:
        try:
            chunks = api.build(
                path=str(sent),
                dockerfile=os.path.relpath(dockerfile, context),
                tag=reference,
                buildargs=dict(config.image.build_args),
                labels=dict(labels or {}),
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                # the task definition's runtimePlatform, not the host's architecture
                platform=build_platform(config),
            )
            for kind, text in iter_lines(chunks):
                if kind == "error":
                    raise BuildFailed(step, total, instruction, text, output, dockerfile)
                if kind == "image_id":
                    image_id = text
                    continue
                match = _STEP.match(text)
                if match:
                    step, total, instruction = int(match[1]), int(match[2]), match[3]
                    output.clear()
                    on_event(BuildStep(step, total, instruction))
                elif not _NOISE.match(text):
                    output.append(text)
                on_event(BuildLog(text))
        except errors.APIError as exc:  # a Dockerfile it cannot parse, an unreadable context...
            reason = str(exc.explanation or exc)
            fix = f"check the build context {context}"
            if "dockerfile" in reason.lower():
                fix = f"correct {dockerfile}"
            raise Failed(f"the Docker engine refused the build: {reason}", fix) from None
    if not image_id:
        raise Failed("the image build ended without an image id",
                     "run the build again; if it persists, check the engine's log")
    on_event(BuildDone(image_id, reference))
    return Built(image_id, repository, tag)


# -- push ---------------------------------------------------------------------------------


def _auth(session: AwsSession) -> dict[str, str]:
    """docker-py ``auth_config`` from ``ecr.get_authorization_token``; kept in memory only."""
    data = session.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return {"username": user, "password": password, "serveraddress": data["proxyEndpoint"]}


def _ecr_image(session: AwsSession, config: Config, tag: str) -> dict[str, Any] | None:
    name = config.image.repository
    try:
        answer = session.client("ecr").describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])
    except Exception as exc:  # botocore's ClientError, told apart by its code
        code = aws_error_code(exc)
        if code == "ImageNotFoundException":
            return None
        if code == "RepositoryNotFoundException":
            raise _missing_repository(name, session.region) from None
        raise
    details: list[dict[str, Any]] = answer.get("imageDetails", [])
    return details[0] if details else None


def _layer_progress(sizes: dict[str, int], layer: str, status: str, detail: dict[str, Any]) -> PushProgress:
    """One push status line of a layer; a finished layer reports its full size as done."""
    total = int(detail.get("total") or sizes.get(layer, 0))
    sizes[layer] = total
    current = int(detail.get("current") or 0)
    if status in ("Pushed", "Layer already exists") or status.startswith("Mounted from"):
        current = total
    return PushProgress(layer, status, min(current, total) if total else current, total)


def push(
    session: AwsSession,
    config: Config,
    image_id: str,
    *,
    tag: str | None = None,
    on_event: Listener,
) -> PushDone:
    """Tag the local image ``<repositoryUri>:<tag>`` and push it to ECR; return digest and size.

    Skipped (``PushDone.skipped``) when ECR's image for that tag has the digest this image
    already got from an earlier push to the repository. Emits `PushProgress` per layer and a
    `PushDone`. Raises `Failed` when the repository is missing, the registry refuses the token,
    or the push fails otherwise.
    """
    errors = _docker().errors
    tag = _check_tag(tag, config)
    uri = repository_uri(session, config)
    with _engine() as api:
        try:
            local = api.inspect_image(image_id)
        except errors.ImageNotFound:
            raise Failed(f"image {image_id} is not in the local Docker engine",
                         "build it first ('bluegreen push' builds and pushes)") from None
        try:
            api.tag(local["Id"], uri, tag, force=True)
        except errors.APIError as exc:
            raise Failed(f"cannot tag {image_id} as {uri}:{tag}: {exc.explanation or exc}") from None
        known = {d.split("@", 1)[1] for d in local.get("RepoDigests") or [] if d.startswith(f"{uri}@")}
        remote = _ecr_image(session, config, tag)
        if remote is not None and remote["imageDigest"] in known:
            done = PushDone(uri, tag, remote["imageDigest"], int(remote.get("imageSizeInBytes", 0)), True)
            on_event(done)
            return done

        auth = _auth(session)
        sizes: dict[str, int] = {}
        pushed = ""
        try:
            for line in api.push(uri, tag=tag, stream=True, decode=True, auth_config=auth):
                if line.get("error") or line.get("errorDetail"):
                    message = line.get("error") or line["errorDetail"].get("message", "")
                    raise classify_push_error(str(message), uri, tag, session.region)
                aux = line.get("aux") or {}
                if aux.get("Digest"):
                    pushed = str(aux["Digest"])
                layer = line.get("id")
                status = str(line.get("status") or "")
                if layer and status:
                    on_event(_layer_progress(sizes, str(layer), status, line.get("progressDetail") or {}))
        except errors.APIError as exc:
            raise classify_push_error(str(exc.explanation or exc), uri, tag, session.region) from None
    remote = _ecr_image(session, config, tag)
    if remote is None:
        raise Failed(f"the push of {uri}:{tag} ended but ECR shows no image with tag {tag!r}",
                     "push again; if it persists, check the registry")
    if pushed and remote["imageDigest"] != pushed:
        raise Failed(f"ECR's tag {tag!r} points to {remote['imageDigest']}, not to the pushed "
                     f"{pushed}: another push of the same tag happened meanwhile",
                     "push again, or use a unique --tag per build")
    done = PushDone(uri, tag, remote["imageDigest"], int(remote.get("imageSizeInBytes", 0)), False)
    on_event(done)
    return done


def build_and_push(
    session: AwsSession,
    config: Config,
    *,
    on_event: Listener,
    tag: str | None = None,
    base_dir: Path = Path("."),
    labels: Mapping[str, str] | None = None,
) -> PushDone:
    """`build` then `push`: what ``bluegreen push -f F [--tag T]`` does. Checks the repository
    and the Dockerfile before spending time on the build."""
    tag = _check_tag(tag, config)
    context, dockerfile = _locate(config, base_dir)
    uri = repository_uri(session, config)
    built = _build(config, uri, tag, context, dockerfile, on_event, labels)
    return push(session, config, built.image_id, tag=tag, on_event=on_event)

