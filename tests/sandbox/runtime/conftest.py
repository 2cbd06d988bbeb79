"""Fixtures for the task runtime: one tiny web image per module in the sandbox's ECR, a runtime
per test, and helpers that wait (bounded) for a task to reach a state.

Every container and image made here carries the run's label and is removed in teardown, even
when a test fails.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from runtime_support import PORT, RUN_ID, TEST_LABELS, registry_auth

from bluegreen.sandbox.runtime import DockerRuntime

REPOSITORY = "runtime-web"
TAG = "v1"


@dataclass(frozen=True)
class WebImage:
    sandbox_uri: str  # repositoryUri:tag as the sandbox answers it: <registry_host>/<name>:<tag>
    ecr_uri: str  # the same image as a task definition written for AWS names it
    nonce: str  # in the served page: proves the answer comes from this image
    digest: str  # ECR's imageDigest
    local_tag: str  # the tag the test keeps locally, for containers made without the runtime


@pytest.fixture(scope="module")
def web_image(docker_client: Any, sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebImage]:
    """busybox httpd FROM scratch, pushed to the sandbox's ECR, then untagged locally: the
    runtime's pull really goes to the registry."""
    from bluegreen.images.sample import find_static_busybox

    try:
        busybox = find_static_busybox()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    context = tmp_path_factory.mktemp("runtime-image")
    shutil.copy(busybox, context / "busybox")
    nonce = uuid.uuid4().hex
    (context / "index.html").write_text(f"runtime test page {nonce}\n")
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        "COPY index.html /www/index.html\n"
        f'CMD ["/bin/busybox", "httpd", "-f", "-v", "-p", "{PORT}", "-h", "/www"]\n'
    )
    ecr = sandbox.client("ecr")
    uri = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
    local_tag = f"bluegreen-test/runtime-web:{RUN_ID}"
    image = None
    try:
        image, _ = docker_client.images.build(
            path=str(context), tag=local_tag, labels=TEST_LABELS, network_mode="none", rm=True, forcerm=True
        )
        docker_client.api.tag(image.id, uri, TAG)
        for line in docker_client.api.push(
            uri, tag=TAG, stream=True, decode=True, auth_config=registry_auth(sandbox)()
        ):
            assert "error" not in line, line
        docker_client.images.remove(f"{uri}:{TAG}")  # untag only: the local tag keeps the image
        digest = ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": TAG}])["imageDetails"][0][
            "imageDigest"
        ]
        ecr_uri = f"{sandbox.account_id}.dkr.ecr.{sandbox.region}.amazonaws.com/{REPOSITORY}"
        yield WebImage(f"{uri}:{TAG}", f"{ecr_uri}:{TAG}", nonce, digest, local_tag)
    finally:
        # whatever a failed test left: containers of this image (the runtime's too), labelled ones
        leftovers = docker_client.containers.list(all=True, filters={"label": f"bluegreen-test-run={RUN_ID}"})
        if image is not None:
            leftovers += docker_client.containers.list(all=True, filters={"ancestor": image.id})
        for container in leftovers:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        if image is not None:
            with contextlib.suppress(Exception):
                docker_client.images.remove(image.id, force=True)  # every tag of it, the pulled ones too


@pytest.fixture
def runtime(docker_client: Any, sandbox: Any, web_image: WebImage) -> Iterator[DockerRuntime]:
    """A Docker runtime on the module's sandbox; closed, and anything it labelled removed."""
    import docker

    rt = DockerRuntime(
        docker.from_env, sandbox.registry_host, registry_auth(sandbox), time_scale=4, poll_interval_s=0.1
    )
    try:
        yield rt
    finally:
        try:
            rt.close()
        finally:
            for container in docker_client.containers.list(
                all=True, filters={"label": f"bluegreen.sandbox={rt.instance_id}"}
            ):
                container.remove(force=True)
