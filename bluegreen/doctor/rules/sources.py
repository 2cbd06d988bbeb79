"""Rules of the area 'sources' (docs/doctor-rules.md §1.1): does a change of each source start the
pipeline, once, with a role EventBridge can use?"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from bluegreen.doctor.facts import Action, EventRule, Facts
from bluegreen.doctor.finding import Finding
from bluegreen.doctor.role_documents import allows, role_name, role_policies, trusts
from bluegreen.doctor.rule import rule
from bluegreen.doctor.rules.event_patterns import (
    OTHER_TAG,
    change,
    change_events,
    describe,
    enabled,
    image_tag,
    matches,
    triggers,
)

EVENTS = "events.amazonaws.com"
START = "codepipeline:StartPipelineExecution"


def _names(rules: tuple[EventRule, ...] | list[EventRule]) -> str:
    return ", ".join(r.name for r in rules)


@rule("source-no-change-detection", "error", "sources")
async def no_change_detection(f: Facts) -> list[Finding]:
    out = []
    for t in await triggers(f):
        if t.matching or t.polls:
            continue
        if t.aimed:
            continue  # a rule meant for it misses: source-rule-pattern-mismatch says which
        polling = "" if t.action.provider == "ECR" else ", and does not poll (PollForSourceChanges false)"
        disabled = f" (rule {_names(t.disabled)} would, but is DISABLED)" if t.disabled else ""
        finding = (f"Source action {t.action.name} ({describe(t.action)}) has no enabled EventBridge rule "
                   f"targeting pipeline {f.pipeline_name}{disabled}{polling}: "
                   f"{change(t.action)} will not start the pipeline")
        why = ("An ECR source action is started only by an EventBridge rule (PollForSourceChanges does not apply "
               "to it)" if t.action.provider == "ECR" else
               "With PollForSourceChanges false, only an EventBridge rule starts the pipeline on a change") + \
            "; with none, nothing happens and no error is shown anywhere."
        if t.disabled:
            fix = f"aws events enable-rule --name {t.disabled[0].name}"
        else:
            name = f"{f.pipeline_name}-{t.action.name}".lower()[:64]
            pattern = await _pattern_for(f, t.action)
            fix = (f"aws events put-rule --name {name} --event-pattern '{pattern}' && "
                   f"aws events put-targets --rule {name} --targets "
                   f"Id=codepipeline,Arn={await f.pipeline_arn()},RoleArn={await _some_events_role(f)}")
        out.append(no_change_detection.finding(finding, why, fix))
    return out


async def _some_events_role(f: Facts) -> str:
    """The role another rule starts this pipeline with, for a fix to reuse; else a placeholder."""
    roles = [str(t.get("RoleArn")) for r in await f.event_rules() for t in r.targets if t.get("RoleArn")]
    return roles[0] if roles else f"arn:aws:iam::{await f.account()}:role/<a role trusting {EVENTS}>"


async def _pattern_for(f: Facts, action: Action) -> str:
    """The documented pattern for a change of this source (CodePipeline UG, EventBridge rule pages)."""
    c = action.configuration
    if action.provider == "ECR":
        pattern = {"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                   "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"],
                              "repository-name": [c.get("RepositoryName", "")], "image-tag": [image_tag(action)]}}
    elif action.provider == "CodeCommit":
        account = await f.account()
        pattern = {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                   "resources": [f"arn:aws:codecommit:{f.region}:{account}:{c.get('RepositoryName', '')}"],
                   "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                              "referenceName": [c.get("BranchName", "")]}}
    else:
        pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"],
                   "detail": {"bucket": {"name": [c.get("S3Bucket", "")]},
                              "object": {"key": [c.get("S3ObjectKey", "")]}}}
    return json.dumps(pattern, separators=(",", ":"))


@rule("source-rule-pattern-mismatch", "error", "sources")
async def rule_pattern_mismatch(f: Facts) -> list[Finding]:
    out = []
    for t in await triggers(f):
        if t.matching:
            continue
        for r in t.aimed:
            finding = (f"Rule {r.name} targets pipeline {f.pipeline_name} but its pattern does not match "
                       f"{change(t.action)} (source action {t.action.name})")
            why = ("EventBridge starts a target only for events that match every field of the pattern: "
                   f"{change(t.action)} never starts the pipeline"
                   + (" (polling still does)" if t.polls else "") + f". The pattern: {json.dumps(r.pattern)}")
            fix = (f"aws events put-rule --name {r.name} --event-pattern '{await _pattern_for(f, t.action)}' "
                   "(the same name replaces the pattern)")
            out.append(rule_pattern_mismatch.finding(finding, why, fix, severity="warning" if t.polls else None))
    return out


@rule("ecr-rule-matches-other-tags", "warning", "sources")
async def ecr_rule_matches_other_tags(f: Facts) -> list[Finding]:
    out = []
    for t in await triggers(f):
        if t.action.provider != "ECR" or not t.matching:
            continue
        tag = image_tag(t.action)
        other = await change_events(f, t.action, tag=OTHER_TAG if tag != OTHER_TAG else OTHER_TAG + "-2")
        hits = await asyncio.gather(*(matches(f, r, other) for r in t.matching))
        repo = t.action.configuration.get("RepositoryName", "")
        for r, hit in zip(t.matching, hits, strict=True):
            if not hit:
                continue
            pattern = dict(r.pattern or {})
            detail = dict(pattern.get("detail") or {})
            detail["image-tag"] = [tag]
            pattern["detail"] = detail
            out.append(ecr_rule_matches_other_tags.finding(
                f"Rule {r.name} starts pipeline {f.pipeline_name} on a push of any tag to {repo}, but source "
                f"action {t.action.name} reads tag {tag}: pushes of other tags redeploy {tag}",
                "The ECR source action always outputs the image of its ImageTag; a rule without "
                "detail.image-tag matches every push, so each push of another tag starts an execution that "
                f"deploys {repo}:{tag} again.",
                f"aws events put-rule --name {r.name} --event-pattern '{json.dumps(pattern, separators=(',', ':'))}'"))
    return out


@rule("source-polling-and-rule", "warning", "sources")
async def polling_and_rule(f: Facts) -> list[Finding]:
    out = []
    for t in await triggers(f):
        if not (t.polls and t.matching):
            continue
        out.append(polling_and_rule.finding(
            f"Source action {t.action.name} ({describe(t.action)}) polls (PollForSourceChanges true"
            f"{'' if 'PollForSourceChanges' in t.action.configuration else ', its default when absent'}) and rule "
            f"{_names(t.matching)} also starts pipeline {f.pipeline_name}: each change starts it twice",
            "CodePipeline: \"If you create a CloudWatch Events rule or webhook, you must set the parameter to "
            "false to avoid triggering the pipeline more than once.\"",
            f"aws codepipeline get-pipeline --name {f.pipeline_name} > p.json; in action {t.action.name} set "
            "\"PollForSourceChanges\": \"false\", drop \"metadata\"; "
            "aws codepipeline update-pipeline --cli-input-json file://p.json"))
    return out


@rule("events-target-role-cannot-start", "error", "sources")
async def target_role_cannot_start(f: Facts) -> list[Finding]:
    pipeline_arn, account = await asyncio.gather(f.pipeline_arn(), f.account())
    rules = [r for r in await f.event_rules() if enabled(r)]
    targets = [(r, t) for r in rules for t in r.targets]
    problems = await asyncio.gather(*(_role_problem(f, r, str(t.get("RoleArn") or ""), pipeline_arn, account)
                                      for r, t in targets))
    grouped: dict[tuple[str, str, str], list[tuple[EventRule, dict[str, object]]]] = defaultdict(list)
    for (r, t), found in zip(targets, problems, strict=True):
        if found is not None:
            grouped[(str(t.get("RoleArn") or ""), *found)].append((r, dict(t)))
    out = []
    for (role, problem, fix), users in grouped.items():
        names = ", ".join(r.name for r, _ in users)
        subject = f"Rule {names} targets" if len(users) == 1 else f"Rules {names} target"
        out.append(target_role_cannot_start.finding(
            f"{subject} pipeline {f.pipeline_name} with role {role_name(role) if role else '(none)'}, "
            f"which {problem}",
            "EventBridge starts a CodePipeline target with the target's RoleArn: the role must trust "
            f"{EVENTS} and allow {START} on {pipeline_arn}. A failed start shows no error: no execution "
            "starts, and the rule's FailedInvocations metric (AWS/Events, dimension RuleName) counts it.",
            fix.replace("<rule>", users[0][0].name).replace("<target-id>", str(users[0][1].get("Id", "")))))
    return out


async def _role_problem(f: Facts, r: EventRule, role_arn: str, pipeline_arn: str,
                        account: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) of the target's role, or None when it can start the pipeline."""
    statement = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": START, "Resource": pipeline_arn}]}, separators=(",", ":"))
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": EVENTS}, "Action": "sts:AssumeRole"}]}, separators=(",", ":"))
    if not role_arn:
        return ("has no RoleArn", f"aws events put-targets --rule <rule> --targets "
                f"Id=<target-id>,Arn={pipeline_arn},RoleArn=arn:aws:iam::{account}:role/<role>")
    name = role_name(role_arn)
    role = await role_policies(f, role_arn)
    if role is None:
        return (f"does not exist ({role_arn})",
                f"aws iam create-role --role-name {name} --assume-role-policy-document '{trust}' && "
                f"aws iam put-role-policy --role-name {name} --policy-name start-pipeline "
                f"--policy-document '{statement}'")
    # What EventBridge's AssumeRole carries (its confused-deputy keys): the rule and its account.
    if not trusts(role, EVENTS, {"aws:SourceAccount": account, "aws:SourceArn": r.arn}):
        return (f"does not trust {EVENTS}",
                f"aws iam update-assume-role-policy --role-name {name} --policy-document '{trust}'")
    decision = allows(role, START, pipeline_arn)
    if decision:
        return None
    if decision.policy.startswith("permissions boundary"):
        return (f"may not {START} on {pipeline_arn} ({decision})",
                f"allow {START} on {pipeline_arn} in the role's {decision.policy}, or remove the boundary: "
                f"aws iam delete-role-permissions-boundary --role-name {name}")
    return (f"may not {START} on {pipeline_arn} ({decision})",
            f"aws iam put-role-policy --role-name {name} --policy-name start-pipeline --policy-document '{statement}'")


