"""Fixtures for the sandbox tests: one sandbox per test module, a Docker engine, tiny images."""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluegreen.sandbox.server import SandboxHandle, start_sandbox


def _sandbox_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("bluegreen-sandbox") or "_server_entry" in t.name
    ]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    """A running sandbox of the module's own (these tests change and count its state);
    stopped, with its ports and threads freed, even when a test fails."""
    before = set(_sandbox_threads())  # other sandboxes of the session may be running
    handle = start_sandbox(tasks="simulated")  # tests of tasks as containers start their own
    try:
        yield handle
    finally:
        handle.stop()
    leftover = [t for t in _sandbox_threads() if t not in before]
    assert not leftover, f"sandbox threads still running after stop: {leftover}"


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
def built_images(docker_client: Any) -> Iterator[list[str]]:
    """Image ids a test built or pulled; removed afterwards, even on failure."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        with contextlib.suppress(Exception):
            docker_client.images.remove(image_id, force=True)
