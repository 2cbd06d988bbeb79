"""The Config model: derived names, AWS rules, YAML round trip, error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.model.config import Config, CustomTrafficShift
from bluegreen.model.configfile import ConfigError, dump_text, load, load_text
from bluegreen.model.starter import STARTER

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed.yaml"


def problem_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    assert len(caught.value.problems) >= 1
    return str(caught.value.problems[0])


def test_every_name_derives_from_the_stack_name() -> None:
    config = load_text("name: shop\n")
    assert config.ecs.cluster == "shop"
    assert config.load_balancer.name == "shop-alb"
    assert config.load_balancer.blue_target_group == "shop-blue"
    assert config.load_balancer.green_target_group == "shop-green"
    assert config.task.log_group == "/ecs/shop"
    assert config.pipeline.artifact_bucket == "bluegreen-shop-us-east-1-artifacts"
    assert config.creates_execution_role


def test_longest_stack_name_keeps_every_derived_name_within_aws_limits() -> None:
    name = "a" * 24
    config = load_text(f"name: {name}\nregion: ap-southeast-2\n")
    assert len(config.load_balancer.green_target_group) <= 32
    assert len(config.load_balancer.name) <= 32
    assert len(config.pipeline.artifact_bucket) <= 63
    assert len(config.source.bucket) <= 63


def test_seed_example_carries_the_seed_procedure_values() -> None:
    config = load(SEED)
    assert (config.task.family, config.task.container_name, config.task.container_port) == (
        "ecs-demo", "sample-website", 80)
    assert (config.task.cpu, config.task.memory) == (256, 512)
    assert config.image.repository == "nginx"
    assert config.ecs.desired_count == 1
    assert config.network.assign_public_ip is True


@pytest.mark.parametrize("text", [SEED.read_text(), STARTER, "name: xy\n", """
name: full
region: eu-west-1
network:
  vpc: vpc-0a1b2c3d
  subnets: [subnet-0556b778, {id: subnet-ed2f8486, az: eu-west-1b}]
  albSecurityGroups: [sg-c07de9b2]
codeDeploy:
  deploymentConfig: {type: canary, percent: 20, intervalMinutes: 5}
  readyAction: STOP_DEPLOYMENT
  readyWaitMinutes: 30
  hooks: {AfterAllowTestTraffic: CodeDeployHook_smoke}
task:
  environment: {APP_MODE: prod}
  healthCheck: {command: [CMD-SHELL, "wget -q -O- http://localhost/ || exit 1"]}
