"""`bluegreen validate --online -f F`: the doctor's rules before apply, on what the config relies
on in the account (subnets apply would use, given security groups and roles); on the stack's
pipeline once it exists. Exit 0 clean, 1 findings, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.engine import put_tiny_image, session_for, stack_config
from support.seed_stack import trust

from bluegreen.model.configfile import dump_text
from tui.cli import main


@pytest.fixture(autouse=True)
def point_at(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)


def written(folder: Path, name: str, **sections: Any) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(dump_text(stack_config(name, **sections)))
    return path


def online(path: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["validate", "-f", str(path), "--online", "--sandbox", *extra])


def test_a_sound_config_before_apply_checks_the_account_parts_and_skips_the_rest(tmp_path: Path) -> None:
    out = online(written(tmp_path, "valok"))
    assert out.exit_code == 0, out.output
    assert "the stack is not applied yet; checked what the config relies on in the account" in out.output
    assert "no known mistake found" in out.output
    answer = json.loads(online(written(tmp_path, "valok"), "--json").output)
    assert answer["stackExists"] is False and answer["findings"] == []
    # roles apply creates are apply's: skipped; the rest runs on the account and the rendered setup
    assert {"pipeline-role-denied", "codedeploy-role-denied"} <= set(answer["skipped"])
    assert answer["rulesRun"] >= 20 and "task-subnets-one-az" not in answer["skipped"]


def test_given_security_groups_that_block_the_load_balancer_are_found_before_apply(
        sandbox: Any, tmp_path: Path) -> None:
    ec2 = session_for(sandbox).client("ec2")  # the config's region
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    alb = ec2.create_security_group(GroupName="valsg-alb", Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 8080)])
    task = ec2.create_security_group(GroupName="valsg-task", Description="nothing comes in", VpcId=vpc)["GroupId"]
    out = online(written(tmp_path, "valsg", network={"albSecurityGroups": [alb], "taskSecurityGroups": [task]}),
                 "--json")
    assert out.exit_code == 1, out.output
    findings = json.loads(out.output)["findings"]
    assert [f["rule"] for f in findings] == ["security-groups-block-lb"]
    assert task in findings[0]["finding"] and "80" in findings[0]["finding"]


def test_a_hook_naming_a_missing_function_is_found_before_apply(tmp_path: Path) -> None:
    out = online(written(tmp_path, "valhook", codeDeploy={"hooks": {"BeforeAllowTraffic": "no-such-function"}}),
                 "--json")
    assert out.exit_code == 1, out.output
    findings = json.loads(out.output)["findings"]
    assert [f["rule"] for f in findings] == ["hook-function-missing"]
    assert "no-such-function" in findings[0]["finding"]


def test_a_given_execution_role_that_ecs_cannot_assume_is_found_before_apply(sandbox: Any, tmp_path: Path) -> None:
    iam = sandbox.client("iam")
    arn = iam.create_role(RoleName="valtrust-exec", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="valtrust-exec",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    out = online(written(tmp_path, "valtrust", task={"executionRoleArn": arn}), "--json")
    assert out.exit_code == 1, out.output
    findings = json.loads(out.output)["findings"]
    assert [f["rule"] for f in findings] == ["role-trust"]
    assert "valtrust-exec" in findings[0]["finding"] and "ecs-tasks.amazonaws.com" in findings[0]["finding"]


def test_an_applied_stack_is_checked_as_it_stands(sandbox: Any, tmp_path: Path) -> None:
    put_tiny_image(session_for(sandbox))
    path = written(tmp_path, "valapplied")
    applied = CliRunner().invoke(main, ["apply", "-f", str(path), "--sandbox", "--yes"])
    assert applied.exit_code == 0, applied.output
    out = online(path)
    assert out.exit_code == 0, out.output
    assert "the stack's pipeline exists, checked as it stands on the account" in out.output


def test_offline_problems_still_exit_2_before_any_call(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: valbad\nloadBalancer: {testPort: 80}\n")
    out = online(path)
    assert out.exit_code == 2 and "loadBalancer.testPort" in out.output, out.output
