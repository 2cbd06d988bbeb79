"""The stack most benchmarks measure: the starter config (`bluegreen init --sample`, with the
given text replacements) applied with the CLI on a sandbox whose tasks are real containers."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def sample_stack(time_scale: float, replacements: tuple[tuple[str, str], ...] = ()) -> Iterator[tuple[Any, Path]]:
    """(the sandbox's handle, the config's path), in a temporary folder that is the working
    directory meanwhile (BLUEGREEN_SANDBOX_URL points at the sandbox); afterwards the sandbox
    stops (its containers go with it) and the images the stack built are removed."""
    from click.testing import CliRunner

    from bluegreen.sandbox.server import start_sandbox
    from tui.cli import main as cli

    handle = start_sandbox(port=0, region="us-east-1", time_scale=time_scale, tasks="docker")
    os.environ["BLUEGREEN_SANDBOX_URL"] = handle.endpoint_url
    try:
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            run = CliRunner().invoke
            assert run(cli, ["init", "--sample", "site", "-o", "bluegreen.yaml"]).exit_code == 0
            config = Path(folder) / "bluegreen.yaml"
            text = config.read_text()
            for old, new in replacements:
                assert old in text, old
                text = text.replace(old, new)
            config.write_text(text)
            applied = run(cli, ["apply", "-f", str(config), "--sandbox", "--yes"])
            assert applied.exit_code == 0, applied.output
            yield handle, config
    finally:
        handle.stop()
        with contextlib.suppress(Exception):
            import docker

            client = docker.from_env()
            for image in client.images.list(name=f"{handle.registry_host}/my-app"):
                client.images.remove(image.id, force=True)
