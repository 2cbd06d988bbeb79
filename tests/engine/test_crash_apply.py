"""An apply killed right after each mutating AWS call in turn (the default stack: a
CodeCommit source): the re-run completes, its stack is indistinguishable from one applied
in one go (every property, whether or not the engine's plan compares it), and the plan is
in sync. The runner is driven directly: the stack lock a killed `bluegreen apply` leaves is
broken with `bluegreen unlock` (tests/engine/test_lock.py)."""

from __future__ import annotations

import pytest
from support.crash import Reference, apply_killed_at_every_call, reference_stack
from support.engine import stack_config

from bluegreen.sandbox.server import SandboxHandle


@pytest.fixture(scope="module")
def reference(sandbox: SandboxHandle) -> Reference:
    return reference_stack(sandbox, stack_config)


def test_the_reference_stack_is_complete(reference: Reference) -> None:
    # The crash loop is only as good as the reference it compares with.
    assert len(reference.calls) >= 30, reference.calls
    assert {"buckets", "log_groups", "roles", "security_groups", "ecs", "elbv2", "codedeploy",
            "source", "pipeline", "rules"} <= set(reference.fingerprint)


def test_killed_after_each_call_then_rerun_gives_the_same_stack(sandbox: SandboxHandle, reference: Reference) -> None:
    failures = apply_killed_at_every_call(sandbox, stack_config, reference, prefix="crash")
    assert not failures, "\n".join(failures)
