"""Running the doctor in tests: the report of every rule on a pipeline, and its rule ids."""

from __future__ import annotations

import asyncio

from bluegreen.aws.session import AwsSession, Target
from bluegreen.doctor.diagnose import diagnose
from bluegreen.doctor.finding import Finding, Report
from bluegreen.sandbox.server import SandboxHandle
from support.seed_stack import SeedStack, build_seed_stack


def doctor_session(handle: SandboxHandle, region: str) -> AwsSession:
    return AwsSession(Target(endpoint_url=handle.endpoint_url, region=region))


def diagnosed(session: AwsSession, pipeline: str) -> Report:
    """Every rule's findings on the pipeline (all rules, so a test sees a stray finding too)."""
    return asyncio.run(diagnose(session, pipeline))


def found(report: Report) -> list[str]:
    """The rule ids of the findings, sorted; not-checked rules show as 'not-checked:<id>'."""
    return sorted([f.rule for f in report.findings] + [f"not-checked:{n.rule}" for n in report.not_checked])


def seeded(sandbox: SandboxHandle, app: str, complete: bool = True) -> SeedStack:
    """The seed procedure's stack, built with plain boto3 in the sandbox's region."""
    return build_seed_stack(sandbox.client, app=app, region=sandbox.region, complete=complete)


def report_of(sandbox: SandboxHandle, stack: SeedStack) -> Report:
    return diagnosed(doctor_session(sandbox, stack.region), stack.pipeline)


def only(report: Report, rule: str) -> Finding:
    """The one finding of `rule`, after checking it is the report's only finding."""
    assert found(report) == [rule], [(f.rule, f.finding) for f in report.findings] + list(report.not_checked)
    return report.findings[0]
