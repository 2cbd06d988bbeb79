"""The target options every stack command shares (`--sandbox`, `--profile`, `--region`),
and the connection they ask `bluegreen.aws.target.connect()` for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from bluegreen.errors import BadInput

F = TypeVar("F", bound=Callable[..., Any])


def target_options(command: F) -> F:
    command = click.option("--region", default=None,
                           help="AWS region (with -f: must match the config's region).")(command)
    command = click.option("--profile", default=None, envvar="AWS_PROFILE",
                           help="AWS profile from your AWS config.")(command)
    command = click.option("--sandbox", is_flag=True,
                           help="Use the local AWS region instead of AWS (started here if none is running).")(command)
    return command


@contextmanager
def connection(sandbox: bool, profile: str | None, region: str | None, config_region: str,
               concurrency: int = 10, say: Callable[[str], None] = lambda m: None) -> Iterator[Any]:
    """A `Connection` for the chosen target; a sandbox started for it lives as long as the block."""
    from bluegreen.aws.target import connect

    if region and region != config_region:
        raise BadInput(f"--region {region} differs from the config's region {config_region}",
                       "the stack lives in the config's region: drop --region or change 'region' in the config")
    with connect(sandbox, config_region, profile=profile, concurrency=concurrency, say=say) as made:
        yield made


def region_without_config(sandbox: bool, profile: str | None) -> str:
    """The region of a command with no config (doctor, import) when --region is not given:
    AWS_REGION / AWS_DEFAULT_REGION, else the profile's, else (the sandbox) its default region."""
    import os

    chosen = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if chosen:
        return chosen
    import boto3

    found = boto3.session.Session(profile_name=profile).region_name
    if found:
        return str(found)
    if sandbox:
        return "us-east-1"
    raise BadInput("--region: no region given and the AWS profile names none", "pass --region, e.g. --region us-east-1")
