"""The doctor's rules of the area 'sources': the seed stack, one thing broken with plain boto3,
exactly that rule's finding."""

from __future__ import annotations

import json
from typing import Any

from support.doctor import found
from support.doctor import report_of as _report
from support.doctor import seeded as _seed
from support.doctor_s3_source import template_zip, use_s3_source
from support.seed_stack import SeedStack, ecr_pattern

from bluegreen.doctor.finding import Report
from bluegreen.doctor.rules import RULES

MINE = {r.id for r in RULES if r.area in ("sources", "artifacts")}


def _text(report: Report) -> str:
    return "\n".join(f"{f.finding}\n{f.why}\n{f.fix}" for f in report.findings)


def _edit_action(sandbox: Any, seed: SeedStack, name: str, **configuration: str) -> None:
    cp = sandbox.client("codepipeline")
    pipeline = cp.get_pipeline(name=seed.pipeline)["pipeline"]
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            if action["name"] == name:
                action["configuration"].update(configuration)
    cp.update_pipeline(pipeline=pipeline)


def test_the_intact_seed_stack_has_no_finding_of_sources_or_artifacts(sandbox: Any) -> None:
    report = _report(sandbox, _seed(sandbox, "srcintact"))
    mine = [r for r in found(report) if r.split(":")[-1] in MINE]
    assert mine == [], report


def test_an_ecr_source_without_a_rule(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcnorule")
    events = sandbox.client("events")
    events.remove_targets(Rule=seed.rules[0], Ids=["codepipeline"])
    events.delete_rule(Name=seed.rules[0])
    report = _report(sandbox, seed)
    assert found(report) == ["source-no-change-detection"], report
    text = _text(report)
    assert "ImageSource (ECR srcnorule:latest)" in text and seed.pipeline in text
    assert "aws events put-rule --name" in text and '"image-tag":["latest"]' in text
    assert f"RoleArn={seed.events_role}" in text  # the role the other rule uses


def test_an_ecr_source_whose_rule_is_disabled(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcdisabled")
    sandbox.client("events").disable_rule(Name=seed.rules[0])
    report = _report(sandbox, seed)
    assert found(report) == ["source-no-change-detection"], report
    assert f"rule {seed.rules[0]} would, but is DISABLED" in _text(report)
    assert f"aws events enable-rule --name {seed.rules[0]}" in _text(report)


def test_a_codecommit_source_that_neither_polls_nor_has_a_rule(sandbox: Any) -> None:
    seed = _seed(sandbox, "srccc")
    events = sandbox.client("events")
    events.remove_targets(Rule=seed.rules[1], Ids=["codepipeline"])
    events.delete_rule(Name=seed.rules[1])
    report = _report(sandbox, seed)
    assert found(report) == ["source-no-change-detection"], report
    assert "CodeCommit srccc-deploy/main" in _text(report) and "does not poll" in _text(report)


def test_a_rule_whose_pattern_names_another_repository(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcmiss")
    sandbox.client("events").put_rule(Name=seed.rules[0], EventPattern=json.dumps(ecr_pattern("elsewhere", "latest")))
    report = _report(sandbox, seed)
    assert found(report) == ["source-rule-pattern-mismatch"], report
    assert f"Rule {seed.rules[0]} targets pipeline {seed.pipeline}" in _text(report)
    assert "a push to srcmiss:latest" in _text(report)


def test_a_rule_without_an_image_tag(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcanytag")
    pattern = ecr_pattern("srcanytag", "latest")
    del pattern["detail"]["image-tag"]
    sandbox.client("events").put_rule(Name=seed.rules[0], EventPattern=json.dumps(pattern))
    report = _report(sandbox, seed)
    assert found(report) == ["ecr-rule-matches-other-tags"], report
    assert "any tag to srcanytag" in _text(report) and "reads tag latest" in _text(report)


def test_a_polling_source_with_a_rule_too(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcpoll")
    _edit_action(sandbox, seed, "TemplateSource", PollForSourceChanges="true")
    report = _report(sandbox, seed)
    assert found(report) == ["source-polling-and-rule"], report
    assert f"rule {seed.rules[1]} also starts" in _text(report)


def test_an_events_role_that_does_not_trust_eventbridge(sandbox: Any) -> None:
    seed = _seed(sandbox, "srctrust")
    sandbox.client("iam").update_assume_role_policy(RoleName="srctrust-events", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    report = _report(sandbox, seed)
    assert found(report) == ["events-target-role-cannot-start"], report  # one finding for both rules
    text = _text(report)
    assert "srctrust-events, which does not trust events.amazonaws.com" in text
    assert all(name in text for name in seed.rules)
    assert "aws iam update-assume-role-policy --role-name srctrust-events" in text


def test_an_events_role_allowed_on_another_pipeline_only(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcperm")
    sandbox.client("iam").put_role_policy(RoleName="srcperm-events", PolicyName="start", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution",
                                                "Resource": seed.pipeline_arn + "-other"}]}))
    report = _report(sandbox, seed)
    assert found(report) == ["events-target-role-cannot-start"], report
    assert f"may not codepipeline:StartPipelineExecution on {seed.pipeline_arn}" in _text(report)


def test_a_target_without_a_role(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcnorole")
    sandbox.client("events").put_targets(Rule=seed.rules[0], Targets=[{"Id": "codepipeline", "Arn": seed.pipeline_arn}])
    report = _report(sandbox, seed)
    assert found(report) == ["events-target-role-cannot-start"], report
    assert f"Rule {seed.rules[0]} targets pipeline {seed.pipeline} with role (none), which has no RoleArn" in _text(report)


def test_a_role_policy_the_evaluator_cannot_read_is_not_checked(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcunread")
    sandbox.client("iam").put_role_policy(RoleName="srcunread-events", PolicyName="start", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution",
                                                "Resource": seed.pipeline_arn,
                                                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}))
    report = _report(sandbox, seed)
    assert found(report) == ["not-checked:events-target-role-cannot-start"], report
    assert "DateGreaterThan" in report.not_checked[0].reason


def test_an_s3_source_in_a_bucket_without_versioning(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcs3")
    bucket, key = use_s3_source(sandbox.client, seed, template_zip(seed), versioned=False)
    report = _report(sandbox, seed)
    assert found(report) == ["s3-source-bucket-not-versioned"], report
    assert f"Source bucket {bucket} is not versioned" in _text(report) and key in _text(report)
    assert f"aws s3api put-bucket-versioning --bucket {bucket}" in _text(report)


def test_an_events_role_whose_permissions_boundary_denies_the_start(sandbox: Any) -> None:
    seed = _seed(sandbox, "srcbound")
    iam = sandbox.client("iam")
    boundary = iam.create_policy(PolicyName="srcbound-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    iam.put_role_permissions_boundary(RoleName="srcbound-events", PermissionsBoundary=boundary["Policy"]["Arn"])
    report = _report(sandbox, seed)
    assert found(report) == ["events-target-role-cannot-start"], report
    assert f"permissions boundary {boundary['Policy']['Arn']}" in _text(report)
