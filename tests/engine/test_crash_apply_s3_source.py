"""As tests/engine/test_crash_apply.py, for a stack whose source is an S3 object: its
bucket is the resource of the most calls (create, tag, public access block, versioning,
EventBridge notification, then the source zip), and a re-run must neither lose a setting
nor upload the zip again (each version starts a pipeline execution)."""

from __future__ import annotations

from typing import Any

import pytest
from support.crash import Reference, apply_killed_at_every_call, reference_stack
from support.engine import stack_config

from bluegreen.model.config import Config
from bluegreen.sandbox.server import SandboxHandle


def s3_source_stack(name: str) -> Config:
    return stack_config(name, source={"type": "s3"})


@pytest.fixture(scope="module")
def reference(sandbox: SandboxHandle) -> Reference:
    return reference_stack(sandbox, s3_source_stack)


def test_the_reference_stack_has_its_source_object(reference: Reference) -> Any:
    source = reference.fingerprint["source"]
    assert source["versions"] == 1 and {"taskdef.json", "appspec.yaml"} <= set(source["files"])
    assert any(call.endswith("PutBucketNotificationConfiguration") for call in reference.calls)


def test_killed_after_each_call_then_rerun_gives_the_same_stack(sandbox: SandboxHandle, reference: Reference) -> None:
    failures = apply_killed_at_every_call(sandbox, s3_source_stack, reference, prefix="crashs3")
    assert not failures, "\n".join(failures)
