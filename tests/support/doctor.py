"""Running the doctor in tests: the report of every rule on a pipeline, and its rule ids."""

from __future__ import annotations

import asyncio

from bluegreen.aws.session import AwsSession, Target
from bluegreen.doctor.diagnose import diagnose
from bluegreen.doctor.finding import Report
from bluegreen.sandbox.server import SandboxHandle


def doctor_session(handle: SandboxHandle, region: str) -> AwsSession:
    return AwsSession(Target(endpoint_url=handle.endpoint_url, region=region))


def diagnosed(session: AwsSession, pipeline: str) -> Report:
    """Every rule's findings on the pipeline (all rules, so a test sees a stray finding too)."""
    return asyncio.run(diagnose(session, pipeline))


def found(report: Report) -> list[str]:
    """The rule ids of the findings, sorted; not-checked rules show as 'not-checked:<id>'."""
    return sorted([f.rule for f in report.findings] + [f"not-checked:{n.rule}" for n in report.not_checked])
