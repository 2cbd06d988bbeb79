"""Making the monitor for one stack: the watch core's poller as its feed, the controls bound to
the session, the production URL to probe, and (when the stack's config is known) the engine's
push for the push key. The wizard's Provision step, the Target screen's stack list and
`bluegreen watch` all open the monitor through `monitor_for`."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bluegreen.aws.target import Connection
from bluegreen.watch import controls
from bluegreen.watch.poller import Poller
from bluegreen.watch.snapshot import WatchTarget
from bluegreen.watch.urls import stack_urls

if TYPE_CHECKING:
    from bluegreen.model.config import Config
    from screens.monitor import MonitorScreen


@dataclass(frozen=True)
class Watched:
    """What the monitor needs, gathered off the UI thread (`prepare` makes blocking calls)."""

    connection: Connection
    target: WatchTarget
    production_url: str
    time_scale: float
    config: Config | None = None
    base_dir: Path | None = None
    config_file: Path | None = None  # read again at each push: the user edits it while watching


def prepare(connection: Connection, target: WatchTarget, config: Config | None = None,
            base_dir: Path | None = None, config_file: Path | None = None) -> Watched:
    """Blocking (a DescribeLoadBalancers and, on the sandbox, its health answer): call it from a
    thread worker, or before the app starts."""
    try:
        url = stack_urls(connection.session, target).production
    except Exception:
        url = ""  # the monitor's own polls say what is wrong with the account
    return Watched(connection, target, url, connection.aws_time_scale(), config, base_dir, config_file)


def monitor_for(watched: Watched) -> MonitorScreen:
    from screens.monitor import MonitorScreen

    session = watched.connection.session
    poller = Poller(session, watched.target, aws_time_scale=watched.time_scale)
    on_push = functools.partial(_push, watched) if watched.config is not None else None
    return MonitorScreen(poller, controls.offers, functools.partial(controls.perform, session),
                         probe_url=watched.production_url, sandbox=watched.connection.is_sandbox,
                         on_push=on_push)


async def _push(watched: Watched, progress: Callable[[str], None]) -> str:
    """The engine's push (docker build + push to ECR) of the config's image, in a thread; each
    build step and each layer's push state goes to `progress` (from that thread)."""
    from bluegreen.engine.stack import Stack
    from bluegreen.events import BuildStep, Event, PushProgress

    said = ""

    def step(event: Event) -> None:
        nonlocal said
        text = ""
        if isinstance(event, BuildStep):
            text = f"build step {event.step}/{event.total}: {event.text[:60]}"
        elif isinstance(event, PushProgress):
            text = f"layer {event.layer[:12]}: {event.status}"
        if text and text != said:
            said = text
            progress(text)

    config = watched.config
    if watched.config_file is not None:
        from bluegreen.errors import Failed
        from bluegreen.model.configfile import ConfigError, load

        try:
            config = await asyncio.to_thread(load, watched.config_file)  # as it is now, edits included
        except ConfigError as exc:
            raise Failed(f"{watched.config_file}: {exc.message()}", "fix the file, then push again") from None
        if config.name != watched.target.stack:
            raise Failed(f"{watched.config_file} is now the config of stack {config.name!r}, not of "
                         f"{watched.target.stack!r}", "push that stack from its own monitor")
    assert config is not None
    stack = Stack(watched.connection.session, config, base_dir=watched.base_dir)
    done = await asyncio.to_thread(stack.push, step)
    if done.skipped:
        return f"{done.repository_uri}:{done.tag} is already in ECR with this content: nothing new to deploy"
    return f"pushed {done.repository_uri}:{done.tag} ({done.digest[:19]}): the pipeline starts in a moment"
