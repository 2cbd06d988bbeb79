"""What the pipeline needs before it is created (it starts a run at once): the image in
ECR and the two source files, taskdef.json and appspec.yaml, in the source repo or zip."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from bluegreen.engine.nodes.base import (
    Node,
    State,
    create,
    in_sync,
    missing_as_none,
    update,
)
from bluegreen.errors import aws_error_code
from bluegreen.events import Event, ImageEvent
from renderers import requests

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config



class ImageNode(Node):
    """The image with the pipeline's tag exists in ECR: found there, or built and pushed.

    A plain node: an image is content in the stack's repository, not a resource with an
    owner tag; "create" is a build and push, and it goes with its repository."""

    id = "ecr.image"
    deps = ("ecr.repository",)

    def title(self, config: Config) -> str:
        return f"Image {config.image.repository}:{config.image.tag}"

    def inspect(self, ctx: Context) -> State:
        image = ctx.config.image
        ecr = ctx.client("ecr")
        details = missing_as_none(lambda: ecr.describe_images(
            repositoryName=image.repository, imageIds=[{"imageTag": image.tag}])["imageDetails"])
        if details is None:  # no such repository or image yet
            return create("not in ECR yet: it will be built and pushed")
        digest = details[0]["imageDigest"]
        ctx.put(**{"image.uri": f"{ctx.need('ecr.uri')}@{digest}"})
        return in_sync(digest)

    def create(self, ctx: Context) -> str:
        from bluegreen.images.build_push import build_and_push

        def emit(event: Event) -> None:  # build and push progress, marked as this node's
            ctx.emit(dataclasses.replace(event, node=self.id) if isinstance(event, ImageEvent) else event)

        done = build_and_push(ctx.session, ctx.config, on_event=emit, base_dir=ctx.base_dir)
        ctx.put(**{"image.uri": f"{ctx.need('ecr.uri')}@{done.digest}"})
        return done.digest

    def delete(self, ctx: Context) -> bool:
        return False  # images go with their repository


def source_files(ctx: Context) -> dict[str, bytes]:
    """The source's files as bytes (what CodeCommit's GetFile and the zip compare with)."""
    return {path: text.encode() for path, text in requests.source_files(ctx.config, ctx.refs()).items()}


def same_template(path: str, have: bytes | None, want: bytes) -> bool:
    """Whether a source file says what the config's would: the same bytes, or the same meaning
    (a hand-made taskdef.json or appspec.yaml is laid out and ordered its own way, and leaves
    AWS's defaults unsaid). docs/import.md."""
    if have is None:
        return False
    if have == want:
        return True
    try:
        if path.endswith(".json"):
            return _taskdef_meaning(json.loads(have)) == _taskdef_meaning(json.loads(want))
        return _appspec_meaning(_yaml(have)) == _appspec_meaning(_yaml(want))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return False  # unreadable: different


def _yaml(text: bytes) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe").load(text.decode())
    except YAMLError as exc:
        raise ValueError(str(exc)) from None


def _taskdef_meaning(taskdef: dict[str, Any]) -> dict[str, Any]:
    from bluegreen.engine.nodes.ecs import comparable_taskdef

    out = comparable_taskdef(taskdef)
    out["cpu"], out["memory"] = str(out["cpu"]), str(out["memory"])  # "256" or 256 in a file
    # AWS's default platform when a task definition names none
    out["runtimePlatform"] = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX",
                              **(taskdef.get("runtimePlatform") or {})}
    out["images"] = [c.get("image") for c in taskdef.get("containerDefinitions") or []]
    return out


def _appspec_meaning(appspec: dict[str, Any]) -> dict[str, Any]:
    resources = []
    for resource in appspec.get("Resources") or []:
        for name, body in resource.items():
            props = dict(body.get("Properties") or {})
            lb = props.pop("LoadBalancerInfo", None) or {}
            props.setdefault("PlatformVersion", "LATEST")  # the AppSpec's documented default
            resources.append({"name": name, "type": body.get("Type"), **props,
                              "container": (str(lb.get("ContainerName")), int(lb.get("ContainerPort") or 0))})
    hooks = {str(k): str(v) for entry in appspec.get("Hooks") or [] for k, v in entry.items()}
    # the lifecycle events run in their own order, whatever the file's
    return {"version": str(appspec.get("version")), "resources": resources, "hooks": hooks}


