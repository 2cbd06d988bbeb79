"""`bluegreen doctor --pipeline NAME`: check any CodePipeline -> CodeDeploy -> ECS blue/green
setup on the account against the doctor's rules (docs/doctor.md).

Exit codes: 0 nothing found, 1 findings (or a failure), 2 bad input (no such pipeline, a bad
flag). Rules whose calls failed are listed as not checked; they do not change the exit code.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from tui.cli import EXIT_FAILED, friendly_errors
from tui.cli_stack import _say, json_option
from tui.target import connection, region_without_config, target_options


@click.command()
@click.option("--pipeline", required=True, help="The pipeline to check (its name in the region).")
@target_options
@json_option
@friendly_errors
def doctor(pipeline: str, sandbox: bool, profile: str | None, region: str | None, as_json: bool) -> None:
    """Check a blue/green pipeline for known mistakes: each with why it breaks and the fix."""
    from bluegreen.doctor.diagnose import examine
    from tui.doctor_text import report_lines

    where = region or region_without_config(sandbox, profile)
    with connection(sandbox, profile, None, where, say=_say(as_json)) as made:
        report = asyncio.run(examine(made.session, pipeline))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        for line in report_lines(report, color=sys.stdout.isatty()):
            click.echo(line)
    sys.exit(EXIT_FAILED if report.findings else 0)


def validate_online(config: Any, sandbox: bool, profile: str | None, region: str | None, as_json: bool) -> None:
    """`validate --online`: the doctor on the stack's pipeline when it exists, else on what the
    config relies on in the account (apply has not created the rest yet)."""
    from bluegreen.doctor.diagnose import check_config
    from tui.doctor_text import report_lines

    with connection(sandbox, profile, region, config.region, say=_say(as_json)) as made:
        report, exists = asyncio.run(check_config(made.session, config))
    if as_json:
        click.echo(json.dumps({**report.to_json(), "stackExists": exists}, indent=2))
    else:
        click.echo("offline rules: valid")
        click.echo("online: the stack's pipeline exists, checked as it stands on the account" if exists else
                   "online: the stack is not applied yet; checked what the config relies on in the account")
        for line in report_lines(report, color=sys.stdout.isatty()):
            click.echo(line)
    sys.exit(EXIT_FAILED if report.findings else 0)
