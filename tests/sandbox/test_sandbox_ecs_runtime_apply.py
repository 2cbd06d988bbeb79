"""The product end to end on the sandbox: `bluegreen init --sample` and `bluegreen apply` of that
default stack build the sample site, provision everything, and the load balancer's URL then
answers the sample page from a real container as soon as apply returns."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ecs_elb_support import get, remove_sandbox_containers

from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from tui.cli import main

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def apply_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    handle = start_sandbox(port=0, region="us-east-1", time_scale=30)  # the starter config's region
    instance = handle.services["runtime"].instance_id
    try:
        yield handle
    finally:
        handle.stop()
        remove_sandbox_containers(docker_client, instance)
        with contextlib.suppress(Exception):  # the image apply built and pushed
            docker_client.images.remove(f"{handle.registry_host}/my-app:latest", force=True)


def test_apply_of_the_starter_stack_ends_with_a_url_that_answers_the_sample_page(
        apply_sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", apply_sandbox.endpoint_url)
    monkeypatch.chdir(tmp_path)
    init = CliRunner().invoke(main, ["init", "--sample", "site", "-o", "bluegreen.yaml"])
    assert init.exit_code == 0, init.output

    applied = CliRunner().invoke(main, ["apply", "-f", "bluegreen.yaml", "--sandbox", "--yes"])
    assert applied.exit_code == 0, applied.output

    balancer = apply_sandbox.client("elbv2").describe_load_balancers(Names=["my-app-alb"])["LoadBalancers"][0]
    url = f"http://{balancer['DNSName']}:80/"
    assert url in applied.output
    # apply waits for the tasks to pass the load balancer's health checks: the URL answers at once,
    # and apply's own check of it says so
    assert f"GET {url}: HTTP 200 in " in applied.output, applied.output
    status, page = get(url)
    assert status == 200 and "sample-website" in page and '<strong id="version">1</strong>' in page
