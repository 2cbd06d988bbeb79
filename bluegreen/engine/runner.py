"""Plan, apply and destroy over the node graph, as asyncio.

Every node whose dependencies are done starts at once (bounded by a semaphore that is
held only while a boto3 call runs in its thread); waits for a load balancer or a service
sleep without holding it. A failure stops only the nodes that depend on it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bluegreen.aws.errors import is_in_use
from bluegreen.aws.hints import explain
from bluegreen.engine.context import Context, Pending
from bluegreen.engine.nodes.base import Node, State
from bluegreen.errors import aws_error_code
from bluegreen.events import (
    NodeDone,
    NodeFailed,
    NodeSkipped,
    NodeStarted,
    RunFinished,
)

T = TypeVar("T")

# Retry delays (seconds) for IAM eventual consistency and for deletes that must wait for
# AWS to let go of a dependency (a security group still used by a deleted load balancer).
BACKOFF = (1, 2, 4, 8, 15, 30, 30, 30, 30, 30)



@dataclass(frozen=True)
class PlanRow:
    node: str
    title: str
    action: str  # create | update | in_sync | conflict | blocked | error
    reason: str
    detail: str
    fix: str


@dataclass(frozen=True)
class RunResult:
    ok: bool
    done: list[str]
    failed: list[str]
    skipped: list[str]
    seconds: float


class _Conflict(Exception):
    def __init__(self, state: State) -> None:
        super().__init__(state.reason)
        self.state = state


# Worker threads for boto3 calls. asyncio's default pool has cpu+4 threads (6 on two
# cores), fewer than the calls we want in flight while AWS answers slowly.
_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="bluegreen-aws")


async def _call(semaphore: asyncio.Semaphore, fn: Callable[..., T], *args: object) -> T:
    """Run a blocking call in a worker thread (with this task's context variables)."""
    async with semaphore:
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(_POOL, context.run, fn, *args)


async def _with_backoff(retry: Callable[[BaseException], bool], attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, again after a pause while it fails with an error `retry` accepts."""
    for delay in (*BACKOFF, None):
        try:
            return await attempt()
        except Exception as exc:
            if delay is None or not retry(exc):
                raise
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def _schedule(nodes: list[Node], run: Callable[[Node], Coroutine[Any, Any, None]],
                    ctx: Context, reverse: bool = False) -> RunResult:
    """Run `run(node)` for every node once its prerequisites finished without failure.

    reverse=True runs a node after everything that depends on it (teardown order)."""
    start = time.monotonic()
    ids = {n.id for n in nodes}
    needs = {n.id: {d for d in n.deps if d in ids} for n in nodes}
    if reverse:
        needs = {n.id: {m.id for m in nodes if n.id in m.deps} for n in nodes}
    by_id = {n.id: n for n in nodes}
    done: list[str] = []
    failed: list[str] = []
    skipped: list[str] = []
    running: dict[asyncio.Task[None], str] = {}
    waiting = [n.id for n in nodes]
    try:
        while waiting or running:
            for node_id in list(waiting):
                blockers = needs[node_id] & {*failed, *skipped}
                if blockers:
                    waiting.remove(node_id)
                    skipped.append(node_id)
                    first = by_id[sorted(blockers)[0]]
                    ctx.emit(NodeSkipped(node_id, f"needs {first.title(ctx.config)}, which did not finish"))
                elif needs[node_id] <= set(done):
                    waiting.remove(node_id)
                    running[asyncio.create_task(run(by_id[node_id]))] = node_id
            if not running:
                continue
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                node_id = running.pop(task)
                exc = task.exception()
                if exc is None:
                    done.append(node_id)
                elif isinstance(exc, Exception):
                    failed.append(node_id)
                else:
                    raise exc  # a crash (KeyboardInterrupt, a simulated kill): stop everything
    finally:
        for task in running:
            task.cancel()
    seconds = time.monotonic() - start
    result = RunResult(not failed and not skipped, done, failed, skipped, seconds)
    ctx.emit(RunFinished(result.ok, len(done), len(failed), len(skipped), seconds))
    return result


async def plan(ctx: Context, nodes: list[Node], concurrency: int = 8) -> list[PlanRow]:
    """What apply would do, node by node, with read calls only."""
    semaphore = asyncio.Semaphore(concurrency)
    rows: dict[str, PlanRow] = {}

    async def run(node: Node) -> None:
        title = node.title(ctx.config)
        blocked = [d for d in node.deps if d in rows and rows[d].action in ("conflict", "blocked", "error")]
        if blocked:
            rows[node.id] = PlanRow(node.id, title, "blocked",
                                    f"after {rows[blocked[0]].title}", "", "")
            return
        try:
            state = await _call(semaphore, node.inspect, ctx)
        except Pending:
            coming = [rows[d].title for d in node.deps if d in rows and rows[d].action == "create"]
            state = State("create", reason=f"after {', '.join(coming) or 'what it needs'} is created")
        except Exception as exc:
            code, message, fix = explain(exc, title)
            rows[node.id] = PlanRow(node.id, title, "error", f"{message} ({code})", "", fix)
            return
        rows[node.id] = PlanRow(node.id, title, state.action, state.reason, state.detail, state.fix)

    await _schedule(nodes, run, ctx)
    return [rows[n.id] for n in nodes if n.id in rows]


# Which phase a node's inspect runs in (read by bench/provision.py to find the critical path).
INSPECT_PHASE: contextvars.ContextVar[str] = contextvars.ContextVar("inspect_phase", default="run")


def _inspect_in(phase: str, node: Node) -> Callable[[Context], State]:
    def inspect(ctx: Context) -> State:
        INSPECT_PHASE.set(phase)
        return node.inspect(ctx)

    return inspect


async def apply(ctx: Context, nodes: list[Node], concurrency: int = 8) -> RunResult:
    """Create or update every node; a node runs once its dependencies are done.

    Each node is also inspected ahead of time, as soon as the nodes it depends on have been
    inspected, so that finding things out stays off the critical path: at run time the
    early answer is reused when it said "absent" (nothing else creates it meanwhile) or
    when nothing it depends on changed in this run; otherwise the node is inspected again.
    """
    semaphore = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()
    early: dict[str, asyncio.Future[State | None]] = {n.id: loop.create_future() for n in nodes}
    changed: set[str] = set()
    created: set[str] = set()

    async def look_ahead(node: Node) -> None:
        for dep in node.deps:
            if dep in early:
                await asyncio.wait([early[dep]])
        try:
            guess: State | None = await _call(semaphore, _inspect_in("early", node), ctx)
        except Exception:  # Pending, or a failure the run phase will meet and report
            guess = None
        early[node.id].set_result(guess)

    lookahead = [asyncio.create_task(look_ahead(node)) for node in nodes]

    async def run(node: Node) -> None:
        started = time.monotonic()
        title = node.title(ctx.config)
        try:
            guess = await early[node.id]
            unsure = any(d in changed or early[d].result() is None for d in node.deps if d in early)
            if guess is not None and (guess.action == "create" or not unsure):
                state = guess
            elif node.owner in created:
                state = State("create", reason="its container was just created")
            else:
                state = await _call(semaphore, _inspect_in("run", node), ctx)
            ctx.emit(NodeStarted(node.id, title, _verb(state)))
            if state.action == "conflict":
                raise _Conflict(state)
            if state.action == "in_sync":
                detail = state.detail
            else:
                operation = node.create if state.action == "create" else (lambda c: node.update(c, state))
                codes = node.eventual_consistency_codes
                detail = await _with_backoff(lambda exc: aws_error_code(exc) in codes,
                                             lambda: _call(semaphore, operation, ctx))
                changed.add(node.id)
                if state.action == "create":
                    created.add(node.id)
            await node.wait(ctx)
        except _Conflict as conflict:
            ctx.emit(NodeFailed(node.id, "Conflict", conflict.state.reason, conflict.state.fix,
                                time.monotonic() - started))
            raise
        except Exception as exc:
            code, message, fix = explain(exc, title)
            ctx.emit(NodeFailed(node.id, code, message, fix, time.monotonic() - started))
            raise
        outcome = {"create": "created", "update": "updated"}.get(state.action, "in_sync")
        ctx.emit(NodeDone(node.id, outcome, detail, time.monotonic() - started))  # type: ignore[arg-type]
        ctx.after_node(node.id)

    try:
        return await _schedule(nodes, run, ctx)
    finally:
        for task in lookahead:
            task.cancel()
        await asyncio.gather(*lookahead, return_exceptions=True)


async def destroy(ctx: Context, nodes: list[Node], concurrency: int = 8) -> RunResult:
    """Delete what the stack tagged, each node after everything that depends on it."""
    semaphore = asyncio.Semaphore(concurrency)
    # Teardown still needs to know where things are (the account, the VPC); those nodes
    # own nothing and are not part of the teardown order.
    checks = [n for n in nodes if n.check_only]
    for node in checks:
        try:
            await _call(semaphore, node.inspect, ctx)
        except Pending:
            pass
        except Exception:
            if node.id == "account":
                raise  # without credentials nothing can be found, let alone deleted
    nodes = [n for n in nodes if n not in checks]

    async def run(node: Node) -> None:
        started = time.monotonic()
        title = node.title(ctx.config)
        ctx.emit(NodeStarted(node.id, title, "delete"))
        try:
            deleted = await _with_backoff(is_in_use, lambda: _call(semaphore, node.delete, ctx))
        except Pending:
            deleted = False
        except Exception as exc:
            code, message, fix = explain(exc, title)
            ctx.emit(NodeFailed(node.id, code, message, fix.replace("apply", "destroy"),
                                time.monotonic() - started))
            raise
        ctx.emit(NodeDone(node.id, "deleted" if deleted else "absent", "", time.monotonic() - started))

    return await _schedule(nodes, run, ctx, reverse=True)


def _verb(state: State) -> str:
    return {"create": "create", "update": "update", "in_sync": "check", "conflict": "check"}[state.action]
