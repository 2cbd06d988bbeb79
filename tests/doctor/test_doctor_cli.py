"""`bluegreen doctor` from the command line against a sandbox holding a hand-built stack:
exit codes for scripts, text grouped by severity with why and fix, JSON saying the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from support.seed_stack import SeedStack, build_seed_stack

from tui.cli import main

REGION = "us-east-1"


@pytest.fixture(scope="module")
def seed(sandbox: Any) -> SeedStack:
    return build_seed_stack(sandbox.client, app="clidoc", region=REGION)


@pytest.fixture(autouse=True)
def point_at(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_a_sound_pipeline_exits_0_and_says_so(seed: SeedStack) -> None:
    out = run("doctor", "--pipeline", seed.pipeline, "--sandbox", "--region", REGION)
    assert out.exit_code == 0, out.output
    assert f"pipeline {seed.pipeline} in {REGION}: " in out.output
    assert "0 errors, 0 warnings" in out.output and "no known mistake found" in out.output
    assert "not looked at: network ACLs, and the egress rules" in out.output


def test_a_missing_pipeline_is_bad_input(seed: SeedStack) -> None:
    out = run("doctor", "--pipeline", "no-such-pipeline", "--sandbox", "--region", REGION)
    assert out.exit_code == 2, out.output
    assert "--pipeline no-such-pipeline: no pipeline named no-such-pipeline in us-east-1" in out.output
    assert "aws codepipeline list-pipelines --region us-east-1" in out.output
    assert "Traceback" not in out.output


def test_findings_exit_1_with_why_and_fix_and_json_says_the_same(sandbox: Any) -> None:
    broken = build_seed_stack(sandbox.client, app="clidocbad", region=REGION)
    events = sandbox.client("events")
    image_rule = broken.rules[0]
    events.remove_targets(Rule=image_rule, Ids=["codepipeline"])
    events.delete_rule(Name=image_rule)

    out = run("doctor", "--pipeline", broken.pipeline, "--sandbox", "--region", REGION)
    assert out.exit_code == 1, out.output
    lines = out.output.splitlines()
    head = next(line for line in lines if line.startswith(f"pipeline {broken.pipeline} in {REGION}: "))
    assert "1 error, 0 warnings" in head
    at = next(i for i, line in enumerate(lines) if line.startswith("✗ source-no-change-detection: "))
    assert lines[at - 1] == "Errors: the deployment cannot work"
    assert "ImageSource" in lines[at] and "clidocbad" in lines[at]
    assert lines[at + 1].startswith("    why: ") and any(line.startswith("    fix: ") for line in lines[at + 2:])

    printed = run("doctor", "--pipeline", broken.pipeline, "--sandbox", "--region", REGION, "--json")
    assert printed.exit_code == 1
    answer = json.loads(printed.output)
    assert answer["clean"] is False and answer["pipeline"] == broken.pipeline
    assert [f["rule"] for f in answer["findings"]] == ["source-no-change-detection"]
    assert {"severity", "finding", "why", "fix"} <= set(answer["findings"][0])
    assert answer["calls"] > 0 and answer["rulesRun"] >= 27