"""])
def test_save_of_load_is_stable(text: str) -> None:
    once = dump_text(load_text(text))
    assert dump_text(load_text(once)) == once
    assert once.startswith("apiVersion: bluegreen/v1\nkind: BlueGreenStack\n")


def test_subnet_shorthand_and_full_form_both_round_trip() -> None:
    text = "name: xy\nnetwork:\n  subnets: [subnet-0556b778, {id: subnet-ed2f8486, az: us-east-1b}]\n"
    saved = dump_text(load_text(text))
    assert "- subnet-0556b778\n" in saved
    assert "id: subnet-ed2f8486" in saved and "az: us-east-1b" in saved


def test_custom_deployment_config_gets_a_derived_name() -> None:
    config = load_text("name: xy\ncodeDeploy:\n  deploymentConfig: {type: linear, percent: 20, intervalMinutes: 2}\n")
    shift = config.code_deploy.deployment_config
    assert isinstance(shift, CustomTrafficShift)
    assert config.deployment_config_name == "xy-linear-20pct-every-2min"


def test_renaming_the_stack_moves_derived_names_and_keeps_chosen_ones() -> None:
    config = load_text("name: old\necs:\n  cluster: shared-cluster\n")
    renamed = config.with_stack_name("new")
    assert renamed.ecs.cluster == "shared-cluster"
    assert renamed.ecs.service == "new"
    assert renamed.load_balancer.name == "new-alb"


@pytest.mark.parametrize(("text", "path", "words"), [
    ("name: xy\ntask: {cpu: 256, memory: 4096}\n", "task.memory", "512, 1024, 2048"),
    ("name: xy\ntask: {cpu: 300}\n", "task.cpu", "Fargate cpu must be one of"),
    ("name: xy\ntask: {cpu: 1024, memory: 2500}\n", "task.memory", "2048-8192 in steps of 1024"),
    ("name: xy\nloadBalancer: {testPort: 80}\n", "loadBalancer.testPort", "must differ"),
    ("name: xy\nloadBalancer: {productionPort: 0}\n", "loadBalancer.productionPort", "1 to 65535"),
    ("name: xy\ntask: {containerPort: 70000}\n", "task.containerPort", "1 to 65535"),
    ("name: xy\nnetwork: {subnets: [subnet-0556b778]}\n", "network.subnets", "at least 2 availability zones"),
    ("name: xy\nnetwork: {subnets: [{id: subnet-11111111, az: us-east-1a}, {id: subnet-22222222, az: us-east-1a}]}\n",
     "network.subnets", "all of these are in us-east-1a"),
    ("name: xy\nnetwork: {subnets: [subnet-11111111, subnet-11111111]}\n", "network.subnets", "once"),
    ("name: xy\nloadBalancer: {name: this-name-is-far-too-long-for-an-alb}\n", "loadBalancer.name", "1-32"),
    ("name: xy\nloadBalancer: {blueTargetGroup: -bad}\n", "loadBalancer.blueTargetGroup", "not starting"),
    ("name: xy\nloadBalancer: {name: internal-web}\n", "loadBalancer.name", "internal-"),
    ("name: xy\nimage: {repository: Nginx}\n", "image.repository", "lowercase"),
    ("name: My_App\n", "name", "lowercase"),
    ("name: xy\ntaks: {}\n", "taks", "did you mean 'task'"),
    ("name: xy\ntask: {famly: web}\n", "task.famly", "did you mean 'family'"),
    ("name: xy\ncodeDeploy: {terminationWaitMinutes: 3000}\n", "codeDeploy.terminationWaitMinutes", "at most 2880"),
    ("name: xy\ncodeDeploy: {deploymentConfig: Fast}\n", "codeDeploy.deploymentConfig", "predefined"),
    ("name: xy\ncodeDeploy: {readyAction: STOP_DEPLOYMENT}\n", "codeDeploy.readyWaitMinutes", "at least 1"),
    ("name: xy\ncodeDeploy: {autoRollbackEvents: [DEPLOYMENT_STOP_ON_ALARM]}\n", "codeDeploy.alarms", "alarm"),
    ("name: xy\npipeline: {type: V1}\n", "pipeline.executionMode", "SUPERSEDED"),
    ("name: xy\nsource: {repository: repo.git}\n", "source.repository", ".git"),
    ("name: xy\nsource: {type: git}\n", "source.type", "'codecommit' or 's3'"),
    ("name: xy\ntask: {executionRoleArn: ecsTaskExecutionRole}\n", "task.executionRoleArn", "arn:aws:iam::"),
    ("apiVersion: v2\nname: xy\n", "apiVersion", "bluegreen/v1"),
    ("region: us-east-1\n", "name", "is required"),
    ("name: 5\n", "name", "must be text"),
    ("name: xy\ntask: [1, 2]\n", "task", "mapping"),
    ("name: [\n", "line 2, column 1", "not valid YAML"),
    ("- a\n- b\n", "(document)", "mapping"),
])
def test_bad_input_names_the_field_the_rule_and_a_fix(text: str, path: str, words: str) -> None:
    message = problem_of(text)
    assert message.startswith(f"{path}: "), message
    assert words in message, message
    assert "Fix: " in message


def test_all_problems_are_reported_in_one_message() -> None:
    with pytest.raises(ConfigError) as caught:
        load_text("name: xy\ntask: {containerPort: 0}\nloadBalancer: {testPort: 99999}\n", "f.yaml")
    text = caught.value.message()
    assert text.startswith("f.yaml: 2 problems:")
    assert "task.containerPort" in text and "loadBalancer.testPort" in text


def test_assignment_is_validated_like_loading() -> None:
    config = Config(name="xy")
    with pytest.raises(ValueError):
        config.task.container_port = 0
