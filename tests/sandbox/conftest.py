"""Fixtures for the sandbox tests: one sandbox per test module, a Docker engine, tiny images."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluegreen.sandbox.server import SandboxHandle, start_sandbox


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _sandbox_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("bluegreen-sandbox") or "_server_entry" in t.name
    ]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    """A running sandbox shared by the tests of one module; stopped (ports and threads freed)
    even when a test fails."""
    handle = start_sandbox()
    try:
        yield handle
    finally:
        handle.stop()
    leftover = _sandbox_threads()
    assert not leftover, f"sandbox threads still running after stop: {leftover}"


@pytest.fixture
def sandbox_docker(request: pytest.FixtureRequest) -> Any:
    """The shared ``docker_client`` fixture when tests/conftest.py has it; otherwise the same
    semantics here: skip without an engine, fail under CI=true."""
    try:
        return request.getfixturevalue("docker_client")
    except pytest.FixtureLookupError:
        pass
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:
        message = f"no Docker engine reachable ({type(exc).__name__}: {exc})"
        if _running_in_ci():
            pytest.fail(f"{message}; CI=true requires one")
        pytest.skip(message)
    request.addfinalizer(client.close)
    return client


@pytest.fixture
def tiny_image_context(tmp_path: Path) -> Path:
    """A FROM-scratch build context with busybox (no registry pull needed)."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not Path(busybox).is_file():
        pytest.skip("busybox is not installed")
    ctx = tmp_path / "image"
    ctx.mkdir()
    shutil.copy(busybox, ctx / "busybox")
    (ctx / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        f'LABEL bluegreen.test="sandbox" bluegreen.nonce="{uuid.uuid4().hex}"\n'
        'CMD ["/bin/busybox", "true"]\n'
    )
    return ctx


@pytest.fixture
def built_images(sandbox_docker: Any) -> Iterator[list[str]]:
    """Image ids a test built or pulled; removed afterwards, even on failure."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        with contextlib.suppress(Exception):
            sandbox_docker.images.remove(image_id, force=True)
