"""`bluegreen plan | apply | destroy | push`: the engine from the command line.

Each command loads the config (bad input: exit 2), picks the target, and renders the
engine's events. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from tui.cli import EXIT_BAD_INPUT, EXIT_FAILED, config_option, friendly_errors
from tui.target import aws_session, target_options

ACTION_STYLE = {"create": "green", "update": "cyan", "in_sync": "dim", "conflict": "bold red",
                "blocked": "red", "error": "bold red"}

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
concurrency_option = click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 32),
                                  help="How many AWS calls run at once.")


def _say(as_json: bool) -> Any:
    return (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))


def _context(session: Any, config: Any, config_file: Path, on_event: Any) -> Any:
    from bluegreen.aws.context import Context

    return Context(session, config, on_event=on_event, base_dir=config_file.resolve().parent)


def _plan_rows(session: Any, config: Any, config_file: Path, concurrency: int) -> list[Any]:
    from bluegreen.aws import runner
    from bluegreen.aws.graph import build_nodes

    ctx = _context(session, config, config_file, lambda e: None)
    return asyncio.run(runner.plan(ctx, build_nodes(config), concurrency))


def _print_plan(rows: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Plan", title_justify="left", show_lines=False)
    table.add_column("action")
    table.add_column("resource")
    table.add_column("why / what")
    for row in rows:
        action = row.action.replace("_", " ")
        why = row.reason or row.detail
        if row.fix:
            why += f"\nfix: {row.fix}"
        table.add_row(f"[{ACTION_STYLE.get(row.action, '')}]{action}[/]", row.title, why)
    console = Console()
    console.print(table)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.action] = counts.get(row.action, 0) + 1
    console.print(", ".join(f"{n} {a.replace('_', ' ')}" for a, n in counts.items()))


def _confirm(question: str, refusal: str, as_json: bool) -> None:
    """Ask on a terminal; elsewhere (CI, pipes, --json) only --yes may go ahead."""
    if as_json or not sys.stdin.isatty():
        click.echo(f"error: {refusal}; pass --yes to confirm", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.confirm(question, abort=True)


def changing_command(command: Any) -> Any:
    """The options of the commands that change the stack (apply, destroy)."""
    for option in (friendly_errors, click.option("--yes", is_flag=True, help="Do not ask for confirmation."),
                   concurrency_option, json_option, target_options, config_option):
        command = option(command)
    return click.command()(command)


def _refusal(rows: list[Any]) -> int:
    """Exit code when the plan cannot go ahead: 2 for a config that names the impossible."""
    if any(r.action == "conflict" for r in rows):
        return EXIT_BAD_INPUT
    if any(r.action == "error" for r in rows):
        return EXIT_FAILED
    return 0


@click.command()
@config_option
@target_options
@json_option
@concurrency_option
@friendly_errors
def plan(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
         concurrency: int) -> None:
    """Show what apply would create, change or leave alone (read-only calls)."""
    from bluegreen.configfile import load

    config = load(config_file)
    with aws_session(sandbox, profile, region, config.region, concurrency, _say(as_json)) as session:
        rows = _plan_rows(session, config, config_file, concurrency)
    if as_json:
        click.echo(json.dumps([row.__dict__ for row in rows], indent=2))
    else:
        _print_plan(rows)
    sys.exit(_refusal(rows))


@changing_command
def apply(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
          concurrency: int, yes: bool) -> None:
    """Create or update the whole stack (idempotent; a re-run resumes)."""
    from bluegreen.aws import runner
    from bluegreen.aws.graph import build_nodes
    from bluegreen.configfile import load
    from tui.progress import progress

    config = load(config_file)
    with aws_session(sandbox, profile, region, config.region, concurrency, _say(as_json)) as session:
        rows = _plan_rows(session, config, config_file, concurrency)
        refusal = _refusal(rows)
        changes = [r for r in rows if r.action in ("create", "update")]
        if refusal or (changes and not yes and not as_json):
            _print_plan(rows)
        if refusal:
            click.echo("nothing was changed: fix the conflicts above first", err=True)
            sys.exit(refusal)
        if changes and not yes:
            _confirm(f"Apply {len(changes)} change(s)?", "apply would change resources", as_json)
        with progress(f"Applying stack {config.name} ({config.region})", as_json) as show:
            ctx = _context(session, config, config_file, show)
            result = asyncio.run(runner.apply(ctx, build_nodes(config), concurrency))
        if result.ok and not as_json:
            dns = ctx.get("lb.dns")
            lb = config.load_balancer
            click.echo(f"load balancer: http://{dns}:{lb.production_port}/ (test: :{lb.test_port})")
            click.echo(f"pipeline: {config.pipeline.name}; a push of {config.image.repository}:"
                       f"{config.image.tag} deploys (bluegreen push -f {config_file})")
    sys.exit(0 if result.ok else EXIT_FAILED)


@changing_command
def destroy(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
            concurrency: int, yes: bool) -> None:
    """Delete everything the stack created (tagged bluegreen:stack), in reverse order."""
    from bluegreen.aws import runner
    from bluegreen.aws.graph import build_nodes
    from bluegreen.aws.leftovers import leftovers
    from bluegreen.configfile import load
    from tui.progress import progress

    config = load(config_file)
    if not yes:
        _confirm(f"Delete every resource of stack {config.name!r} in {config.region}?",
                 "destroy deletes resources", as_json)
    with aws_session(sandbox, profile, region, config.region, concurrency, _say(as_json)) as session:
        with progress(f"Destroying stack {config.name} ({config.region})", as_json) as show:
            ctx = _context(session, config, config_file, show)
            result = asyncio.run(runner.destroy(ctx, build_nodes(config), concurrency))
        left = leftovers(session, config.name)
    if left:
        click.echo("still tagged with this stack (delete by hand, or run destroy again):", err=True)
        for arn in left:
            click.echo(f"  {arn}", err=True)
    sys.exit(0 if result.ok and not left else EXIT_FAILED)


@click.command()
@config_option
@target_options
@json_option
@click.option("--tag", default=None, help="Image tag to push (default: image.tag from the config).")
@friendly_errors
def push(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
         tag: str | None) -> None:
    """Build the image and push it to ECR; on a provisioned stack this starts a deployment."""
    from bluegreen.configfile import load
    from bluegreen.images import build_and_push
    from tui.progress import progress

    config = load(config_file)
    with (aws_session(sandbox, profile, region, config.region, say=_say(as_json)) as session,
          progress(f"Building and pushing {config.image.repository}", as_json) as show):
        done = build_and_push(session, config, on_event=show, tag=tag, base_dir=config_file.resolve().parent)
    if not as_json:
        verb = "already in ECR" if done.skipped else "pushed"
        click.echo(f"{verb}: {done.repository_uri}:{done.tag} ({done.digest})")
