"""``bluegreen sandbox``: run the local AWS region in the foreground.

The lead registers :data:`sandbox_command` in the main CLI; it also runs on its own with
``python -m bluegreen.sandbox.cli``.
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import click

from . import statedir
from .clock import MAX_TIME_SCALE
from .runtime import TASK_MODES
from .server import DEFAULT_ACCOUNT_ID, DEFAULT_PORT, DEFAULT_REGION, probe, start_sandbox


class StateDirError(click.ClickException):
    """A ``--state-dir`` the sandbox cannot use: one line, exit 2 (bad input, as a usage error)."""

    exit_code = 2

    def __init__(self, state_dir: str, problem: str) -> None:
        text = f"--state-dir {state_dir} {problem}. Fix or move it, or choose another --state-dir."
        super().__init__(" ".join(text.split()))  # one line, whatever the problem's text holds


def _banner(handle: Any) -> str:
    env = handle.env
    lines = [
        f"bluegreen sandbox: local AWS region {handle.region}, account {handle.account_id}",
        f"  endpoint:  {handle.endpoint_url}",
        f"  registry:  {handle.registry_host}  (docker login -u AWS -p $(aws ecr get-login-password) {handle.registry_host})",
        f"  state:     {handle.state_dir}",
        *(
            [f"  throttle:  {handle.router.throttle_rate:.0%} of "
             f"{'read calls (Describe*, Get*, List*, BatchGet*, Head*)' if handle.router.throttle_reads_only else 'API calls'}"
             " answered with a throttling error"]
            if handle.router.throttle_rate
            else []
        ),
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
    "--port",
    default=DEFAULT_PORT,
    type=click.IntRange(0, 65535),
    show_default=True,
    help=f"Port for the AWS APIs and the ECR registry (0: any free port). {DEFAULT_PORT} is where "
    "'bluegreen --sandbox' looks for a running sandbox.",
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
    type=click.Path(),  # checked by statedir.problem, in one line
    help="Keep CodeCommit repositories here across restarts.",
)
@click.option(
    "--account-id", default=DEFAULT_ACCOUNT_ID, show_default=True, help="The sandbox account id (12 digits)."
)
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="The sandbox region.")
@click.option(
    "--throttle-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="Answer this fraction of AWS API calls with the service's throttling error (retry tests).",
)
@click.option(
    "--throttle-reads-only",
    is_flag=True,
    default=False,
    help="Apply --throttle-rate to read calls only (Describe*, Get*, List*, BatchGet*, Head*); "
    "other calls are never throttled.",
)
@click.option(
    "--throttle-seed", default=None, type=int, help="Seed for choosing the throttled calls (reproducible runs)."
)
@click.option(
    "--tasks",
    default="auto",
    type=click.Choice(TASK_MODES),
    show_default=True,
    help="ECS tasks as containers on the local Docker engine (docker), simulated (simulated), "
    "or containers when an engine answers (auto).",
)
@click.option(
    "--time-scale",
    default=1.0,
    type=click.FloatRange(min=0, min_open=True, max=MAX_TIME_SCALE),
    show_default=True,
    help="Run AWS's waits this many times faster (60: a minute of CodeDeploy waiting takes a second).",
)
@click.option("--parent-pid", default=None, type=int, hidden=True,
              help="Stop when this process ends (set by the wizard, which starts the sandbox as a child).")
def sandbox_command(
    host: str,
    port: int,
    latency_ms: float,
    state_dir: str | None,
    account_id: str,
    region: str,
    throttle_rate: float,
    throttle_reads_only: bool,
    throttle_seed: int | None,
    tasks: str,
    time_scale: float,
    parent_pid: int | None,
) -> None:
    """Run the local AWS region (moto + bluegreen's own services) until Ctrl-C.

    It listens on 127.0.0.1:4599 unless --port says otherwise; 'bluegreen --sandbox' uses a
    sandbox running there (and starts its own, for one command, when none is)."""
    if not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    if state_dir is not None:
        problem = statedir.problem(Path(state_dir))
        if problem:
            raise StateDirError(state_dir, problem)
    try:
        handle = start_sandbox(
            host=host,
            port=port,
            latency_ms=latency_ms,
            state_dir=state_dir,
            account_id=account_id,
            region=region,
            throttle_rate=throttle_rate,
            throttle_seed=throttle_seed,
            throttle_reads_only=throttle_reads_only,
            time_scale=time_scale,
            tasks=tasks,
        )
    except OSError as exc:
        if state_dir is not None and exc.filename is not None:  # a file of the state folder, not the port
            raise StateDirError(state_dir, f"cannot be used ({exc.strerror or exc}: {exc.filename})") from exc
        where = f"http://{'127.0.0.1' if host in ('0.0.0.0', '', '::') else host}:{port}"
        if port and probe(where):
            raise click.ClickException(
                f"a bluegreen sandbox is already running at {where}: use it "
                f"(export AWS_ENDPOINT_URL={where}), or stop it, or pick another --port."
            ) from exc
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port."
        ) from exc
    except RuntimeError as exc:  # --tasks docker without an engine
        if "Docker engine" not in str(exc):
            raise
        raise click.ClickException(f"{exc}; start one, or use --tasks simulated") from exc
    except Exception as exc:
        if state_dir is None:
            raise
        # Whatever the checks above did not foresee in a state folder: still one line.
        raise StateDirError(state_dir, f"could not be read ({type(exc).__name__}: {exc})") from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    # SIGINT too: a shell starts `bluegreen sandbox &` with SIGINT ignored, and Ctrl-C or
    # `kill -INT` must still stop it cleanly.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(_banner(handle))
        while not stop.wait(0.5):
            if parent_pid is not None and os.getppid() != parent_pid:
                break  # the wizard that started us is gone (even killed): do not linger on the port
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        click.echo("\nstopping the sandbox…", err=True)
        handle.stop()
        click.echo("sandbox stopped", err=True)


if __name__ == "__main__":
    sandbox_command()