def source_zip(files: dict[str, bytes]) -> bytes:
    """A reproducible zip (fixed timestamps) so unchanged files give an unchanged object."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


class CodeCommitSourceNode(Node):
    """The two files committed on the source branch. A plain node: files in the stack's
    repository have no owner tag, an update is a new commit, and they go with the repository."""

    id = "source.files"
    deps = ("codecommit.repository", "iam.role.execution")

    def title(self, config: Config) -> str:
        return f"taskdef.json + appspec.yaml on {config.source.repository}@{config.source.branch}"

    def inspect(self, ctx: Context) -> State:
        src = ctx.config.source
        client = ctx.client("codecommit")
        head = missing_as_none(
            lambda: client.get_branch(repositoryName=src.repository, branchName=src.branch)["branch"]["commitId"])
        if head is None:
            return create("the branch has no commit yet")
        changed = []
        for path, content in source_files(ctx).items():
            current = missing_as_none(lambda path=path: client.get_file(  # type: ignore[misc]
                repositoryName=src.repository, commitSpecifier=head, filePath=path)["fileContent"])
            if not same_template(path, current, content):
                changed.append(path)
        if changed:
            return update(f"{', '.join(changed)} differ from the config (committing starts the pipeline)",
                          head)
        return in_sync(head[:12])

    def create(self, ctx: Context) -> str:
        return self._commit(ctx, parent=None)

    def update(self, ctx: Context, state: State) -> str:
        return self._commit(ctx, parent=state.detail)

    def _commit(self, ctx: Context, parent: str | None) -> str:
        request = requests.create_commit(ctx.config, ctx.refs(), parent)
        try:
            commit = str(ctx.client("codecommit").create_commit(**request)["commitId"])
        except Exception as exc:
            if aws_error_code(exc) == "NoChangeException":
                return str(parent)
            raise
        return commit

    def delete(self, ctx: Context) -> bool:
        return False  # files go with their repository


class S3SourceNode(Node):
    """The two files zipped in the source bucket. A plain node: the object has no owner
    tag, an update is a new upload, and it goes with its bucket."""

    id = "source.files"
    deps = ("s3.bucket.source", "iam.role.execution")

    def title(self, config: Config) -> str:
        return f"s3://{config.source.bucket}/{config.source.key} (taskdef.json + appspec.yaml)"

    def inspect(self, ctx: Context) -> State:
        src = ctx.config.source
        wanted = hashlib.sha256(source_zip(source_files(ctx))).hexdigest()
        head = missing_as_none(lambda: ctx.client("s3").head_object(Bucket=src.bucket, Key=src.key))
        if head is None:
            return create()
        if head.get("Metadata", {}).get("bluegreen-sha256") != wanted and not self._same_files(ctx):
            return update("the zip differs from the config (uploading starts the pipeline)")
        return in_sync(str(head.get("VersionId", "")))

    def _same_files(self, ctx: Context) -> bool:
        """A zip bluegreen did not upload (no checksum of ours): the same files by meaning."""
        src = ctx.config.source
        body = ctx.client("s3").get_object(Bucket=src.bucket, Key=src.key)["Body"].read()
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                have = {name: archive.read(name) for name in archive.namelist()}
        except zipfile.BadZipFile:
            return False
        return all(same_template(path, have.get(path), want) for path, want in source_files(ctx).items())

    def create(self, ctx: Context) -> str:
        src = ctx.config.source
        body = source_zip(source_files(ctx))
        answer = ctx.client("s3").put_object(**requests.put_source_object(ctx.config), Body=body,
                                             Metadata={"bluegreen-sha256": hashlib.sha256(body).hexdigest()})
        return str(answer.get("VersionId", src.key))

    def update(self, ctx: Context, state: State) -> str:
        return self.create(ctx)

    def delete(self, ctx: Context) -> bool:
        return False  # the object goes with its bucket
