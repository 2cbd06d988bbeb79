"""Every role the stack renders allows what its service does, per configured feature, and no
more than that on "*" (bluegreen.aws.iam.check; the tables: docs/fidelity/iam.md).

The decision comes from the IAM evaluator fed with the rendered inline policy and the pinned
AWS managed policies the role attaches, with the request context AWS uses (resource ARNs,
iam:PassedToService)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bluegreen.aws.iam.check import WILDCARD_ACTIONS, check_role, check_roles, wildcard_grants
from bluegreen.aws.iam.needs import needs
from bluegreen.model.config import Config
from bluegreen.model.configfile import load, load_text
from renderers.artifacts import render_all
from renderers.iam import roles
from renderers.refs import Arns, Refs

ROOT = Path(__file__).resolve().parents[1]

# Every feature that changes what a service does: a task role, hooks (one not named
# CodeDeployHook_*), alarms, the S3 source, a linear custom deployment config, a manual
# reroute (STOP_DEPLOYMENT).
EVERY_FEATURE = """
name: shop
region: eu-west-1
task:
  taskRoleArn: arn:aws:iam::944163165741:role/shop-task
codeDeploy:
  deploymentConfig: {type: linear, percent: 20, intervalMinutes: 2}
  readyAction: STOP_DEPLOYMENT
  readyWaitMinutes: 30
  alarms: [shop-5xx, shop-latency]
  autoRollbackEvents: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
  hooks: {AfterAllowTraffic: CodeDeployHook_last, BeforeInstall: smoke-test, AfterAllowTestTraffic: "probe:live"}
source: {type: s3}
"""

# A user's own execution role (not rendered: its policies are the user's), with the S3 source.
EXISTING_EXECUTION_ROLE = """
name: shop
region: eu-west-1
task:
  executionRoleArn: arn:aws:iam::944163165741:role/ecsTaskExecutionRole
  taskRoleArn: arn:aws:iam::944163165741:role/shop-task
source: {type: s3}
"""

CONFIGS = {
    "seed": lambda: load(ROOT / "examples" / "seed.yaml"),
    "every-feature": lambda: load_text(EVERY_FEATURE),
    "existing-execution-role": lambda: load_text(EXISTING_EXECUTION_ROLE),
}
ROLE_KEYS = ["pipeline", "codedeploy", "execution", "events"]


def config_named(name: str) -> Config:
    return CONFIGS[name]()


@pytest.mark.parametrize("role", ROLE_KEYS)
@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_role_allows_every_request_its_service_makes(name: str, role: str) -> None:
    config = config_named(name)
    for refs in (Refs.offline(config), Refs.offline(config, account_id="123456789012")):
        checks = {c.key: c for c in check_roles(config, refs)}
        if role == "execution" and not config.creates_execution_role:
            assert role not in checks  # the user's role: not rendered, not checked offline
            continue
        check = checks[role]
        assert check.decisions, f"no requests listed for {role}"
        assert check.ok, check.report()


def test_the_tables_cover_each_feature() -> None:
    config = config_named("every-feature")
    table = needs(config, Refs.offline(config))
    features = {n.feature for rows in table.values() for n in rows}
    assert {"task role", "execution role", "hook BeforeInstall", "hook AfterAllowTraffic", "alarm shop-5xx",
            "source: s3", "deployment config: custom", "test listener", "log group", "image pull"} <= features
    seed = config_named("seed")
    seed_features = {n.feature for rows in needs(seed, Refs.offline(seed)).values() for n in rows}
    assert "source: codecommit" in seed_features and "task role" not in seed_features
    passes = [n for rows in table.values() for n in rows if n.action == "iam:PassRole"]
    assert {n.resource for n in passes} == {"arn:aws:iam::<ACCOUNT_ID>:role/shop-execution",
                                            "arn:aws:iam::944163165741:role/shop-task"}
    assert all(n.context == {"iam:PassedToService": "ecs-tasks.amazonaws.com"} for n in passes)


def weakened(spec, sid: str, action: str):
    policy = json.loads(json.dumps(spec.inline_policy))
    for statement in policy["Statement"]:
        if statement["Sid"] == sid:
            statement["Action"] = [a for a in statement["Action"] if a != action]
    policy["Statement"] = [s for s in policy["Statement"] if s["Action"]]
    return dataclasses.replace(spec, inline_policy=policy)


@pytest.mark.parametrize(("role", "sid", "action"), [
    ("codedeploy", "PassTaskRoles", "iam:PassRole"),
    ("codedeploy", "InvokeHooks", "lambda:InvokeFunction"),
    ("pipeline", "ReadSourceBucket", "s3:GetObjectVersion"),
    ("pipeline", "Deploy", "codedeploy:CreateDeployment"),
    ("pipeline", "TagTaskDefinition", "ecs:TagResource"),
    ("execution", "WriteLogs", "logs:PutLogEvents"),
    ("events", "StartPipeline", "codepipeline:StartPipelineExecution"),
])
def test_a_weakened_policy_is_denied_and_the_missing_action_named(role: str, sid: str, action: str) -> None:
    config = config_named("every-feature")
    refs = Refs.offline(config)
    spec = next(s for s in roles(config, refs) if s.key == role)
    check = check_role(weakened(spec, sid, action), needs(config, refs)[role], Arns(config, refs).role(spec.name))
    assert not check.ok
    assert {n.action for n, _ in check.denied} == {action}
    assert action in check.report() and "DENIED" in check.report()


def test_the_managed_policy_alone_does_not_let_codedeploy_pass_the_stack_roles() -> None:
    """The review's finding: AWSCodeDeployRoleForECSLimited passes only roles named
    ecsTaskExecutionRole / ECSTaskExecution*, and invokes only CodeDeployHook_* functions."""
    config = config_named("every-feature")
    refs = Refs.offline(config)
    spec = next(s for s in roles(config, refs) if s.key == "codedeploy")
    bare = dataclasses.replace(spec, inline_policy=None)
    check = check_role(bare, needs(config, refs)["codedeploy"], Arns(config, refs).role(spec.name))
    denied = sorted((n.action, n.feature) for n, _ in check.denied)
    assert denied == [("iam:PassRole", "execution role"), ("iam:PassRole", "task role"),
                      ("lambda:InvokeFunction", "hook AfterAllowTestTraffic"),
                      ("lambda:InvokeFunction", "hook BeforeInstall")]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_least_privilege_nothing_on_star_but_the_two_unscopable_actions(name: str) -> None:
    config = config_named(name)
    for spec in roles(config, Refs.offline(config)):
        assert set(wildcard_grants(spec)) <= WILDCARD_ACTIONS, spec.key
        for statement in (spec.inline_policy or {"Statement": []})["Statement"]:
            if "iam:PassRole" in statement["Action"]:
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
                arns = Arns(config, Refs.offline(config))
                assert set(statement["Resource"]) == {arns.execution_role} | (
                    {config.task.task_role_arn} if config.task.task_role_arn else set())


def test_the_rendered_files_carry_the_codedeploy_inline_policy() -> None:
    files = {a.path: a for a in render_all(config_named("every-feature"))}
    policy = json.loads(files["iam/codedeploy-policy.json"].request["PolicyDocument"])
    sids = [s["Sid"] for s in policy["Statement"]]
    assert sids == ["PassTaskRoles", "InvokeHooks"]
    assert "arn:aws:lambda:eu-west-1:<ACCOUNT_ID>:function:probe:live" in policy["Statement"][1]["Resource"]
