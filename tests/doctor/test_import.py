"""`import`: a pipeline on the account back into a config that `plan` reports in sync.

Two round trips on one sandbox: a stack `apply` made (the config comes back equal, field by
field, for everything the account can tell) and the seed procedure's stack built with plain
boto3 (adopted: tagged, then all in sync). Then what the config cannot say is named, and the
CLI's files, flags and exit codes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.engine import REGION, put_tiny_image, run_apply, run_plan, session_for, stack_config
from support.seed_stack import build_seed_stack

from bluegreen.aws.session import AwsSession
from bluegreen.doctor.adopt import LOCAL_ONLY, Adopted, config_from_facts, tag_adopted
from bluegreen.doctor.facts import Facts
from bluegreen.model.config import TAG_KEY
from bluegreen.model.configfile import load, to_data
from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from tui.cli import main


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    # the engine's region: stack_config's stacks live there
    with start_sandbox(port=0, region=REGION, tasks="simulated", time_scale=30) as handle:
        yield handle


@pytest.fixture(scope="module")
def session(sandbox: SandboxHandle) -> AwsSession:
    return session_for(sandbox)


def adopt(session: AwsSession, pipeline: str) -> Adopted:
    return asyncio.run(config_from_facts(Facts(session, pipeline)))


def not_in_sync(session: AwsSession, config: Any) -> list[tuple[str, str, str]]:
    return [(r.node, r.action, r.reason) for r in run_plan(session, config) if r.action != "in_sync"]


def leaves(data: Any, path: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in leaves(value, f"{path}.{key}" if path else key).items()}
    return {path: data}


# What the account cannot tell (local build settings), and what the sandbox does not keep:
# moto's DescribeServices answers no healthCheckGracePeriodSeconds (AWS does).
UNKNOWABLE = {"image.dockerfile", "image.context", "image.buildArgs", "ecs.healthCheckGracePeriodSeconds"}


def test_a_stack_apply_made_imports_to_the_same_config_and_is_in_sync(session: AwsSession) -> None:
    put_tiny_image(session)
    config = stack_config("roundtrip", codeDeploy={"terminationWaitMinutes": 7, "alarms": ["roundtrip-5xx"],
                                                   "autoRollbackEvents": ["DEPLOYMENT_FAILURE",
                                                                          "DEPLOYMENT_STOP_ON_ALARM"]},
                          task={"environment": {"MODE": "blue"}, "cpu": 512, "memory": 1024},
                          loadBalancer={"healthCheckPath": "/health", "testPort": 8081},
                          ecs={"desiredCount": 2})
    result, _ = run_apply(session, config)
    assert result.ok, result

    adopted = adopt(session, config.pipeline.name)

    want, have = leaves(to_data(config)), leaves(to_data(adopted.config))
    differ = {k: (want.get(k), have.get(k)) for k in want.keys() | have.keys()
              if want.get(k) != have.get(k) and k not in UNKNOWABLE}
    assert differ == {}
    assert adopted.not_expressible == [LOCAL_ONLY]
    assert tag_adopted(session, adopted) == []  # apply tagged them all
    assert not_in_sync(session, adopted.config) == []


def test_the_seed_procedures_stack_is_adopted_and_then_in_sync(session: AwsSession) -> None:
    seed = build_seed_stack(session.client, app="seedimp", region=REGION)
    put_tiny_image(session, "seedimp")  # the seed pushes its image first

    adopted = adopt(session, seed.pipeline)

    config = adopted.config
    assert (config.name, config.pipeline.name, config.pipeline.role_arn) == (seed.pipeline, seed.pipeline,
                                                                               seed.cp_role)
    assert (config.code_deploy.service_role_arn, config.pipeline.events_role_arn) == (seed.cd_role,
                                                                                     seed.events_role)
    assert (config.pipeline.image_rule_name, config.pipeline.source_rule_name) == seed.rules
    assert (config.load_balancer.blue_target_group, config.load_balancer.green_target_group) == tuple(seed.tgs)
    assert config.network.task_security_groups == [seed.task_sg] and config.network.alb_security_groups == [seed.alb_sg]
    assert [s.id for s in config.network.subnets] == seed.subnets
    assert (config.task.container_name, config.task.execution_role_arn) == ("web", seed.exec_role)
    # untagged, the resources it would own are conflicts (and what depends on them waits)
    before = not_in_sync(session, config)
    assert {action for _, action, _ in before} == {"conflict", "blocked"}, before

    tagged = tag_adopted(session, adopted)

    assert sorted(tagged) == sorted(adopted.resources)
    assert seed.pipeline_arn in tagged and seed.tgs[f"{seed.app}-tg1"] in tagged
    assert not_in_sync(session, config) == []
    # existing tags are kept (PutBucketTagging replaces the set)
    tags = session.client("s3").get_bucket_tagging(Bucket=seed.bucket)["TagSet"]
    assert {"Key": TAG_KEY, "Value": seed.pipeline} in tags


def test_what_the_config_cannot_say_is_named(session: AwsSession) -> None:
    seed = build_seed_stack(session.client, app="oddimp", region=REGION)
    ecs, elbv2, cp = session.client("ecs"), session.client("elbv2"), session.client("codepipeline")
    # a sidecar: the service restarted from a revision with two containers
    sidecar = ecs.register_task_definition(
        family="oddimp", executionRoleArn=seed.exec_role, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512", containerDefinitions=[
            {"name": "web", "image": "x", "essential": True, "portMappings": [{"containerPort": 80}]},
            {"name": "envoy", "image": "y", "essential": False}])["taskDefinition"]["taskDefinitionArn"]
    ecs.delete_service(cluster="oddimp", service="oddimp", force=True)
    ecs.create_service(cluster="oddimp", serviceName="oddimp", taskDefinition=sidecar, desiredCount=1,
                       launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"},
                       loadBalancers=[{"targetGroupArn": seed.tgs["oddimp-tg1"], "containerName": "web",
                                       "containerPort": 80}],
                       networkConfiguration={"awsvpcConfiguration": {"subnets": seed.subnets,
                                                                     "securityGroups": [seed.task_sg]}})
    # a listener rule besides the default action, and a manual approval stage
    elbv2.create_rule(ListenerArn=seed.prod, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                      Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    declared = cp.get_pipeline(name=seed.pipeline)["pipeline"]
    declared["stages"].insert(1, {"name": "Approve", "actions": [{
        "name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                            "version": "1"}, "runOrder": 1}]})
    cp.update_pipeline(pipeline=declared)

    notes = adopt(session, seed.pipeline).not_expressible

    assert any("second container envoy" in n for n in notes), notes
    assert any("production listener :80 has 1 rule(s)" in n for n in notes), notes
    assert any("action Approve (Approval Manual)" in n for n in notes), notes
    assert LOCAL_ONLY in notes


# -- the command ------------------------------------------------------------------------------


def run(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    return CliRunner().invoke(main, ["import", *args, "--sandbox", "--region", REGION])


def test_the_command_writes_the_config_tags_and_refuses_to_overwrite(
        sandbox: SandboxHandle, session: AwsSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = build_seed_stack(session.client, app="cliimp", region=REGION)
    put_tiny_image(session, "cliimp")
    out = tmp_path / "imported.yaml"

    untagged = run(sandbox, monkeypatch, "--pipeline", seed.pipeline, "-o", str(out), "--no-tag")

    assert untagged.exit_code == 0, untagged.output
    text = out.read_text()
    assert text.splitlines()[1].startswith("# not expressible:")
    assert f"not expressible: {LOCAL_ONLY}" in untagged.stderr
    assert "not tagged (--no-tag)" in untagged.stdout and "tagged arn:" not in untagged.stdout
    config = load(out)
    assert config == adopt(session, seed.pipeline).config
    assert {a for _, a, _ in not_in_sync(session, config)} == {"conflict", "blocked"}

    refused = run(sandbox, monkeypatch, "--pipeline", seed.pipeline, "-o", str(out))
    assert refused.exit_code == 2 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_text() == text

    adopted = run(sandbox, monkeypatch, "--pipeline", seed.pipeline, "-o", str(out), "--force")
    assert adopted.exit_code == 0, adopted.output
    assert f"tagged {seed.pipeline_arn}" in adopted.stdout
    assert not_in_sync(session, load(out)) == []


def test_the_command_says_what_input_is_wrong(sandbox: SandboxHandle, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "x.yaml"
    missing = run(sandbox, monkeypatch, "--pipeline", "nothere", "-o", str(out))
    assert missing.exit_code == 2 and f"no pipeline named nothere in {REGION}" in missing.stderr
    bad = run(sandbox, monkeypatch, "--pipeline", "not a name!", "-o", str(out))
    assert bad.exit_code == 2 and "--pipeline" in bad.stderr and "Fix:" in bad.stderr
    bad_name = run(sandbox, monkeypatch, "--pipeline", "nothere", "--name", "Bad_Name", "-o", str(out))
    assert bad_name.exit_code == 2 and "--name" in bad_name.stderr
    assert not out.exists()
