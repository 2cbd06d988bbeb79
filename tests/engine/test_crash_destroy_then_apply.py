"""A destroy killed right after each mutating AWS call in turn, then an apply instead of a
second destroy (the user changed their mind): the whole stack comes back, every property as
in a stack applied in one go, plan in sync. The destroy-again case is
tests/engine/test_crash_destroy.py; this one is apart so the two run in parallel."""

from __future__ import annotations

import pytest
from support.crash import Reference, destroy_killed_at_every_call, reference_stack
from support.engine import stack_config

from bluegreen.sandbox.server import SandboxHandle


@pytest.fixture(scope="module")
def reference(sandbox: SandboxHandle) -> Reference:
    return reference_stack(sandbox, stack_config)


def test_destroy_killed_after_each_call_then_apply_gives_the_whole_stack_back(
        sandbox: SandboxHandle, reference: Reference) -> None:
    failures = destroy_killed_at_every_call(sandbox, stack_config, reference, prefix="dka", then="apply")
    assert not failures, "\n".join(failures)
