"""Run every rule at once over one set of facts and gather the report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bluegreen.aws.session import AwsSession
from bluegreen.doctor.facts import Facts, NoSuchPipeline, Planned, Unavailable
from bluegreen.doctor.finding import SEVERITIES, Finding, NotChecked, Report
from bluegreen.doctor.rule import Rule
from bluegreen.errors import BadInput
from bluegreen.model.config import Config

# Said with every report: what an engineer might expect the doctor to look at, and it does not.
NOTES = ("network ACLs, and the egress rules of the tasks' security groups",)


def all_rules() -> list[Rule]:
    from bluegreen.doctor.rules import RULES

    return list(RULES)


async def diagnose(session: AwsSession, pipeline: str, rules: Sequence[Rule] | None = None,
                   facts: Facts | None = None) -> Report:
    """The findings of every rule (all of them by default) on the pipeline named."""
    chosen = list(rules) if rules is not None else all_rules()
    facts = facts or Facts(session, pipeline)
    started = time.monotonic()
    outcomes = await asyncio.gather(*(_run(rule, facts) for rule in chosen))
    findings = [f for outcome in outcomes for f in outcome.findings]
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f.severity], f.rule))
    skipped = tuple(rule.id for rule, outcome in zip(chosen, outcomes, strict=True) if outcome.skipped)
    return Report(pipeline=pipeline, region=session.region, findings=tuple(findings),
                  not_checked=tuple(o.not_checked for o in outcomes if o.not_checked is not None),
                  skipped=skipped, rules_run=len(chosen) - len(skipped),
                  seconds=time.monotonic() - started, calls=facts.calls, notes=NOTES)


async def examine(session: AwsSession, pipeline: str) -> Report:
    """`diagnose` for a person who named the pipeline: one that does not exist is bad input
    (exit 2 with how to list the pipelines), not a report full of rules not checked."""
    facts = Facts(session, pipeline)
    try:
        await facts.pipeline()
    except NoSuchPipeline as exc:
        raise BadInput(f"--pipeline {pipeline}: {exc.reason}",
                       f"check the name and the region (aws codepipeline list-pipelines --region {session.region})",
                       ) from None
    return await diagnose(session, pipeline, facts=facts)


async def check_config(session: AwsSession, config: Config) -> tuple[Report, bool]:
    """`validate --online`: the doctor on the stack's pipeline when it exists (True), else on
    what the config relies on in the account before apply creates the rest (False)."""
    from bluegreen.doctor.planned import PlannedFacts

    facts = Facts(session, config.pipeline.name)
    try:
        await facts.pipeline()
    except NoSuchPipeline:
        return await diagnose(session, config.pipeline.name, facts=PlannedFacts(session, config)), False
    return await diagnose(session, config.pipeline.name, facts=facts), True


@dataclass(frozen=True)
class _Outcome:
    """What one rule gave: findings, or why it could not check, or that it was skipped (it is
    only about what apply will create)."""

    findings: tuple[Finding, ...] = ()
    not_checked: NotChecked | None = None
    skipped: bool = False


async def _run(rule: Rule, facts: Facts) -> _Outcome:
    try:
        return _Outcome(findings=tuple(await rule.check(facts)))
    except Planned:
        return _Outcome(skipped=True)
    except Unavailable as exc:
        return _Outcome(not_checked=NotChecked(rule.id, exc.reason))
