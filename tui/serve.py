"""`bluegreen serve`: the app in a browser, through textual-serve.

Each browser tab that opens the page starts its own `bluegreen` process (the wizard, or with
`-f F` the monitor, `bluegreen watch -f F`) and shows it in a terminal on the page. Whoever
reaches the port drives that process with this machine's AWS credentials, so it listens on
loopback unless `--public` says otherwise.
"""

from __future__ import annotations

import ipaddress
import shlex
import shutil
import sys
from pathlib import Path

import click

from bluegreen.errors import BadInput, Failed
from tui.cli import friendly_errors
from tui.target import target_options

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def served_command(config_file: Path | None, sandbox: bool, profile: str | None, region: str | None,
                   program: list[str] | None = None) -> list[str]:
    """The command line each browser session runs: `bluegreen watch -f F` and the target flags,
    or without a config the wizard on the sandbox, as bare `bluegreen` starts (its first screen
    switches to an AWS account)."""
    program = program or bluegreen_program()
    if config_file is None:
        return [*program, "wizard", "--sandbox"]
    target = ["--sandbox"] if sandbox else []
    target += ["--profile", profile] if profile else []
    target += ["--region", region] if region else []
    return [*program, "watch", "-f", str(config_file.resolve()), *target]


def bluegreen_program() -> list[str]:
    """This installation's `bluegreen` (the script beside the running interpreter), so the page
    runs the same version as the server."""
    beside = Path(sys.executable).with_name("bluegreen")
    found = str(beside) if beside.is_file() else shutil.which("bluegreen")
    if found is None:
        raise Failed("no 'bluegreen' program found beside the Python interpreter or on PATH",
                     "install bluegreen with pip (pip install -e .) so its 'bluegreen' script exists")
    return [found]


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _check_port(host: str, port: int, url: str) -> None:
    """Refuse a port that is taken before textual-serve announces that it serves there."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind(infos[0][4])
    except OSError as exc:
        raise Failed(f"cannot listen on {url}: {exc.strerror or exc}", "pick another --port") from exc


def page_url(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host  # an IPv6 address in a URL
    return f"http://{shown}:{port}"


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on (loopback only, unless --public).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the page.")
@click.option("--public", is_flag=True,
              help="Allow a --host that is not loopback: anyone who reaches the port drives bluegreen "
                   "with this machine's AWS credentials.")
@click.option("-f", "--file", "config_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Serve the live monitor of this stack (bluegreen watch -f F) instead of the wizard.")
@target_options
@friendly_errors
def serve(host: str, port: int, public: bool, config_file: Path | None, sandbox: bool, profile: str | None,
          region: str | None) -> None:
    """The app in a browser: the wizard, or with -f the live monitor (one process per tab)."""
    if not public and not is_loopback(host):
        raise BadInput(f"--host {host} is not a loopback address, and whoever reaches the page drives bluegreen "
                       "with this machine's AWS credentials",
                       f"serve on --host {DEFAULT_HOST} (the default), or pass --public to listen on {host} anyway")
    if config_file is None and (profile or region):
        raise BadInput("--profile and --region go with -f F (the monitor); the wizard chooses its target "
                       "on its first screen", "drop them, or add -f F")
    if config_file is not None:
        from bluegreen.model.configfile import load

        load(config_file)  # bad input: one message and exit 2, before anything listens
    command = shlex.join(served_command(config_file, sandbox, profile, region))
    url = page_url(host, port)
    _check_port(host.strip("[]"), port, url)
    from textual_serve.server import Server

    server = Server(command, host=host.strip("[]"), port=port, title="bluegreen", public_url=url)
    try:
        server.serve()
    except OSError as exc:
        raise Failed(f"cannot listen on {url}: {exc.strerror or exc}", "pick another --port") from exc
