"""Where AWS calls go: one `connect()` for the wizard and every CLI command.

The target is either AWS (the standard credential chain, or a profile) or the local
sandbox. For the sandbox the policy is the same everywhere:

1. the endpoint is `BLUEGREEN_SANDBOX_URL`, else http://127.0.0.1:4599;
2. a bluegreen sandbox already answering there is used, whatever the stack's region (one
   sandbox serves every region, as AWS does; the one it was started with only names its
   default);
3. else one is started there, for as long as the connection lives: in this process for
   a CLI command, in a child process for the wizard (in-process, the registry's request
   handling would stall the screen);
4. if that port is taken by something that is not a sandbox, one is started on a free
   port and the connection says so: its `note` and `command_hint()` name the endpoint
   actually used, so a hint printed to the user works when pasted.

This module is the only one that imports `bluegreen.sandbox` (an import-linter contract).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from bluegreen.aws.session import AwsSession, Identity, Target
from bluegreen.errors import BadInput, Failed

SANDBOX_URL_ENV = "BLUEGREEN_SANDBOX_URL"
DEFAULT_SANDBOX_PORT = 4599
DEFAULT_SANDBOX_URL = f"http://127.0.0.1:{DEFAULT_SANDBOX_PORT}"

Runner = Literal["thread", "process"]


def sandbox_url() -> str:
    """The endpoint every `--sandbox` command and the wizard look at first."""
    return os.environ.get(SANDBOX_URL_ENV, DEFAULT_SANDBOX_URL).rstrip("/")


@dataclass
class Connection:
    """A live session on the chosen target. Close it (or use it as a context manager) to
    stop a sandbox this connection started; a sandbox it found running is left alone."""

    session: AwsSession
    where: str  # "local sandbox at http://127.0.0.1:4599", "AWS profile default"
    note: str = ""  # something the user should know (the default port was taken...)
    started_sandbox: bool = False
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        return self.session.region

    @property
    def endpoint_url(self) -> str | None:
        return self.session.target.endpoint_url

    @property
    def is_sandbox(self) -> bool:
        return self.session.target.is_sandbox

    def identity(self) -> Identity:
        return self.session.identity()

    def aws_time_scale(self) -> float:
        """How many times faster than AWS the target runs CodeDeploy's minutes: the sandbox's
        --time-scale (asked of it), 1 on AWS. The monitor counts waits' time left with it."""
        if not self.is_sandbox or not self.endpoint_url:
            return 1.0
        from bluegreen.sandbox.server import sandbox_time_scale

        return sandbox_time_scale(self.endpoint_url)

    def command_hint(self, command: str) -> str:
        """`command` (a bluegreen command line) as the user must type it to reach this
        same target from another terminal."""
        if not self.is_sandbox:
            profile = self.session.target.profile
            return f"{command} --profile {profile}" if profile else command
        prefix = "" if self.endpoint_url == sandbox_url() else f"{SANDBOX_URL_ENV}={self.endpoint_url} "
        return f"{prefix}{command} --sandbox"

    def close(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(sandbox: bool, region: str, profile: str | None = None, concurrency: int = 10,
            runner: Runner = "thread", say: Callable[[str], None] = lambda m: None) -> Connection:
    """A connection to AWS (`sandbox=False`) or to the local sandbox, in `region`."""
    if not sandbox:
        session = AwsSession(Target(profile=profile, region=region), concurrency=concurrency)
        return Connection(session, f"AWS profile {profile or 'default'}")
    from bluegreen.sandbox.server import probe

    url = sandbox_url()
    host, port = _host_port(url)  # checked before anything is sent: loopback only
    if probe(url):
        say(f"using the sandbox at {url}")
        return _sandbox_connection(url, region, concurrency, started=False)
    note = ""
    if not _port_free(host, port):
        port = _free_port(host)
        note = (f"port {urlsplit(url).port} is taken by a program that is not a bluegreen sandbox; "
                f"the sandbox runs on {host}:{port} instead")
        say(note)
    if runner == "process":
        from bluegreen.sandbox.process import spawn_sandbox

        child = spawn_sandbox(port=port, region=region, host=host)
        connection = _sandbox_connection(child.endpoint_url, region, concurrency, started=True,
                                         stop=child.stop, note=note)
    else:
        from bluegreen.sandbox.server import start_sandbox

        say("starting a sandbox in this process; it stops when the command ends "
            "(run 'bluegreen sandbox' in another terminal to keep one)")
        handle = start_sandbox(host=host, port=port, region=region)
        connection = _sandbox_connection(handle.endpoint_url, region, concurrency, started=True,
                                         stop=handle.stop, note=note)
    return connection


def _sandbox_connection(url: str, region: str, concurrency: int, started: bool,
                        stop: Callable[[], None] | None = None, note: str = "") -> Connection:
    session = AwsSession(Target(endpoint_url=url, region=region), concurrency=concurrency)
    return Connection(session, f"local sandbox at {url}", note, started, stop)


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise BadInput(f"{SANDBOX_URL_ENV}={url} is not an http:// URL",
                       f"set it like {DEFAULT_SANDBOX_URL}, or unset it")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        # The sandbox is a local region: its registry and load balancers live on loopback.
        raise BadInput(f"{SANDBOX_URL_ENV}={url} is not a loopback address; the sandbox runs on this "
                       "machine only", f"set it like {DEFAULT_SANDBOX_URL}, or unset it")
    return parts.hostname, parts.port or 80


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def sandbox_command() -> Any:
    """The `bluegreen sandbox` click command (the sandbox's own CLI)."""
    from bluegreen.sandbox.cli import sandbox_command as command

    return command


def describe_failure(exc: BaseException) -> str:
    """One line for a connection that could not be made (shown by the wizard)."""
    if isinstance(exc, Failed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
