"""Features that conflict (issue 9 item 3): each is a rule over the config returning problems,
refused by `bluegreen validate` (exit 2) and shown as a conflict by `plan`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bluegreen.model.checks import (
    DEPLOY_ACTION_TIMEOUT_MINUTES,
    deployment_minutes,
    offline_problems,
    parallel_problems,
    security_group_problems,
    task_ingress_problems,
    timeout_problems,
    traffic_shift_minutes,
)
from bluegreen.model.config import Config
from tui.cli import main

ALB_SG, TASK_SG = "sg-c07de9b2", "sg-0aa11bb2"


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    config = tmp_path / "bluegreen.yaml"
    config.write_text(text)
    result = CliRunner().invoke(main, ["validate", "-f", str(config)])
    return result.exit_code, result.output


def test_parallel_execution_mode_is_refused_naming_the_fix(tmp_path: Path) -> None:
    (problem,) = parallel_problems(Config(name="shop", pipeline={"execution_mode": "PARALLEL"}))
    assert problem.path == "pipeline.executionMode"
    assert "one deployment" in problem.rule and "QUEUED" in problem.fix
    assert parallel_problems(Config(name="shop")) == []
    assert parallel_problems(Config(name="shop", pipeline={"execution_mode": "SUPERSEDED"})) == []
    code, output = validate(tmp_path, "name: shop\npipeline: {executionMode: PARALLEL}\n")
    assert code == 2 and "pipeline.executionMode: PARALLEL" in output and "Fix: use QUEUED" in output


@pytest.mark.parametrize("shift, minutes", [
    ("CodeDeployDefault.ECSAllAtOnce", 0),
    ("CodeDeployDefault.ECSLinear10PercentEvery3Minutes", 27),
    ("CodeDeployDefault.ECSCanary10Percent15Minutes", 15),
    ({"type": "linear", "percent": 30, "interval_minutes": 10}, 30),  # 30, 60, 90, 100
    ({"type": "canary", "percent": 5, "interval_minutes": 60}, 60),
])
def test_traffic_shift_minutes(shift: object, minutes: int) -> None:
    assert traffic_shift_minutes(Config(name="shop", code_deploy={"deployment_config": shift})) == minutes


def test_waits_longer_than_the_deploy_action_may_run_are_refused(tmp_path: Path) -> None:
    long = Config(name="shop", code_deploy={"ready_action": "STOP_DEPLOYMENT", "ready_wait_minutes": 5000,
                                            "termination_wait_minutes": 2880})
    assert deployment_minutes(long) == 7880 > DEPLOY_ACTION_TIMEOUT_MINUTES
    (problem,) = timeout_problems(long)
    assert problem.path == "codeDeploy.readyWaitMinutes" and "7200 minutes (5 days)" in problem.rule
    fits = Config(name="shop", code_deploy={"ready_action": "STOP_DEPLOYMENT", "ready_wait_minutes": 4320,
                                            "termination_wait_minutes": 2880})
    assert deployment_minutes(fits) == DEPLOY_ACTION_TIMEOUT_MINUTES and timeout_problems(fits) == []
    # the traffic shift counts too
    shifted = Config(name="shop", code_deploy={
        "ready_action": "STOP_DEPLOYMENT", "ready_wait_minutes": 4320, "termination_wait_minutes": 2880,
        "deployment_config": "CodeDeployDefault.ECSCanary10Percent5Minutes"})
    assert [p.path for p in timeout_problems(shifted)] == ["codeDeploy.readyWaitMinutes"]
    code, output = validate(tmp_path, "name: shop\ncodeDeploy: {readyAction: STOP_DEPLOYMENT, "
                                      "readyWaitMinutes: 7000, terminationWaitMinutes: 300}\n")
    assert code == 2 and "codeDeploy.readyWaitMinutes: a deployment takes at least 7300 minutes" in output


def test_own_task_groups_with_a_created_load_balancer_group_are_refused(tmp_path: Path) -> None:
    mixed = Config(name="shop", network={"task_security_groups": [TASK_SG]})
    (problem,) = security_group_problems(mixed)
    assert problem.path == "network.taskSecurityGroups" and "albSecurityGroups" in problem.fix
    # bluegreen's task group opens the container port to the user's load balancer group: fine
    assert security_group_problems(Config(name="shop", network={"alb_security_groups": [ALB_SG]})) == []
    # both the user's: only their rules tell (online)
    both = Config(name="shop", network={"alb_security_groups": [ALB_SG], "task_security_groups": [TASK_SG]})
    assert security_group_problems(both) == [] and offline_problems(both) == []
    code, output = validate(tmp_path, f"name: shop\nnetwork: {{taskSecurityGroups: [{TASK_SG}]}}\n")
    assert code == 2 and "network.taskSecurityGroups: " in output


def test_the_online_half_judges_the_task_groups_ingress_rules() -> None:
    both = Config(name="shop", task={"container_port": 8080},
                  network={"alb_security_groups": [ALB_SG], "task_security_groups": [TASK_SG]})
    from_alb = {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 9000, "UserIdGroupPairs": [{"GroupId": ALB_SG}]}
    assert task_ingress_problems(both, {TASK_SG: [from_alb]}) == []
    assert task_ingress_problems(both, {TASK_SG: [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": ALB_SG}]}]}) == []
    wrong_port = {**from_alb, "FromPort": 80, "ToPort": 80}
    (problem,) = task_ingress_problems(both, {TASK_SG: [wrong_port]})
    assert "TCP port 8080" in problem.rule and ALB_SG in problem.fix
    assert task_ingress_problems(both, {}) != []


def test_any_hook_is_invokable_by_the_rendered_role_so_no_conflict() -> None:
    """tests/test_iam_roles.py evaluates the CodeDeploy role against each configured hook."""
    config = Config(name="shop", code_deploy={"hooks": {"BeforeInstall": "warmup"}})
    assert offline_problems(config) == []


def test_the_default_config_has_no_conflict() -> None:
    assert offline_problems(Config(name="shop")) == []
