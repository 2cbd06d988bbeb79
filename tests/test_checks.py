"""The rules the wizard checks beyond the Config model, as core functions: offline ones over a
Config (also refused by `bluegreen validate`, exit 2 naming the field, the rule and a fix), and
the ones that judge a config against discovered records."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bluegreen.aws.discovery_records import CodeDeployApplication, Subnet
from bluegreen.aws.preflight import application_problems, codecommit_closed, subnet_problems
from bluegreen.model.checks import offline_problems, public_ip_problems
from bluegreen.model.config import Config
from bluegreen.model.configfile import dump_text
from bluegreen.model.rules import FARGATE_MEMORY, fargate_memory_that_fits
from tui.cli import main

VPC = "vpc-0a1b2c3d4e5f60718"


def subnet(suffix: str, az: str, public: bool = True, name: str = "") -> Subnet:
    return Subnet(id=f"subnet-0{suffix * 16}", vpc_id=VPC, az=az, cidr="172.31.0.0/20", free_ips=4091,
                  public=public, route_table_id="rtb-0aaa1111bbbb22223", default_for_az=True, name=name)


A, B, PRIVATE_B = subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), subnet("c", "us-east-1b", False, "app")


# -- offline rules -----------------------------------------------------------------------------


def test_any_hook_name_is_fine_the_rendered_role_may_invoke_it() -> None:
    config = Config(name="shop", code_deploy={"hooks": {"BeforeInstall": "warmup"}})
    assert offline_problems(config) == []


def test_no_public_ip_on_public_subnets_is_a_problem() -> None:
    config = Config(name="shop", network={"assignPublicIp": False})
    assert [p.path for p in public_ip_problems(config, True)] == ["network.assignPublicIp"]
    assert public_ip_problems(config, None) == [] and public_ip_problems(config, False) == []
    assert public_ip_problems(Config(name="shop"), True) == []
    assert [p.path for p in offline_problems(config)] == ["network.assignPublicIp"]  # 'auto': public subnets
    listed = Config(name="shop", network={"assignPublicIp": False, "subnets": [A.id, B.id]})
    assert offline_problems(listed) == []  # only discovery can tell whether those are public


def test_a_memory_a_new_cpu_does_not_allow_moves_to_the_nearest_that_fits() -> None:
    assert fargate_memory_that_fits(1024, 512) == 2048
    assert fargate_memory_that_fits(1024, 4096) == 4096
    assert fargate_memory_that_fits(256, 8192) == FARGATE_MEMORY[256][-1]


# -- against discovered records ------------------------------------------------------------------


def test_subnets_need_two_zones_one_each_and_public_ones_when_internet_facing() -> None:
    assert subnet_problems([A, B], "internet-facing") == []
    assert "no subnet is ticked" in subnet_problems([], "internal")[0].rule
    assert "only one subnet is ticked" in subnet_problems([A], "internal")[0].rule
    (private,) = subnet_problems([A, PRIVATE_B], "internet-facing")
    assert private.path == "network.subnets" and f"{PRIVATE_B.id} (app) is private" in private.rule
    assert private.fix == "untick it and tick a PUBLIC subnet, or make the scheme internal"
    assert subnet_problems([A, PRIVATE_B], "internal") == []
    assert "are all in us-east-1a" in subnet_problems([A, subnet("d", "us-east-1a")], "internal")[0].rule
    assert "are both in us-east-1b" in subnet_problems([A, B, PRIVATE_B], "internal")[0].rule


def test_codecommit_closed_and_an_application_of_another_platform() -> None:
    assert codecommit_closed("CreateRepository request is not allowed because there is no existing repository")
    assert not codecommit_closed("AccessDeniedException on ListRepositories")
    apps = [CodeDeployApplication("legacy", "Server", ("fleet",)), CodeDeployApplication("shop", "ECS", ())]
    (problem,) = application_problems(Config(name="app", code_deploy={"application": "legacy"}), apps)
    assert str(problem) == "codeDeploy.application: legacy is a Server application. Fix: choose another name."
    assert application_problems(Config(name="shop"), apps) == []


# -- bluegreen validate ----------------------------------------------------------------------------


def test_validate_refuses_a_rule_the_wizard_checks_with_one_message_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bluegreen.yaml"
    config.write_text(dump_text(Config(name="shop", pipeline={"executionMode": "PARALLEL"})))
    result = CliRunner().invoke(main, ["validate", "-f", str(config)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {config}: pipeline.executionMode: PARALLEL runs pipeline executions")
    assert "Fix: use QUEUED" in line
    config.write_text(dump_text(Config(name="shop")))
    assert CliRunner().invoke(main, ["validate", "-f", str(config)]).exit_code == 0
