"""Throttling: with 30% of calls answered with the service's throttling error, apply still
completes (botocore's adaptive retries). Push: the CLI builds the sample image, pushes it
to the sandbox's registry, and the push matches the stack's EventBridge rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.docker_images import remove_images
from support.engine import REGION, put_tiny_image, run_apply, session_for, stack_config

from bluegreen.model.configfile import dump_text

ROOT = Path(__file__).resolve().parents[2]


def test_apply_completes_while_30_percent_of_calls_are_throttled(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    sandbox.router.throttle_rate = 0.3
    try:
        result, _ = run_apply(session, stack_config("throttled"))
    finally:
        sandbox.router.throttle_rate = 0.0
    assert result.ok, result


@pytest.mark.docker
def test_cli_push_builds_pushes_and_matches_the_rule(sandbox, docker_client, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tui.cli import main

    context = str(ROOT / "examples" / "sample-website")  # absolute: the config lives in tmp_path
    config = stack_config("pushed", image={"repository": "pushed-app", "context": context,
                                           "buildArgs": {"VERSION": "3"}})
    path = tmp_path / "bluegreen.yaml"
    path.write_text(dump_text(config))
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    session = session_for(sandbox)
    before = len(sandbox.event_log)
    pushed_tag = f"{sandbox.registry_host}/pushed-app:latest"
    try:
        applied = CliRunner().invoke(main, ["apply", "-f", str(path), "--sandbox", "--yes"])
        assert applied.exit_code == 0, applied.output  # builds and pushes the first image itself
        assert "using the sandbox at" in applied.output

        bumped = stack_config("pushed", image={"repository": "pushed-app", "context": context,
                                               "buildArgs": {"VERSION": "4"}})
        path.write_text(dump_text(bumped))
        # --no-follow: this sandbox's tasks are simulated (no container serves green), so the
        # deployment the push starts could only time out; following is tested end to end
        pushed = CliRunner().invoke(main, ["push", "-f", str(path), "--sandbox", "--no-follow"])
        assert pushed.exit_code == 0, pushed.output
        assert "pushed: " in pushed.output
    finally:
        remove_images(docker_client, [i.id for i in docker_client.images.list(name=f"{sandbox.registry_host}/pushed-app")])

    details = session.client("ecr").describe_images(repositoryName="pushed-app")["imageDetails"]
    latest = [d for d in details if "latest" in d.get("imageTags", [])]
    assert latest and pushed.output.strip().endswith(f"({latest[0]['imageDigest']})")
    matched = [m for m in sandbox.event_log[before:]
               if "pushed-image-push" in str(m) and "codepipeline" in str(m)]
    assert matched, sandbox.event_log[before:]
    assert pushed_tag and REGION
