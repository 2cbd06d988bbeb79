"""The `bluegreen` command line.

Start-up time matters (`bench/startup`): modules are imported inside the commands that
need them, so `bluegreen --help` and `bluegreen render` never load boto3, docker or
Textual. Exit codes: 0 ok, 1 the operation failed, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from bluegreen import __version__
from tui.target import target_options

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def quiet_second_interrupt() -> None:
    """After a first Ctrl-C, the exit may wait for work in threads (a docker build) to let go;
    a second Ctrl-C ends the process at once, without a traceback."""
    import os
    import signal

    signal.signal(signal.SIGINT, lambda *_: os._exit(130))


def friendly_errors(command: F) -> F:
    """Bad input ends in one message and exit 2; other failures in one message and exit 1.

    A traceback only with --debug.
    """

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from bluegreen.errors import Failed
        from bluegreen.model.configfile import ConfigError

        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc.message()}", err=True)
            if kwargs.get("as_json"):
                click.echo(json.dumps({"error": exc.message(), "problems": [str(p) for p in exc.problems],
                                       "exit": EXIT_BAD_INPUT}))
            sys.exit(EXIT_BAD_INPUT)
        except Failed as exc:  # says what and how to fix it; BadInput exits 2, the rest 1
            click.echo(f"error: {exc}", err=True)
            if kwargs.get("as_json"):  # --json: stdout stays JSON in every outcome
                click.echo(json.dumps({"error": exc.message, "fix": exc.fix, "exit": exc.exit_code}))
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException:
            raise
        except OSError as exc:
            if not exc.filename:  # not about a path the user gave (a socket, the network...)
                if click.get_current_context().find_root().params.get("debug"):
                    raise
                click.echo(f"error: {exc} (run with --debug for details)", err=True)
                sys.exit(EXIT_FAILED)
            click.echo(f"error: {exc.filename}: {exc.strerror or exc}. Fix: check that the folder exists and that you "
                       "may write there, or pick another path", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            quiet_second_interrupt()
            click.echo("\nstopped (Ctrl-C)", err=True)
            sys.exit(130)
        except Exception as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"error: {exc} (run with --debug for details)", err=True)
            sys.exit(EXIT_FAILED)

    return run  # type: ignore[return-value]


config_option = click.option(
    "-f", "--file", "config_file", required=True,
    type=click.Path(dir_okay=False, path_type=Path), help="The stack's config (bluegreen.yaml).",
)


class LazyGroup(click.Group):
    """Commands whose modules are heavy (the sandbox loads moto and boto3) are imported
    only when run; `--help` lists them from the short help kept here."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "sandbox": ("bluegreen.aws.target:sandbox_command", "Run the local AWS region (the sandbox) on loopback."),
        "plan": ("tui.cli_stack:plan", "Show what apply would create, change or leave alone."),
        "apply": ("tui.cli_stack:apply", "Create or update the whole stack (idempotent; resumes)."),
        "destroy": ("tui.cli_stack:destroy", "Delete everything the stack created, in reverse order."),
        "push": ("tui.cli_stack:push", "Build the image and push it to ECR (starts a deployment)."),
        "unlock": ("tui.cli_stack:unlock", "Remove the stack's lock left by a crashed apply or destroy."),
        "status": ("tui.cli_watch:status", "One snapshot of executions, the deployment and traffic."),
        "watch": ("tui.cli_watch:watch", "The live monitor: executions, lifecycle, traffic, controls."),
        "deploy": ("tui.cli_watch:deploy", "Steer the deployment: start|continue|end-wait|stop|rollback|retry."),
        "serve": ("tui.serve:serve", "The app in a browser: the wizard, or with -f the monitor."),
        "import": ("tui.cli_import:import_", "Turn a blue/green pipeline on the account into a config (adopts it)."),
        "doctor": ("tui.cli_doctor:doctor", "Check a blue/green pipeline for known mistakes, with fixes."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attr = self.lazy[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):  # a factory that imports the command late
                command = command()
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(formatter.width - 20)))
            else:
                rows.append((name, self.lazy[name][1]))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="bluegreen")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Set up and watch blue/green deployments of a container app on AWS
    (CodePipeline -> CodeDeploy -> ECS Fargate behind an Application Load Balancer).

    With no command: the guided wizard, on the local sandbox."""
    if ctx.invoked_subcommand is None:
        from tui.app import run

        run(None, sandbox=True)


@main.command()
@click.option("-f", "--file", "config_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Start from this config's values.")
@click.option("--sandbox/--aws", default=True, show_default=True,
              help="Start on the local sandbox, or on an AWS account.")
@friendly_errors
def wizard(config_file: Path | None, sandbox: bool) -> None:
    """The guided setup: from nothing to a provisioned pipeline, screen by screen."""
    from tui.app import run

    if config_file is not None:
        from bluegreen.model.configfile import load

        load(config_file)  # bad input: one message and exit 2, before the screen opens
    run(config_file, sandbox=sandbox)


@main.command()
@config_option
@click.option("--online", is_flag=True,
              help="Also run the doctor's rules against the account (the stack's pipeline if it exists, "
                   "else what the config relies on: subnets, given security groups and roles).")
@target_options
@click.option("--json", "as_json", is_flag=True, help="With --online: print the doctor's report as JSON.")
@friendly_errors
def validate(config_file: Path, online: bool, sandbox: bool, profile: str | None, region: str | None,
             as_json: bool) -> None:
    """Check a config against every offline rule (names, limits, Fargate sizes, ports, hooks);
    with --online, against the account too (exit 1 when the doctor finds a mistake)."""
    from bluegreen.model.checks import offline_problems
    from bluegreen.model.configfile import ConfigError, load

    config = load(config_file)
    problems = offline_problems(config)  # the rules the wizard checks beyond the model's
    if problems:
        raise ConfigError(problems, str(config_file))
    if not online:
        click.echo(f"{config_file}: valid (stack {config.name!r} in {config.region})")
        return
    from tui.cli_doctor import validate_online

    validate_online(config, sandbox, profile, region, as_json)


@main.command()
@config_option
@click.option("-o", "--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
@friendly_errors
def render(config_file: Path, out_dir: Path) -> None:
    """Write every artifact (taskdef.json, appspec.yaml, requests, CloudFormation); no AWS calls."""
    from bluegreen.model.configfile import load
    from renderers.artifacts import render_all, unresolved
    from renderers.output import write_artifacts

    config = load(config_file)
    artifacts = render_all(config)
    write_artifacts(artifacts, out_dir)
    click.echo(f"wrote {len(artifacts)} files to {out_dir}/")
    for artifact in artifacts:
        click.echo(f"  {artifact.path}")
    missing = unresolved(artifacts)
    if missing:
        click.echo(f"placeholders filled in by 'bluegreen apply': {', '.join(missing)}")


@main.command()
@click.option("-o", "--out", "out_file", default="bluegreen.yaml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Where to write the config.")
@click.option("--sample", "sample_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Also write the offline sample website (a FROM scratch image) into this folder, "
                   "and build the config's image from it.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@friendly_errors
def init(out_file: Path, sample_dir: Path | None, force: bool) -> None:
    """Write a commented starter config (and, with --sample, a website to deploy)."""
    import os

    from bluegreen.model.files import write_atomic
    from bluegreen.model.starter import starter

    taken = [p for p in (out_file, sample_dir / "Dockerfile" if sample_dir else None) if p and p.exists()]
    if taken and not force:
        click.echo(f"error: {taken[0]} already exists. Fix: pick another path, "
                   "or pass --force to overwrite it.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    context = "."
    if sample_dir is not None:
        from bluegreen.images.sample import write_sample_site

        has_busybox = write_sample_site(sample_dir)
        context = Path(os.path.relpath(sample_dir.resolve(), out_file.resolve().parent)).as_posix()
        click.echo(f"wrote the sample website to {sample_dir}/")
        if not has_busybox:
            click.echo(f"note: its image needs a static busybox binary: install the Debian package "
                       f"busybox-static (or copy a static busybox to {sample_dir / 'busybox'}) before "
                       "'bluegreen push'", err=True)
    write_atomic(out_file, starter(context))
    click.echo(f"wrote {out_file}; edit it, then run: bluegreen validate -f {out_file}")
