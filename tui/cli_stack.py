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

from tui.cli import EXIT_BAD_INPUT, EXIT_FAILED, config_option, friendly_errors, quiet_second_interrupt
from tui.target import connection, target_options

ACTION_STYLE = {"create": "green", "update": "cyan", "in_sync": "dim", "conflict": "bold red",
                "blocked": "red", "error": "bold red"}

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
concurrency_option = click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 32),
                                  help="How many AWS calls run at once.")


def _say(as_json: bool) -> Any:
    return (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))


def _stack(connection: Any, config: Any, config_file: Path, concurrency: int = 16) -> Any:
    from bluegreen.engine.stack import Stack

    return Stack(connection.session, config, base_dir=config_file.resolve().parent, concurrency=concurrency)


def _print_plan(plan: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Plan", title_justify="left", show_lines=False)
    table.add_column("action")
    table.add_column("resource")
    table.add_column("why / what")
    for row in plan.rows:
        action = row.action.replace("_", " ")
        why = row.reason or row.detail
        if row.fix:
            why += f"\nfix: {row.fix}"
        table.add_row(f"[{ACTION_STYLE.get(row.action, '')}]{action}[/]", row.title, why)
    console = Console()
    console.print(table)
    console.print(", ".join(f"{n} {a.replace('_', ' ')}" for a, n in plan.counts().items()))


def _confirm(question: str, refusal: str, as_json: bool) -> None:
    """Ask on a terminal; elsewhere (CI, pipes, --json) only --yes may go ahead."""
    if as_json or not sys.stdin.isatty():
        click.echo(f"error: {refusal}; pass --yes to confirm", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.confirm(question, abort=True)


def _interruptible(run: Any, show: Any, verb: str, config_file: Path, planned: Any = ()) -> Any:
    """`run()`; on Ctrl-C, say what was done and what was not, and that a re-run resumes
    (every node finds its resource again), then exit 130. `planned`: the plan's rows, so
    that nodes that never started count as not done too."""
    try:
        return run()
    except KeyboardInterrupt:
        quiet_second_interrupt()
        state = getattr(show, "state", None)  # the live tree keeps the rows; JSON lines do not
        if state is not None:
            done = [r.title for r in state.rows.values() if r.done]
            finished = {r.node for r in state.rows.values() if r.done}
            left = [r.title for r in state.rows.values() if not r.done]
            left += [r.title for r in planned if r.node not in state.rows and r.node not in finished]
            click.echo(f"\nstopped by Ctrl-C: {len(done)} done, {len(left)} not done"
                       + (f" ({', '.join(left[:5])}{', ...' if len(left) > 5 else ''})" if left else ""), err=True)
        click.echo(f"run 'bluegreen {verb} -f {config_file}' again: it resumes where it stopped", err=True)
        sys.exit(130)


def changing_command(command: Any) -> Any:
    """The options of the commands that change the stack (apply, destroy)."""
    for option in (friendly_errors, click.option("--yes", is_flag=True, help="Do not ask for confirmation."),
                   concurrency_option, json_option, target_options, config_option):
        command = option(command)
    return click.command()(command)


def _refusal(plan: Any) -> int:
    """Exit code when the plan cannot go ahead: 2 for a config that names the impossible."""
    if plan.conflicts:
        return EXIT_BAD_INPUT
    if plan.errors:
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
    from bluegreen.model.configfile import load

    config = load(config_file)
    with connection(sandbox, profile, region, config.region, concurrency, _say(as_json)) as made:
        result = asyncio.run(_stack(made, config, config_file, concurrency).plan())
    if as_json:
        click.echo(json.dumps([row.__dict__ for row in result.rows], indent=2))
    else:
        _print_plan(result)
    sys.exit(_refusal(result))


@changing_command
def apply(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
          concurrency: int, yes: bool) -> None:
    """Create or update the whole stack (idempotent; a re-run resumes)."""
    from bluegreen.model.configfile import load
    from tui.progress import progress

    config = load(config_file)
    with connection(sandbox, profile, region, config.region, concurrency, _say(as_json)) as made:
        stack = _stack(made, config, config_file, concurrency)
        plan = asyncio.run(stack.plan())
        refusal = _refusal(plan)
        if refusal and as_json:  # --json: stdout stays JSON in every outcome
            click.echo(json.dumps([row.__dict__ for row in plan.rows], indent=2))
        elif refusal or (plan.changes and not yes and not as_json):
            _print_plan(plan)
        if refusal:
            what = "conflicts" if plan.conflicts else "errors"
            click.echo(f"nothing was changed: fix the {what} above first", err=True)
            sys.exit(refusal)
        if plan.changes and not yes:
            _confirm(f"Apply {len(plan.changes)} change(s)?", "apply would change resources", as_json)
        with progress(f"Applying stack {config.name} ({config.region})", as_json) as show:
            result = _interruptible(lambda: asyncio.run(stack.apply(show)), show, "apply", config_file,
                                    plan.rows)
        if result.outputs is not None and not as_json:
            out = result.outputs
            click.echo(f"load balancer: {out.production_url} (test: {out.test_url})")
            if out.production_url:
                from bluegreen.aws.probe import probe

                click.echo(f"  GET {out.production_url}: {probe(out.production_url, made.is_sandbox).text}")
            push = made.command_hint(f"bluegreen push -f {config_file}")
            click.echo(f"pipeline: {out.pipeline}; a push of {out.watched_image} deploys ({push})")
    sys.exit(0 if result.ok else EXIT_FAILED)


@changing_command
def destroy(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
            concurrency: int, yes: bool) -> None:
    """Delete everything the stack created (tagged bluegreen:stack), in reverse order."""
    from bluegreen.model.configfile import load
    from tui.progress import progress

    config = load(config_file)
    if not yes:
        _confirm(f"Delete every resource of stack {config.name!r} in {config.region}?",
                 "destroy deletes resources", as_json)
    with (connection(sandbox, profile, region, config.region, concurrency, _say(as_json)) as made,
          progress(f"Destroying stack {config.name} ({config.region})", as_json) as show):
        result = _interruptible(lambda: asyncio.run(_stack(made, config, config_file, concurrency).destroy(show)),
                                show, "destroy", config_file)
    if result.leftovers:
        click.echo("still tagged with this stack (delete by hand, or run destroy again):", err=True)
        for arn in result.leftovers:
            click.echo(f"  {arn}", err=True)
    sys.exit(0 if result.ok else EXIT_FAILED)


@click.command()
@config_option
@target_options
@json_option
@click.option("--tag", default=None, help="Image tag to push (default: image.tag from the config).")
@click.option("--no-follow", is_flag=True,
              help="Return once pushed instead of following the deployment the push starts.")
@friendly_errors
def push(config_file: Path, sandbox: bool, profile: str | None, region: str | None, as_json: bool,
         tag: str | None, no_follow: bool) -> None:
    """Build the image and push it to ECR; on a provisioned stack this starts a deployment,
    which is followed until it ends (a line per lifecycle event and traffic step)."""
    from bluegreen.model.configfile import load
    from tui.progress import progress

    config = load(config_file)
    watched = f"{config.image.repository}:{config.image.tag}"
    pushing = tag or config.image.tag
    say = _say(as_json)
    say(f"the pipeline {config.pipeline.name} deploys each push of {watched}")
    if pushing != config.image.tag:
        say(f"note: --tag {pushing} is not the watched tag {config.image.tag}: this push starts no deployment")
    with connection(sandbox, profile, region, config.region, say=say) as made:
        follower = None
        if not (no_follow or as_json) and pushing == config.image.tag:
            follower = _Follower(made, config)
        with progress(f"Building and pushing {config.image.repository}", as_json) as show:
            done = _stack(made, config, config_file).push(show, tag=tag)
        if not as_json:
            verb = "already in ECR" if done.skipped else "pushed"
            click.echo(f"{verb}: {done.repository_uri}:{done.tag} ({done.digest})")
        if follower is None or done.skipped:
            return
        followed = follower.follow()
    if followed.execution_id is None:
        click.echo("no pipeline execution started within a minute of the push: is the stack applied? "
                   f"(bluegreen status -f {config_file})", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"execution {followed.execution_id}: {followed.status}")
    sys.exit(0 if followed.ok else EXIT_FAILED)


class _Follower:
    """Lists the executions before the push, then follows the one the push starts."""

    def __init__(self, made: Any, config: Any) -> None:
        from bluegreen.watch.follow import before_push
        from bluegreen.watch.poller import Poller
        from bluegreen.watch.target import target_of

        self.poller = Poller.on(made, target_of(config))
        self.before = asyncio.run(before_push(self.poller))

    def follow(self) -> Any:
        from bluegreen.watch.follow import follow

        try:
            return asyncio.run(follow(self.poller, self.before, lambda line: click.echo(f"  {line}")))
        except KeyboardInterrupt:
            quiet_second_interrupt()
            click.echo("\nstopped following (Ctrl-C); the deployment goes on: bluegreen watch or status -f ...",
                       err=True)
            sys.exit(130)


@click.command()
@config_option
@target_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def unlock(config_file: Path, sandbox: bool, profile: str | None, region: str | None, yes: bool) -> None:
    """Remove the stack's lock left by a run that crashed (an apply or destroy holds it)."""
    from bluegreen.model.configfile import load

    config = load(config_file)
    with connection(sandbox, profile, region, config.region) as made:
        stack = _stack(made, config, config_file)
        holder = stack.lock_holder()
        if holder is None:
            click.echo(f"stack {config.name} is not locked")
            return
        if not yes:
            _confirm(f"Stack {config.name} is locked: {holder.describe()}. Remove the lock "
                     "(only if that run is no longer running)?", "unlock removes another run's lock", False)
        stack.unlock()
    click.echo(f"removed the lock of stack {config.name} ({holder.describe()})")
