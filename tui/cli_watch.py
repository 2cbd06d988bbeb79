"""`bluegreen status | watch | deploy ...`: the monitor's facts and controls from the command line.

`status` prints one snapshot (its exit code tells scripts the stack's health: docs/monitor.md),
`watch` opens the monitor screen, and each `deploy` subcommand is one of the monitor's keys.
All of them read the same `bluegreen.watch` snapshot the screen shows.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from tui.cli import EXIT_FAILED, config_option, friendly_errors
from tui.cli_stack import _confirm, _say, json_option
from tui.target import connection, target_options


def _load(config_file: Path) -> Any:
    from bluegreen.model.configfile import load

    return load(config_file)


def _snapshot(made: Any, config: Any) -> Any:
    from bluegreen.watch.poller import Poller
    from bluegreen.watch.target import target_of

    return asyncio.run(Poller.on(made, target_of(config)).poll())


@click.command()
@config_option
@target_options
@json_option
@friendly_errors
def status(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool) -> None:
    """One snapshot: executions, the deployment and its traffic split (exit code = health)."""
    from tui.status_text import status_lines

    config = _load(config_file)
    with connection(sandbox, profile, region, config.region, say=_say(as_json)) as made:
        snapshot = _snapshot(made, config)
    if as_json:
        click.echo(json.dumps(snapshot.to_json(), indent=2))
    else:
        for line in status_lines(snapshot):
            click.echo(line)
    sys.exit(snapshot.exit_code)


@click.command()
@config_option
@target_options
@friendly_errors
def watch(config_file: Path, sandbox: bool, profile: str | None, region: str | None) -> None:
    """The live monitor: executions, lifecycle, traffic and health, with controls."""
    from tui.monitor_app import run_monitor

    config = _load(config_file)
    with connection(sandbox, profile, region, config.region, say=_say(False)) as made:
        run_monitor(made, config, config_file)


def _steer(kind_name: str, help_text: str) -> click.Command:
    @click.command(name=kind_name, help=help_text)
    @config_option
    @target_options
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @friendly_errors
    def command(config_file: Path, sandbox: bool, profile: str | None, region: str | None, yes: bool) -> None:
        from bluegreen.watch.controls import ControlKind, offers, perform

        kind = ControlKind(kind_name)
        config = _load(config_file)
        with connection(sandbox, profile, region, config.region, say=_say(False)) as made:
            snapshot = _snapshot(made, config)
            offer = next(o for o in offers(snapshot) if o.kind is kind)
            if not offer.enabled:
                click.echo(f"error: cannot {offer.label.lower()} now: {offer.why_not}", err=True)
                sys.exit(EXIT_FAILED)
            if not yes:
                _confirm(f"{offer.confirm} Go ahead?", f"'deploy {kind_name}' changes a deployment", False)
            click.echo(asyncio.run(perform(made.session, snapshot, kind)))

    return command


# The subcommands, in the order the monitor's footer shows its keys; push is `bluegreen push`.
STEERING = (
    ("start", "Start a new pipeline execution (the latest source revisions)."),
    ("continue", "Reroute production traffic now (a deployment waiting for reroute)."),
    ("end-wait", "End the termination wait now: remove the original task set."),
    ("stop", "Stop the deployment and leave traffic where it is (no rollback)."),
    ("rollback", "Stop the deployment and roll back to the original task set."),
    ("retry", "Retry the failed actions of the failed stage of the latest execution."),
)


class _InOrder(click.Group):
    """Lists its subcommands in the order they were added: the monitor's keys' order."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=_InOrder)
def deploy() -> None:
    """Steer the stack's deployment, as the monitor's keys do."""


for _name, _help in STEERING:
    deploy.add_command(_steer(_name, _help))
