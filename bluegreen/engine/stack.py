"""The one door to the engine for both front ends: plan, apply, destroy and push a stack.

The CLI and the wizard call these and show what they return; neither builds a node graph,
a run context or reads a node's private values. Results are typed and immutable.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bluegreen.aws.session import AwsSession
from bluegreen.engine import lock, runner
from bluegreen.engine.context import Context
from bluegreen.engine.graph import build_nodes
from bluegreen.engine.leftovers import leftovers
from bluegreen.engine.runner import PlanRow, RunResult
from bluegreen.events import Listener, PushDone, ignore
from bluegreen.model.checks import offline_problems
from bluegreen.model.config import Config

DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class Plan:
    rows: tuple[PlanRow, ...]

    @property
    def conflicts(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.action == "conflict")

    @property
    def errors(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.action == "error")

    @property
    def changes(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.action in ("create", "update"))

    @property
    def can_apply(self) -> bool:
        return not self.conflicts and not self.errors

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.action] = out.get(row.action, 0) + 1
        return out


@dataclass(frozen=True)
class Outputs:
    """What a provisioned stack offers its user."""

    load_balancer_dns: str
    production_url: str
    test_url: str
    pipeline: str
    watched_image: str  # repository:tag whose push starts the pipeline

    @classmethod
    def of(cls, config: Config, load_balancer_dns: str) -> Outputs:
        lb, image, dns = config.load_balancer, config.image, load_balancer_dns
        return cls(
            load_balancer_dns=dns,
            production_url=f"http://{dns}:{lb.production_port}/" if dns else "",
            test_url=f"http://{dns}:{lb.test_port}/" if dns else "",
            pipeline=config.pipeline.name,
            watched_image=f"{image.repository}:{image.tag}",
        )


@dataclass(frozen=True)
class Applied:
    run: RunResult
    outputs: Outputs | None  # None unless the run succeeded

    @property
    def ok(self) -> bool:
        return self.run.ok


@dataclass(frozen=True)
class Destroyed:
    run: RunResult
    leftovers: tuple[str, ...]  # ARNs still tagged with the stack

    @property
    def ok(self) -> bool:
        return self.run.ok and not self.leftovers


class Stack:
    """One stack (a config) on one target (a session)."""

    def __init__(self, session: AwsSession, config: Config, base_dir: Path | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.session, self.config, self.concurrency = session, config, concurrency
        self.base_dir = base_dir or Path.cwd()  # what image.context is relative to

    def _context(self, on_event: Listener) -> Context:
        return Context(self.session, self.config, on_event=on_event, base_dir=self.base_dir)

    async def plan(self) -> Plan:
        """What apply would do, with read-only calls. A config rule that `validate` refuses
        (`bluegreen.model.checks`) is a conflict row too: apply does not go ahead on it."""
        rules = [PlanRow(f"config.{p.path}", "Config rule", "conflict", f"{p.path}: {p.rule}", "", p.fix)
                 for p in offline_problems(self.config)]
        rows = await runner.plan(self._context(ignore), build_nodes(self.config), self.concurrency)
        return Plan((*rules, *rows))

    async def apply(self, on_event: Listener = ignore) -> Applied:
        """Create or update everything (idempotent; a re-run resumes). Holds the stack's lock
        while it runs: a second apply or destroy of the stack stops, naming this one."""
        holder = await asyncio.to_thread(lock.acquire, self.session, self.config, "apply")
        try:
            ctx = self._context(on_event)
            result = await runner.apply(ctx, build_nodes(self.config), self.concurrency)
        finally:
            await asyncio.to_thread(lock.release, self.session, self.config, holder)
        dns = str(ctx.get("lb.dns") or "")
        return Applied(result, Outputs.of(self.config, dns) if result.ok else None)

    async def destroy(self, on_event: Listener = ignore) -> Destroyed:
        """Delete everything tagged with the stack, in reverse order; list what is left.
        Holds the stack's lock while it runs, as apply does."""
        holder = await asyncio.to_thread(lock.acquire, self.session, self.config, "destroy")
        try:
            result = await runner.destroy(self._context(on_event), build_nodes(self.config), self.concurrency)
        finally:
            await asyncio.to_thread(lock.release, self.session, self.config, holder)
        left = await asyncio.to_thread(leftovers, self.session, self.config.name)
        return Destroyed(result, tuple(left))

    def lock_holder(self) -> lock.Holder | None:
        """Who is changing the stack now (blocking)."""
        return lock.current(self.session, self.config)

    def unlock(self) -> lock.Holder | None:
        """Remove the stack's lock whoever holds it (a crashed run's); the holder it had."""
        return lock.break_lock(self.session, self.config)

    def ensure_repository(self) -> bool:
        """Create the stack's ECR repository (tagged, as apply makes it) if it does not exist;
        True if it was created. Only that node and the account it needs run, so an image can
        be pushed before the rest of the stack exists (the wizard's Build and push). Blocking:
        run it in a thread from async code."""
        from bluegreen.engine.nodes.account import AccountNode
        from bluegreen.engine.nodes.storage import EcrRepositoryNode
        from bluegreen.errors import Failed
        from bluegreen.events import Event, NodeDone, NodeFailed

        repository = EcrRepositoryNode()
        outcome: list[Event] = []

        def keep(event: Event) -> None:
            if isinstance(event, NodeDone | NodeFailed) and event.node == repository.id:
                outcome.append(event)

        asyncio.run(runner.apply(self._context(keep), [AccountNode(), repository], self.concurrency))
        for event in outcome:
            if isinstance(event, NodeFailed):
                raise Failed(event.message, event.fix)
            if isinstance(event, NodeDone):
                return event.outcome == "created"
        raise Failed(f"the ECR repository {self.config.image.repository} was not made "
                     "(the account could not be read)", "check the target, then try again")

    def push(self, on_event: Listener = ignore, tag: str | None = None) -> PushDone:
        """Build the image and push it to the stack's ECR repository (blocking: run it in a
        thread from async code). On a provisioned stack the push of the watched tag starts
        the pipeline."""
        from bluegreen.images.build_push import build_and_push

        return build_and_push(self.session, self.config, on_event=on_event, tag=tag, base_dir=self.base_dir)
