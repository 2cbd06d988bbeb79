"""status / deploy from the command line against a running sandbox: exit codes for scripts,
JSON that says the same as the text, controls that refuse with the reason and ask first.
(The monitor itself, and these facts during real deployments: tests/tui/test_monitor_live.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.engine import cli_config_file, session_for

from tui.cli import main


@pytest.fixture
def config_file(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cli_config_file(sandbox, tmp_path, monkeypatch, "cliwatch")


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_status_of_a_stack_not_applied_says_missing_with_its_exit_code(config_file: Path) -> None:
    text = run("status", "-f", str(config_file), "--sandbox")
    assert text.exit_code == 6, text.output
    assert text.output.splitlines()[-2:] == [
        "stack cliwatch (us-east-2) · pipeline cliwatch · missing",
        "no pipeline cliwatch in us-east-2: the stack is not applied there (bluegreen apply), "
        "or the config names another region"]
    printed = run("status", "-f", str(config_file), "--sandbox", "--json")
    assert printed.exit_code == 6
    answer = json.loads(printed.output)
    assert (answer["health"], answer["exitCode"], answer["executions"]) == ("missing", 6, [])
    refused = run("deploy", "start", "-f", str(config_file), "--sandbox", "--yes")
    assert refused.exit_code == 1 and "cannot start now" in refused.output, refused.output


def test_deploy_controls_on_an_applied_stack(sandbox: Any, config_file: Path) -> None:
    applied = run("apply", "-f", str(config_file), "--sandbox", "--yes")
    assert applied.exit_code == 0, applied.output

    # nothing waits for reroute (the stack reroutes at once): refused, with why, nothing sent
    refused = run("deploy", "continue", "-f", str(config_file), "--sandbox", "--yes")
    assert refused.exit_code == 1, refused.output
    assert "error: cannot continue now: " in refused.output

    # a change asks first; without a terminal only --yes goes ahead
    asked = run("deploy", "start", "-f", str(config_file), "--sandbox")
    assert asked.exit_code == 2 and "pass --yes to confirm" in asked.output, asked.output
    codepipeline = session_for(sandbox).client("codepipeline")
    before = {e["pipelineExecutionId"] for e in
              codepipeline.list_pipeline_executions(pipelineName="cliwatch")["pipelineExecutionSummaries"]}
    started = run("deploy", "start", "-f", str(config_file), "--sandbox", "--yes")
    assert started.exit_code == 0, started.output
    after = codepipeline.list_pipeline_executions(pipelineName="cliwatch")["pipelineExecutionSummaries"]
    new = [e for e in after if e["pipelineExecutionId"] not in before]
    assert len(new) == 1 and new[0]["trigger"]["triggerType"] == "StartPipelineExecution"
    assert new[0]["pipelineExecutionId"] in started.output

    # the JSON and the text of one moment agree, and the exit code is the health's
    printed = run("status", "-f", str(config_file), "--sandbox", "--json")
    answer = json.loads(printed.output)
    assert printed.exit_code == answer["exitCode"] and answer["health"] in ("deploying", "waiting", "failed", "idle")
    assert new[0]["pipelineExecutionId"] in [e["id"] for e in answer["executions"]]
    text = run("status", "-f", str(config_file), "--sandbox")
    assert f"execution {answer['executions'][0]['id'][:8]} " in text.output
