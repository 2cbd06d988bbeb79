"""plan / apply / destroy from the command line against a running sandbox: confirmations,
exit codes, and a destroy that leaves nothing tagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.engine import cli_config_file, put_tiny_image, session_for

from bluegreen.aws.session import AwsSession, Target
from bluegreen.engine.leftovers import leftovers
from tui.cli import main


@pytest.fixture
def config_file(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cli_config_file(sandbox, tmp_path, monkeypatch, "clistack")


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_apply_and_destroy_ask_first_and_refuse_without_a_terminal(config_file: Path) -> None:
    for command in ("apply", "destroy"):
        result = run(command, "-f", str(config_file), "--sandbox")
        assert result.exit_code == 2, result.output
        assert "pass --yes to confirm" in result.output


def test_plan_apply_plan_destroy_from_the_command_line(sandbox: Any, config_file: Path) -> None:
    session = session_for(sandbox)
    before = json.loads(run("plan", "-f", str(config_file), "--sandbox", "--json").output)
    assert {row["action"] for row in before} >= {"create"}

    applied = run("apply", "-f", str(config_file), "--sandbox", "--yes", "--json")
    assert applied.exit_code == 0, applied.output
    events = [json.loads(line) for line in applied.output.splitlines() if line.startswith("{")]
    assert events[-1]["type"] == "run_finished" and events[-1]["ok"]

    after = json.loads(run("plan", "-f", str(config_file), "--sandbox", "--json").output)
    assert {row["action"] for row in after} == {"in_sync"}

    destroyed = run("destroy", "-f", str(config_file), "--sandbox", "--yes")
    assert destroyed.exit_code == 0, destroyed.output
    assert leftovers(session, "clistack") == []
    again = run("destroy", "-f", str(config_file), "--sandbox", "--yes")
    assert again.exit_code == 0, again.output


def test_a_stack_in_another_region_than_the_sandboxs_own_is_whole(sandbox: Any, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One sandbox serves every region, as AWS does: a stack in eu-west-1 against a sandbox
    started in another region applies completely, plans in sync and is destroyed."""
    region = "eu-west-1"
    assert sandbox.region != region
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    elsewhere = AwsSession(Target(endpoint_url=sandbox.endpoint_url, region=region))
    put_tiny_image(elsewhere)
    path = tmp_path / "elsewhere.yaml"
    path.write_text(f"name: elsewhere\nregion: {region}\nimage: {{repository: shared-app, tag: latest}}\n"
                    "task: {containerName: sample-website, containerPort: 80}\n")
    applied = run("apply", "-f", str(path), "--sandbox", "--yes")
    assert applied.exit_code == 0, applied.output
    plan = json.loads(run("plan", "-f", str(path), "--sandbox", "--json").output)
    assert {row["action"] for row in plan} == {"in_sync"}, plan
    repo = elsewhere.client("codecommit").get_repository(repositoryName="elsewhere")["repositoryMetadata"]
    assert repo["Arn"].startswith(f"arn:aws:codecommit:{region}:")
    assert run("destroy", "-f", str(path), "--sandbox", "--yes").exit_code == 0
    assert leftovers(elsewhere, "elsewhere") == []
