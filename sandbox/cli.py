"""``bluegreen sandbox``: run the local AWS region in the foreground.

The lead registers :data:`sandbox_command` in the main CLI; it also runs on its own with
``python -m sandbox.cli``.
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from .server import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, start_sandbox


def _banner(handle: Any) -> str:
    env = handle.env
    lines = [
        f"bluegreen sandbox: local AWS region {handle.region}, account {handle.account_id}",
        f"  endpoint:  {handle.endpoint_url}",
        f"  registry:  {handle.registry_host}  (docker login -u AWS -p $(aws ecr get-login-password) {handle.registry_host})",
        f"  state:     {handle.state_dir}",
        "",
        "Use it from another shell:",
        f"  export AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']}",
        f"  export AWS_ACCESS_KEY_ID={env['AWS_ACCESS_KEY_ID']}",
        f"  export AWS_SECRET_ACCESS_KEY={env['AWS_SECRET_ACCESS_KEY']}",
        f"  export AWS_DEFAULT_REGION={env['AWS_DEFAULT_REGION']}",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=0, type=click.IntRange(0, 65535), show_default=True, help="Port (0: any free port)."
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(0),
    show_default=True,
    help="Delay every API answer by this many milliseconds.",
)
@click.option(
    "--state-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Keep CodeCommit repositories here across restarts.",
)
@click.option(
    "--account-id", default=DEFAULT_ACCOUNT_ID, show_default=True, help="The sandbox account id (12 digits)."
)
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="The sandbox region.")
def sandbox_command(
    host: str, port: int, latency_ms: float, state_dir: str | None, account_id: str, region: str
) -> None:
    """Run the local AWS region (moto + bluegreen's own services) until Ctrl-C."""
    if not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    try:
        handle = start_sandbox(
            host=host,
            port=port,
            latency_ms=latency_ms,
            state_dir=state_dir,
            account_id=account_id,
            region=region,
        )
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port."
        ) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        click.echo(_banner(handle))
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        click.echo("\nstopping the sandbox…", err=True)
        handle.stop()
        click.echo("sandbox stopped", err=True)


if __name__ == "__main__":
    sandbox_command()
