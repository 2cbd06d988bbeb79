"""Helpers for the engine tests: sessions on a sandbox, a seed-like stack config, running
plan/apply/destroy, and counting mutating calls."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

from bluegreen.aws.session import AwsSession, Target
from bluegreen.engine import runner
from bluegreen.engine.context import Context
from bluegreen.engine.graph import build_nodes
from bluegreen.events import NodeFailed
from bluegreen.model.config import Config
from bluegreen.model.configfile import load_text
from bluegreen.sandbox.server import SandboxHandle
from support.ecr import put_tiny_image as ecr_image

REGION = "us-east-2"
READ_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "BatchCheck")


def session_for(handle: SandboxHandle, max_attempts: int = 10) -> AwsSession:
    return AwsSession(Target(endpoint_url=handle.endpoint_url, region=REGION), max_attempts=max_attempts)


def stack_config(name: str, **sections: Any) -> Config:
    """A seed-like stack whose image lives in a shared repository (pushed once per module)."""
    document: dict[str, Any] = {
        "name": name, "region": REGION,
        "image": {"repository": "shared-app", "tag": "latest"},
        "task": {"containerName": "sample-website", "containerPort": 80},
    }
    for key, value in sections.items():
        document.setdefault(key, {}).update(value)
    return load_text(json.dumps(document))


class CallCounter:
    """Counts mutating API calls (everything that is not a read) through botocore's hooks."""

    def __init__(self, session: AwsSession) -> None:
        self.mutating: list[str] = []
        session.on_call(self)

    def __call__(self, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if not operation.startswith(READ_PREFIXES):
            self.mutating.append(event_name.removeprefix("before-call."))


def put_tiny_image(session: AwsSession, repository: str = "shared-app", tag: str = "latest") -> str:
    return ecr_image(session, repository, tag)


def cli_config_file(sandbox: SandboxHandle, folder: Path, monkeypatch: Any, name: str) -> Path:
    """`stack_config(name)` written as a bluegreen.yaml in `folder`, its image in the sandbox's ECR,
    and BLUEGREEN_SANDBOX_URL pointing `--sandbox` commands at the sandbox (for CliRunner tests)."""
    from bluegreen.model.configfile import dump_text

    put_tiny_image(session_for(sandbox))
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    path = folder / "bluegreen.yaml"
    path.write_text(dump_text(stack_config(name)))
    return path


def counted(session: AwsSession) -> tuple[AwsSession, CallCounter]:
    """A fresh session to the same target, with its mutating calls counted."""
    fresh = AwsSession(session.target)
    return fresh, CallCounter(fresh)


def run_apply(session: AwsSession, config: Config, **context: Any) -> tuple[runner.RunResult, Context]:
    ctx = Context(session, config, **_noting_failures(context))
    return _with_reasons(asyncio.run(runner.apply(ctx, build_nodes(config))), context), ctx


def run_plan(session: AwsSession, config: Config) -> list[runner.PlanRow]:
    """The plan both front ends get (the facade: the node graph's rows and the config rules)."""
    from bluegreen.engine.stack import Stack

    return list(asyncio.run(Stack(session, config).plan()).rows)


def run_destroy(session: AwsSession, config: Config, **context: Any) -> runner.RunResult:
    ctx = Context(session, config, **_noting_failures(context))
    return _with_reasons(asyncio.run(runner.destroy(ctx, build_nodes(config))), context)


def _noting_failures(context: dict[str, Any]) -> dict[str, Any]:
    """Unless the test listens itself, keep each failed node's message: an assertion on
    `result.failed` then says why (a failure seen once under load is otherwise a bare node id)."""
    if "on_event" in context:
        return context
    reasons: dict[str, str] = {}

    def note(event: Any) -> None:
        if isinstance(event, NodeFailed):
            reasons[event.node] = f"{event.node} ({event.code}: {event.message})"

    context["_reasons"] = reasons
    return {**{k: v for k, v in context.items() if k != "_reasons"}, "on_event": note}


def _with_reasons(result: runner.RunResult, context: dict[str, Any]) -> runner.RunResult:
    reasons = context.get("_reasons") or {}
    if not reasons:
        return result
    return dataclasses.replace(result, failed=[reasons.get(node, node) for node in result.failed])
