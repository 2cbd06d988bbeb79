"""Tasks without a Docker engine: SimulatedRuntime, and runtime_for choosing it with a reason."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from runtime_support import new_task_id, spec_for

from bluegreen.sandbox.runtime import (
    PROVISIONING,
    RUNNING,
    STOPPED,
    STOPPED_BY_USER_REASON,
    USER_INITIATED,
    SimulatedRuntime,
    TaskRuntime,
    runtime_for,
)

WHY = "FileNotFoundError: no socket at /var/run/docker.sock"
SAID = f"simulated: no Docker engine reachable ({WHY})"
CONTAINER = {"name": "web", "image": "127.0.0.1:1/web:v1", "portMappings": [{"containerPort": 80}]}


@pytest.fixture
def slow() -> Iterator[SimulatedRuntime]:
    """Tasks that stay before RUNNING for the whole test (an hour's start delay)."""
    runtime = SimulatedRuntime(WHY, start_delay_s=3600)
    yield runtime
    runtime.close()


@pytest.fixture
def quick() -> Iterator[SimulatedRuntime]:
    runtime = SimulatedRuntime(WHY, start_delay_s=1.0, time_scale=100)
    yield runtime
    runtime.close()


def test_it_is_a_task_runtime_that_says_it_simulates(quick: SimulatedRuntime) -> None:
    assert isinstance(quick, TaskRuntime)
    assert quick.simulated and quick.sweep_orphans() == []


def test_a_task_starts_provisioning_and_every_status_says_why(slow: SimulatedRuntime) -> None:
    task_id = new_task_id()
    launched = slow.start_async(spec_for(task_id, [CONTAINER]))

    status = slow.status(task_id)
    assert status.last_status == PROVISIONING and not launched.done()
    assert status.status_reason == SAID
    assert [c.reason for c in status.containers] == [SAID]


def test_a_task_runs_after_the_scaled_delay_without_ports(quick: SimulatedRuntime) -> None:
    task_id = new_task_id()

    started = quick.start(spec_for(task_id, [CONTAINER]))

    assert started.status.last_status == RUNNING
    assert started.ports == {} and started.status.ports == {}  # nothing to register as a target
    assert started.status.status_reason == SAID
    assert quick.status(task_id).container("web").network_bindings == ()
    ((stamp, line),) = quick.logs(task_id, "web")
    assert line == SAID
    assert quick.logs(task_id, "web", since=stamp + 1) == []


def test_a_stop_before_running_answers_the_waiting_start(slow: SimulatedRuntime) -> None:
    task_id = new_task_id()
    launched = slow.start_async(spec_for(task_id, [CONTAINER]))

    stopped = slow.stop(task_id, STOPPED_BY_USER_REASON)

    assert (stopped.last_status, stopped.stopped_reason, stopped.stop_code) == (
        STOPPED,
        STOPPED_BY_USER_REASON,
        USER_INITIATED,
    )
    assert stopped.status_reason == SAID
    assert launched.result(timeout=5).status.last_status == STOPPED
    again = slow.stop(task_id, "Scaling activity initiated by (deployment ecs-svc/1)")
    assert again.stopped_reason == STOPPED_BY_USER_REASON  # the first reason stays


def test_stop_all_close_and_bad_ids(quick: SimulatedRuntime) -> None:
    ids = [new_task_id(), new_task_id()]
    for task_id in ids:
        quick.start(spec_for(task_id, [CONTAINER]))
    with pytest.raises(ValueError):
        quick.start_async(spec_for(ids[0], [CONTAINER]))
    with pytest.raises(KeyError):
        quick.status("no-such-task")
    with pytest.raises(KeyError):
        quick.logs(ids[0], "no-such-container")

    quick.stop_all()

    assert [s.last_status for s in quick.tasks()] == [STOPPED, STOPPED]
    quick.close()
    with pytest.raises(RuntimeError):
        quick.start_async(spec_for(new_task_id(), [CONTAINER]))


class _Refused:
    def ping(self) -> None:
        raise ConnectionRefusedError("connection refused")

    def close(self) -> None:
        pass


def test_runtime_for_simulates_when_the_engine_refuses() -> None:
    runtime = runtime_for("127.0.0.1:1", client_factory=_Refused)
    try:
        assert isinstance(runtime, SimulatedRuntime)
        assert runtime.reason == "simulated: no Docker engine reachable (ConnectionRefusedError: connection refused)"
    finally:
        runtime.close()


def test_runtime_for_simulates_when_the_engine_never_answers() -> None:
    release = threading.Event()

    class Silent:
        def ping(self) -> None:
            release.wait(30)

        def close(self) -> None:
            pass

    def factory() -> Any:
        return Silent()

    try:
        runtime = runtime_for("127.0.0.1:1", client_factory=factory, ping_timeout_s=0.2)
    finally:
        release.set()
    try:
        assert isinstance(runtime, SimulatedRuntime)
        assert (
            runtime.reason
            == "simulated: no Docker engine reachable (the Docker engine did not answer a ping within 0.2 s)"
        )
    finally:
        runtime.close()
