"""The sandbox's clock and task mode: AWS's waits shrink by the time scale, wall-clock times do
not; tasks may be forced simulated."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from bluegreen.sandbox.cli import sandbox_command
from bluegreen.sandbox.clock import Clock


def test_waits_shrink_by_the_time_scale() -> None:
    clock = Clock(60)
    assert clock.real(60) == 1.0 and clock.aws(0.5) == 30.0 and clock.real(-5) == 0.0
    stop = threading.Event()
    stop.set()
    assert clock.sleep(3600, stop) is True  # a set stop ends the wait at once


@pytest.mark.parametrize("scale", [0, -1, 10_000])
def test_a_time_scale_out_of_range_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="time_scale"):
        Clock(scale)
    result = CliRunner().invoke(sandbox_command, ["--time-scale", str(scale), "--port", "0"])
    assert result.exit_code == 2 and "--time-scale" in result.output


def test_simulated_tasks_never_touch_docker() -> None:
    from bluegreen.sandbox.server import start_sandbox

    with start_sandbox(port=0, tasks="simulated") as handle:
        runtime = handle.services["runtime"]
        assert runtime.simulated and runtime.reason == "simulated: the sandbox was started with --tasks simulated"


def test_a_task_mode_outside_the_choice_is_refused() -> None:
    result = CliRunner().invoke(sandbox_command, ["--tasks", "kubernetes", "--port", "0"])
    assert result.exit_code == 2 and "--tasks" in result.output
