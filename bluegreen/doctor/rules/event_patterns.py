"""Which EventBridge rules start the pipeline for which source action, decided by AWS's matcher.

For each source action the doctor builds the event AWS sends for a change of that source (an
"ECR Image Action" push of the action's tag, a "CodeCommit Repository State Change" of its
branch, an S3 "Object Created" of its key, in both forms S3 may send: EventBridge notifications
and a CloudTrail `PutObject` record) and asks `events.TestEventPattern` whether each rule that
targets the pipeline matches it: no local copy of the pattern language. A rule is *aimed at*
a source when its pattern's `source` names the source's service (`aws.ecr`, ...) and it matches
no other source action of the pipeline: that is the rule meant for it, even when it misses.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from bluegreen.doctor.facts import Action, EventRule, Facts

EVENT_SOURCES = {"ECR": "aws.ecr", "CodeCommit": "aws.codecommit", "S3": "aws.s3"}
# Fixed envelope values: the same synthetic event is the same TestEventPattern request, asked once.
EVENT_ID = "00000000-0000-4000-8000-00000000d0c7"
EVENT_TIME = "2024-01-01T00:00:00Z"
# A tag no one deploys, for "does the rule match a push of another tag?"
OTHER_TAG = "bluegreen-doctor-other-tag"


@dataclass(frozen=True)
class SourceTriggers:
    action: Action
    polls: bool  # PollForSourceChanges in effect (CodeCommit, S3; never ECR)
    matching: tuple[EventRule, ...]  # enabled rules whose pattern matches a change of this source
    aimed: tuple[EventRule, ...]  # enabled rules aimed at this source that do not match it
    disabled: tuple[EventRule, ...]  # DISABLED rules that would match or are aimed at it


def polls(action: Action) -> bool:
    """PollForSourceChanges in effect: absent means "true" for CodeCommit and S3 created through the
    CLI/API (CodePipeline UG, "Valid settings for the PollForSourceChanges parameter"); ECR never polls."""
    if action.provider not in ("CodeCommit", "S3"):
        return False
    return action.configuration.get("PollForSourceChanges", "true").strip().lower() != "false"


def describe(action: Action) -> str:
    """The source as a user names it: `ECR web:latest`, `CodeCommit web-deploy/main`, `S3 bucket/key`."""
    c = action.configuration
    if action.provider == "ECR":
        return f"ECR {c.get('RepositoryName', '')}:{image_tag(action)}"
    if action.provider == "CodeCommit":
        return f"CodeCommit {c.get('RepositoryName', '')}/{c.get('BranchName', '')}"
    if action.provider == "S3":
        return f"S3 {c.get('S3Bucket', '')}/{c.get('S3ObjectKey', '')}"
    return action.provider


def change(action: Action) -> str:
    """The change that should start the pipeline, in words."""
    c = action.configuration
    if action.provider == "ECR":
        return f"a push to {c.get('RepositoryName', '')}:{image_tag(action)}"
    if action.provider == "CodeCommit":
        return f"a commit to {c.get('RepositoryName', '')}/{c.get('BranchName', '')}"
    return f"an object {c.get('S3Bucket', '')}/{c.get('S3ObjectKey', '')}"


def image_tag(action: Action) -> str:
    return action.configuration.get("ImageTag") or "latest"  # the ECR action's default tag


def _envelope(f: Facts, account: str, source: str, detail_type: str, resources: list[str],
              detail: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "id": EVENT_ID, "detail-type": detail_type, "source": source, "account": account,
            "time": EVENT_TIME, "region": f.region, "resources": resources, "detail": detail}


async def change_events(f: Facts, action: Action, tag: str | None = None) -> list[dict[str, Any]]:
    """The events AWS sends for a change of this source (`tag`: an ECR push of another tag)."""
    account = await f.account()
    c = action.configuration
    if action.provider == "ECR":
        # The "ECR Image Action" event (ECR User Guide, "Amazon ECR events and EventBridge")
        return [_envelope(f, account, "aws.ecr", "ECR Image Action", [], {
            "result": "SUCCESS", "repository-name": c.get("RepositoryName", ""),
            "image-digest": "sha256:" + "0" * 64, "action-type": "PUSH", "image-tag": tag or image_tag(action)})]
    if action.provider == "CodeCommit":
        repo, branch = c.get("RepositoryName", ""), c.get("BranchName", "")
        return [_envelope(f, account, "aws.codecommit", "CodeCommit Repository State Change",
                          [f"arn:aws:codecommit:{f.region}:{account}:{repo}"], {
                              "event": "referenceUpdated", "repositoryName": repo, "referenceType": "branch",
                              "referenceName": branch, "referenceFullName": f"refs/heads/{branch}",
                              "commitId": "0" * 40, "oldCommitId": "1" * 40})]
    if action.provider == "S3":
        bucket, key = c.get("S3Bucket", ""), c.get("S3ObjectKey", "")
        # Either form may start an S3 source (docs/doctor-rules.md §1.1a: which one AWS's console
        # creates is unverified): EventBridge notifications, and CloudTrail data events.
        return [
            _envelope(f, account, "aws.s3", "Object Created", [f"arn:aws:s3:::{bucket}"], {
                "version": "0", "bucket": {"name": bucket}, "object": {"key": key, "size": 1},
                "reason": "PutObject"}),
            _envelope(f, account, "aws.s3", "AWS API Call via CloudTrail", [], {
                "eventSource": "s3.amazonaws.com", "eventName": "PutObject",
                "requestParameters": {"bucketName": bucket, "key": key},
                "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}]}),
        ]
    return []


async def matches(f: Facts, rule: EventRule, events: list[dict[str, Any]]) -> bool:
    """Does AWS's matcher say the rule's pattern matches any of these events?"""
    if rule.pattern is None or not events:
        return False
    pattern = json.dumps(rule.pattern, sort_keys=True)
    answers = await asyncio.gather(*(f.call("events", "test_event_pattern", EventPattern=pattern,
                                            Event=json.dumps(e, sort_keys=True)) for e in events))
    return any(bool(a.get("Result")) for a in answers)


def names_service(rule: EventRule, provider: str) -> bool:
    """Is the rule's pattern written for this source's service (its `source` field names it)?"""
    wanted = EVENT_SOURCES.get(provider)
    sources = (rule.pattern or {}).get("source")
    values = sources if isinstance(sources, list) else [sources]
    return wanted is not None and wanted in values


async def triggers(f: Facts) -> list[SourceTriggers]:
    """For each source action the doctor can judge (ECR, CodeCommit, S3), the rules that start it."""
    return await f.once("source triggers", lambda: _triggers(f))


async def _triggers(f: Facts) -> list[SourceTriggers]:
    sources = [a for a in await f.sources() if a.provider in EVENT_SOURCES]
    rules = [r for r in await f.event_rules() if r.pattern is not None]
    events = await asyncio.gather(*(change_events(f, a) for a in sources))
    hits = await asyncio.gather(*(asyncio.gather(*(matches(f, r, e) for r in rules)) for e in events))
    out = []
    for i, action in enumerate(sources):
        matched_elsewhere = {r.name for j, row in enumerate(hits) if j != i
                             for r, hit in zip(rules, row, strict=True) if hit}
        mine = [r for r, hit in zip(rules, hits[i], strict=True) if hit]
        aimed = [r for r, hit in zip(rules, hits[i], strict=True)
                 if not hit and names_service(r, action.provider) and r.name not in matched_elsewhere]
        out.append(SourceTriggers(
            action=action, polls=polls(action),
            matching=tuple(r for r in mine if enabled(r)),
            aimed=tuple(r for r in aimed if enabled(r)),
            disabled=tuple(r for r in mine + aimed if not enabled(r))))
    return out


def enabled(rule: EventRule) -> bool:
    # ENABLED, or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge API Reference, PutRule State)
    return rule.state.startswith("ENABLED")
