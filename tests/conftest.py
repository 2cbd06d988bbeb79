"""Shared pytest fixtures. Keep each group in its own clearly marked section."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# ---------------------------------------------------------------------------------------------
# Docker engine
# ---------------------------------------------------------------------------------------------


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
