"""Containers when a Docker engine answers, simulation (saying why) when none does."""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import Future
from typing import Any

from .docker_runtime import DockerRuntime
from .engine import ClientFactory, default_client_factory, explanation
from .images import RegistryAuth
from .protocol import TaskRuntime
from .simulated import SimulatedRuntime

log = logging.getLogger("bluegreen.sandbox.runtime")

TASK_MODES = ("auto", "docker", "simulated")
FORCED_REASON = "simulated: the sandbox was started with --tasks simulated"


def runtime_for(
    registry_host: str,
    auth: RegistryAuth = None,
    *,
    client_factory: ClientFactory | None = None,
    time_scale: float = 1.0,
    ping_timeout_s: float = 2.0,
    sweep: bool = True,
    tasks: str = "auto",
) -> TaskRuntime:
    """A :class:`DockerRuntime` when the engine answers a ping within ``ping_timeout_s``
    (then, with ``sweep``, containers of killed sandboxes are removed first), else a
    :class:`SimulatedRuntime` whose reason says what the ping got. ``tasks``: ``"auto"`` (that
    choice), ``"docker"`` (an engine is required: RuntimeError without one) or ``"simulated"``
    (never a container, e.g. for tests of provisioning alone)."""
    if tasks not in TASK_MODES:
        raise ValueError(f"tasks must be one of {', '.join(TASK_MODES)}, not {tasks!r}")
    if tasks == "simulated":
        return SimulatedRuntime("chosen", time_scale=time_scale, reason=FORCED_REASON)
    factory = client_factory or default_client_factory
    why = _ping(factory, ping_timeout_s)
    if why is not None and tasks == "docker":
        raise RuntimeError(f"no Docker engine for the sandbox's tasks: {why}")
    if why is not None:
        log.info("tasks are simulated: %s", why)
        return SimulatedRuntime(why, time_scale=time_scale)
    runtime = DockerRuntime(factory, registry_host, auth, time_scale=time_scale)
    if sweep:
        try:
            removed = runtime.sweep_orphans()
        except Exception as exc:  # a failed sweep must not cost the sandbox its runtime
            log.warning("sweeping containers of earlier sandboxes failed: %s", explanation(exc))
        else:
            if removed:
                log.info("removed %d container(s) of sandboxes no longer running", len(removed))
    return runtime


def _ping(factory: ClientFactory, timeout_s: float) -> str | None:
    """None when the engine answered; else why not. In a helper thread: a client's own
    timeout is a minute, and an engine behind an unanswering socket would hold the sandbox's
    start that long."""
    answer: Future[None] = Future()

    def ping() -> None:
        client: Any = None
        try:
            client = factory()
            client.ping()
            answer.set_result(None)
        except BaseException as exc:
            answer.set_exception(exc)
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()

    threading.Thread(target=ping, name="bluegreen-docker-ping", daemon=True).start()
    try:
        answer.result(timeout=timeout_s)
    except TimeoutError:
        return f"the Docker engine did not answer a ping within {timeout_s:g} s"
    except Exception as exc:
        return f"{type(exc).__name__}: {explanation(exc)}"
    return None
