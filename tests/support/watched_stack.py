"""A stack to watch: the starter config (`bluegreen init --sample`) with the given replacements,
applied with the CLI on a sandbox whose tasks are real containers; removed with its containers
and images afterwards, even when a test fails."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bluegreen.aws.session import AwsSession, Target
from bluegreen.model.config import Config
from bluegreen.model.configfile import load
from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from bluegreen.watch.snapshot import WatchTarget
from bluegreen.watch.target import target_of
from tui.cli import main


@dataclass
class WatchedStack:
    handle: SandboxHandle
    session: AwsSession
    config: Config
    config_file: Path
    target: WatchTarget

    def cli(self, *args: str) -> Any:
        """`bluegreen <args> -f <config> --sandbox` on this stack's sandbox."""
        return CliRunner().invoke(main, [*args, "-f", str(self.config_file), "--sandbox"])


@contextlib.contextmanager
def watched_stack(docker_client: Any, folder: Path, time_scale: float,
                  replacements: tuple[tuple[str, str], ...]) -> Iterator[WatchedStack]:
    handle = start_sandbox(port=0, region="us-east-1", time_scale=time_scale, tasks="docker")
    instance = handle.services["runtime"].instance_id
    saved_url, saved_cwd = os.environ.get("BLUEGREEN_SANDBOX_URL"), os.getcwd()
    try:
        os.environ["BLUEGREEN_SANDBOX_URL"] = handle.endpoint_url
        os.chdir(folder)
        cli = CliRunner()
        assert cli.invoke(main, ["init", "--sample", "site", "-o", "bluegreen.yaml"]).exit_code == 0
        config_file = folder / "bluegreen.yaml"
        text = config_file.read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        config_file.write_text(text)
        applied = cli.invoke(main, ["apply", "-f", str(config_file), "--sandbox", "--yes"])
        assert applied.exit_code == 0, applied.output
        config = load(config_file)
        session = AwsSession(Target(endpoint_url=handle.endpoint_url, region="us-east-1"))
        yield WatchedStack(handle, session, config, config_file, target_of(config))
    finally:
        os.chdir(saved_cwd)
        if saved_url is None:
            os.environ.pop("BLUEGREEN_SANDBOX_URL", None)
        else:
            os.environ["BLUEGREEN_SANDBOX_URL"] = saved_url
        handle.stop()
        for container in docker_client.containers.list(all=True, filters={"label": f"bluegreen.sandbox={instance}"}):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        for image in docker_client.images.list(name=f"{handle.registry_host}/my-app"):
            with contextlib.suppress(Exception):
                docker_client.images.remove(image.id, force=True)


def set_version(stack: WatchedStack, version: str) -> None:
    """Make the next build of the sample site answer `version` (its VERSION build argument)."""
    text = stack.config_file.read_text()
    if "buildArgs:" not in text:
        text = text.replace("  context: site\n", "  context: site\n  buildArgs:\n    VERSION: '1'\n")
    import re

    stack.config_file.write_text(re.sub(r"VERSION: '\d+'", f"VERSION: '{version}'", text))
    stack.config = load(stack.config_file)