@rule("s3-source-bucket-not-versioned", "error", "sources")
async def s3_bucket_not_versioned(f: Facts) -> list[Finding]:
    sources = [a for a in await f.sources() if a.provider == "S3"]
    answers = await asyncio.gather(*(f.call("s3", "get_bucket_versioning", missing=("NoSuchBucket",),
                                            Bucket=a.configuration.get("S3Bucket", "")) for a in sources))
    out = []
    for action, answer in zip(sources, answers, strict=True):
        bucket, key = action.configuration.get("S3Bucket", ""), action.configuration.get("S3ObjectKey", "")
        if answer is None:
            out.append(s3_bucket_not_versioned.finding(
                f"Source bucket {bucket} of action {action.name} does not exist: the S3 source action cannot "
                f"read {key}", "The S3 source action reads its object from a versioned bucket.",
                f"aws s3api create-bucket --bucket {bucket} && aws s3api put-bucket-versioning --bucket {bucket} "
                "--versioning-configuration Status=Enabled, then upload the zip"))
            continue
        status = str(answer.get("Status") or "never enabled")
        if status == "Enabled":
            continue
        out.append(s3_bucket_not_versioned.finding(
            f"Source bucket {bucket} is not versioned (versioning {status}): the S3 source action of "
            f"{action.name} cannot read {key}",
            "The S3 source action requires a versioned bucket (CodePipeline UG, S3 source action reference).",
            f"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled"))
    return out
