"""Where a command's AWS calls go: the local sandbox (`--sandbox`) or AWS (profile/region).

`--sandbox` uses a sandbox already listening on 127.0.0.1:4599 (`bluegreen sandbox`), or
starts one inside this process for the command's lifetime.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from bluegreen.errors import BadInput

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SANDBOX_URL = "http://127.0.0.1:4599"


def target_options(command: F) -> F:
    command = click.option("--region", default=None, help="AWS region (must match the config's region).")(command)
    command = click.option("--profile", default=None, envvar="AWS_PROFILE",
                           help="AWS profile from your AWS config.")(command)
    command = click.option("--sandbox", is_flag=True,
                           help="Use the local AWS region instead of AWS (started here if none is running).")(command)
    return command


@contextmanager
def aws_session(sandbox: bool, profile: str | None, region: str | None, config_region: str,
                concurrency: int = 10, say: Callable[[str], None] = lambda m: None) -> Iterator[Any]:
    """An AwsSession for the chosen target; an in-process sandbox lives as long as the block."""
    from bluegreen.aws.session import AwsSession, Target

    if region and region != config_region:
        raise BadInput(f"--region {region} differs from the config's region {config_region}",
                       "the stack lives in the config's region: drop --region or change 'region' in the config")
    if not sandbox:
        yield AwsSession(Target(profile=profile, region=config_region), concurrency=concurrency)
        return
    url = os.environ.get("BLUEGREEN_SANDBOX_URL", DEFAULT_SANDBOX_URL).rstrip("/")
    from sandbox.server import sandbox_region

    served = sandbox_region(url)  # None: no bluegreen sandbox answers there
    if served is not None:
        if served != config_region:
            # Its CodeCommit, events and seeds live in its own region: a stack elsewhere
            # would half work. Say so instead.
            raise BadInput(f"the sandbox at {url} serves region {served}, but the config's region is "
                           f"{config_region}", f"set 'region: {served}' in the config, or restart the "
                           f"sandbox with 'bluegreen sandbox --region {config_region}'")
        say(f"using the sandbox at {url}")
        yield AwsSession(Target(endpoint_url=url, region=config_region), concurrency=concurrency)
        return
    from sandbox.server import start_sandbox

    say("starting a sandbox in this process; it stops when the command ends "
        "(run 'bluegreen sandbox' in another terminal to keep one)")
    with start_sandbox(port=0, region=config_region) as handle:
        yield AwsSession(Target(endpoint_url=handle.endpoint_url, region=config_region), concurrency=concurrency)
