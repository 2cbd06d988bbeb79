"""`bluegreen import --pipeline NAME -o F`: a pipeline on the account as a bluegreen config.

Reads the setup through the doctor's facts (`bluegreen.doctor.adopt`), writes the config
atomically with a `# not expressible:` block at its top (each line on stderr too), then tags
the resources the stack takes over with bluegreen:stack=<name> (printing each), so that
`plan`, `apply` and `destroy` know them; `--no-tag` writes the file only.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import click

from tui.cli import EXIT_BAD_INPUT, friendly_errors
from tui.cli_stack import _say
from tui.target import region_without_config, target_options


@click.command(name="import")
@click.option("--pipeline", "pipeline", required=True, help="The CodePipeline pipeline to import.")
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the config.")
@click.option("--name", "stack_name", default=None,
              help="The stack name (default: the pipeline's bluegreen:stack tag, else its name).")
@click.option("--no-tag", "no_tag", is_flag=True,
              help="Write the file only; leave the resources untagged (plan then shows them as conflicts).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@target_options
@friendly_errors
def import_(pipeline: str, out_file: Path, stack_name: str | None, no_tag: bool, force: bool, sandbox: bool,
            profile: str | None, region: str | None) -> None:
    """Turn a blue/green pipeline on the account into a bluegreen config (and adopt its resources)."""
    from bluegreen.aws.target import connect
    from bluegreen.doctor.adopt import config_from_facts, tag_adopted
    from bluegreen.doctor.adopt_file import adopted_file_text
    from bluegreen.doctor.facts import Facts, Unavailable
    from bluegreen.errors import BadInput, Failed
    from bluegreen.model.files import write_atomic

    if out_file.exists() and not force:
        click.echo(f"error: -o {out_file} already exists. Fix: pick another path, or pass --force to "
                   "overwrite it.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    where = _checked_input(pipeline, stack_name, region or region_without_config(sandbox, profile))
    with connect(sandbox, where, profile=profile, say=_say(False)) as made:
        facts = Facts(made.session, pipeline)
        try:
            adopted = asyncio.run(config_from_facts(facts, name=stack_name))
        except Unavailable as exc:
            if exc.reason.startswith("no pipeline named"):
                raise BadInput(f"--pipeline: {exc.reason}",
                               f"list the pipelines with 'aws codepipeline list-pipelines --region {where}', "
                               "or pass --region") from None
            raise Failed(f"pipeline {pipeline} cannot be imported: {exc.reason}",
                         f"run 'bluegreen doctor --pipeline {pipeline}' to see what is missing") from None
        write_atomic(out_file, adopted_file_text(adopted, pipeline, where))
        for line in adopted.not_expressible:
            click.echo(f"not expressible: {line}", err=True)
        click.echo(f"wrote {out_file} (stack {adopted.config.name!r} in {where})")
        if no_tag:
            click.echo(f"not tagged (--no-tag): 'bluegreen plan -f {out_file}' shows the {len(adopted.resources)} "
                       f"resources the stack would own as conflicts until they carry bluegreen:stack="
                       f"{adopted.config.name}")
            return
        tagged = tag_adopted(made.session, adopted)
        for arn in tagged:
            click.echo(f"tagged {arn}")
        click.echo(f"{len(tagged)} resource(s) tagged bluegreen:stack={adopted.config.name}; "
                   f"{len(adopted.resources) - len(tagged)} carried the tag already")


def _checked_input(pipeline: str, stack_name: str | None, region: str) -> str:
    """Each flag against its rule before any call: exit 2 naming the flag, the rule, a fix."""
    from bluegreen.errors import BadInput
    from bluegreen.model import rules

    checks: list[tuple[str, Callable[[str], object], str | None]] = [
        ("--pipeline", rules.PIPELINE_NAME.check, pipeline), ("--name", rules.check_stack, stack_name),
        ("--region", rules.check_region, region)]
    for flag, check, value in checks:
        if value is None:
            continue
        try:
            check(value)
        except rules.RuleError as exc:
            raise BadInput(f"{flag}: {exc.rule}", exc.fix) from None
    return region
