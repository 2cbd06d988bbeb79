"""One sandbox per engine test module. Not one per session: moto keeps its state in the
process, and each sandbox started (by a later module) resets it, so a session-wide sandbox
would lose its seeds under the next module's feet. Tasks are simulated: the engine's stacks
use a bare-manifest image that no container could run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.engine import REGION

from bluegreen.sandbox.server import SandboxHandle, start_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    # time scale 30: a simulated task runs in 33 ms, so apply's wait for the tasks costs little
    with start_sandbox(port=0, region=REGION, tasks="simulated", time_scale=30) as handle:
        yield handle
