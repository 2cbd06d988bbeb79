"""A destroy killed right after each mutating AWS call in turn: destroying again leaves
nothing (no resource of the stack's names, nothing carrying its tag). Applying instead:
tests/engine/test_crash_destroy_then_apply.py.
The runner is driven directly (a killed `bluegreen destroy` leaves the stack lock, broken
with `bluegreen unlock`: tests/engine/test_lock.py)."""

from __future__ import annotations

import pytest
from support.crash import Reference, destroy_killed_at_every_call, reference_stack
from support.engine import stack_config

from bluegreen.sandbox.server import SandboxHandle


@pytest.fixture(scope="module")
def reference(sandbox: SandboxHandle) -> Reference:
    return reference_stack(sandbox, stack_config)


def test_destroy_killed_after_each_call_then_destroy_again_leaves_nothing(
        sandbox: SandboxHandle, reference: Reference) -> None:
    failures = destroy_killed_at_every_call(sandbox, stack_config, reference, prefix="dk", then="destroy")
    assert not failures, "\n".join(failures)
