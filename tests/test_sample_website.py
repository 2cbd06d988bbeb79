"""The offline sample web site builds FROM scratch and serves its version and /health."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bluegreen.images.sample import prepare_sample_context

pytestmark = pytest.mark.docker

TEST_LABEL = {"bluegreen-test": "1"}
VERSION = "7"

# Never consult http(s)_proxy: every request in this test goes to 127.0.0.1 only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    assert url.startswith("http://127.0.0.1:"), url
    with _OPENER.open(url, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8", "replace")


def _get_when_up(url: str, deadline_s: float = 10.0) -> tuple[int, str]:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def sample_image(docker_client: Any, tmp_path: Any) -> Iterator[Any]:
    context = prepare_sample_context(tmp_path / "context")
    tag = f"bluegreen-test/sample-website:{uuid.uuid4().hex[:12]}"
    image = None
    try:
        image, _logs = docker_client.images.build(
            path=str(context),
            tag=tag,
            buildargs={"VERSION": VERSION},
            labels=TEST_LABEL,
            network_mode="none",  # proves the build is offline
            rm=True,
            forcerm=True,
        )
        yield image
    finally:
        if image is not None:
            docker_client.images.remove(image.id, force=True)


def test_sample_website_serves_version_and_health(docker_client: Any, sample_image: Any) -> None:
    assert sample_image.labels.get("bluegreen-test") == "1"
    container = docker_client.containers.run(
        sample_image.id,
        detach=True,
        ports={"80/tcp": ("127.0.0.1", None)},  # random host port, loopback only
        labels=TEST_LABEL,
    )
    try:
        host_port = None
        deadline = time.monotonic() + 5
        while host_port is None and time.monotonic() < deadline:
            container.reload()
            bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("80/tcp")
            if bindings:
                host_port = int(bindings[0]["HostPort"])
            else:
                time.sleep(0.05)
        assert host_port, f"port 80 not published: {container.attrs['NetworkSettings']}"
        base = f"http://127.0.0.1:{host_port}"

        status, body = _get_when_up(f"{base}/")
        assert status == 200
        assert "sample-website" in body
        assert f'<strong id="version">{VERSION}</strong>' in body

        status, body = _get(f"{base}/health")
        assert status == 200
        assert body.strip() == "ok"
    finally:
        container.remove(force=True)
