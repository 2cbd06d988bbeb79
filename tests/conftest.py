"""Shared pytest fixtures. Keep each group in its own clearly marked section."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# ---------------------------------------------------------------------------------------------
# The sandbox endpoint
# ---------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Every `--sandbox` command and wizard under test looks for its sandbox on a port of this
    test process (each xdist worker its own), never on the default 4599: a sandbox the
    developer keeps running there is not touched, and parallel workers do not share one.
    The port is below the kernel's ephemeral range, so no `bind(port=0)` elsewhere in the
    suite (every other sandbox and server) can be handed it meanwhile."""
    if "BLUEGREEN_SANDBOX_URL" in os.environ:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    for port in range(4610 + index * 20, 4630 + index * 20):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        os.environ["BLUEGREEN_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
        return
    raise pytest.UsageError("no free port for the tests' sandbox endpoint in 4610-4700")


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker-py client for a reachable engine.

    Without an engine the test is skipped, except under ``CI=true`` where it fails: CI must
    exercise the Docker paths.
    """
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:  # docker.errors.DockerException, connection errors, ImportError
        message = f"no Docker engine reachable ({type(exc).__name__}: {exc})"
        if _running_in_ci():
            pytest.fail(f"{message}; CI=true requires one (run scripts/install.sh)")
        pytest.skip(message)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable Chromium (Debian's `chromium`).

    Without one the test is skipped, except under ``CI=true`` where it fails: CI must exercise
    the browser paths.
    """
    import shutil

    found = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
    if found is None:
        message = "no chromium on PATH (Debian package chromium)"
        if _running_in_ci():
            pytest.fail(f"{message}; CI=true requires one (run scripts/install.sh)")
        pytest.skip(message)
    return found



# ---------------------------------------------------------------------------------------------
# A sandbox per test module
# ---------------------------------------------------------------------------------------------
# Per module, not per session: moto keeps its state in the process and every sandbox started
# resets it, so one shared across modules would lose its seeds under the next module's feet.
# Folders that need another region or more checks override `sandbox` in their conftest.


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    """A running sandbox (us-east-1) for the tests of one module; stopped even when one fails.
    Its ECS tasks are simulated: these modules test the API, and their images (often a bare
    manifest) would not run; the tests of tasks as containers start their own sandbox. Time scale
    30: a simulated task runs in 33 ms, so an apply waiting for its tasks costs little."""
    from bluegreen.sandbox.server import start_sandbox

    with start_sandbox(port=0, region="us-east-1", tasks="simulated", time_scale=30) as handle:
        yield handle


@pytest.fixture(scope="module")
def sandbox_session(sandbox: Any) -> Any:
    """An AwsSession on the module's sandbox, in its region."""
    from bluegreen.aws.session import AwsSession, Target

    return AwsSession(Target(endpoint_url=sandbox.endpoint_url, region=sandbox.region))
