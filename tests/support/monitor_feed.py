"""Feeds and controls for driving the monitor screen without AWS: a feed the test hands snapshots
to (`ScriptedFeed`), one that replays a story in a loop (`CyclingFeed`, for the demo), and
stand-in `offers` / `perform` that follow the controls' contract with simple rules.

The real ones are the watch core's Poller and `bluegreen.watch.controls`; these only let the
screen be shown and tested with fixed snapshots.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from bluegreen.watch.controls import ControlKind, Offer
from bluegreen.watch.snapshot import Snapshot, WaitKind


class ScriptedFeed:
    """`give(snapshot)` hands one snapshot to the screen; `selected` and `hurried` record calls."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Snapshot] = asyncio.Queue()
        self.selected: list[str | None] = []
        self.hurried = 0
        self.runs = 0

    def give(self, *snapshots: Snapshot) -> None:
        for snapshot in snapshots:
            self.queue.put_nowait(snapshot)

    async def run(self, on_snapshot: Callable[[Snapshot], None], stop: asyncio.Event) -> None:
        self.runs += 1
        while not stop.is_set():
            on_snapshot(await self.queue.get())

    def select(self, execution_id: str | None) -> None:
        self.selected.append(execution_id)

    def hurry(self) -> None:
        self.hurried += 1


class CyclingFeed(ScriptedFeed):
    """Replays `snapshots` every `every` seconds, from the start again after the last."""

    def __init__(self, snapshots: Sequence[Snapshot], every: float = 1.0) -> None:
        super().__init__()
        self.snapshots, self.every = list(snapshots), every
        self.index = 0
        self.woken = asyncio.Event()

    async def run(self, on_snapshot: Callable[[Snapshot], None], stop: asyncio.Event) -> None:
        while not stop.is_set():
            on_snapshot(self.snapshots[self.index % len(self.snapshots)])
            self.index += 1
            self.woken.clear()
            with contextlib.suppress(TimeoutError):  # no hurry: the next one on time
                await asyncio.wait_for(self.woken.wait(), self.every)

    def hurry(self) -> None:
        super().hurry()
        self.woken.set()


LABELS = {ControlKind.START: "Start", ControlKind.CONTINUE: "Continue", ControlKind.END_WAIT: "End wait",
          ControlKind.STOP: "Stop", ControlKind.ROLLBACK: "Roll back", ControlKind.RETRY: "Retry",
          ControlKind.PUSH: "Push"}


def offers(snapshot: Snapshot) -> tuple[Offer, ...]:
    """Stand-in rules, close enough to the real ones to show every state of the keys."""
    deployment = snapshot.deployment
    running = any(e.status == "InProgress" for e in snapshot.executions)
    active = deployment is not None and deployment.status in ("Created", "Queued", "InProgress", "Ready", "Baking")
    wait = deployment.wait.kind if deployment is not None and deployment.wait is not None else None
    retryable = next((s.name for s in snapshot.stages if s.retryable), "")

    def offer(kind: ControlKind, enabled: bool, confirm: str, why_not: str) -> Offer:
        return Offer(kind, enabled, LABELS[kind], confirm, "" if enabled else why_not)

    dep = deployment.id if deployment is not None else ""
    return (
        offer(ControlKind.START, not running, f"Start a new execution of pipeline {snapshot.target.pipeline} "
              "with the latest source revisions.", "an execution is already running"),
        offer(ControlKind.CONTINUE, wait is WaitKind.READY, f"Reroute production traffic to green now ({dep}).",
              "no deployment is waiting for reroute"),
        offer(ControlKind.END_WAIT, wait is WaitKind.TERMINATION, f"End the termination wait of {dep} now: the "
              "original task set is removed and cannot take traffic back.", "no deployment is in its termination "
              "wait"),
        offer(ControlKind.STOP, active, f"Stop deployment {dep} and leave traffic where it is (no rollback).",
              "no deployment is running"),
        offer(ControlKind.ROLLBACK, active, f"Stop deployment {dep} and roll back: all traffic returns to blue.",
              "no deployment is running"),
        offer(ControlKind.RETRY, bool(retryable), f"Retry the failed actions of stage {retryable}.",
              "no stage of the latest execution failed"),
        offer(ControlKind.PUSH, bool(snapshot.target.watched_image), f"Build and push {snapshot.target.watched_image}"
              ": the push starts the pipeline.", "the pipeline watches no image"),
    )


class RecordingPerform:
    """`perform(snapshot, kind)`: records the call, answers `answer` (or raises `error`)."""

    def __init__(self, answer: str = "done", error: BaseException | None = None, delay: float = 0.0) -> None:
        self.answer, self.error, self.delay = answer, error, delay
        self.calls: list[tuple[int, ControlKind]] = []  # (snapshot generation, kind)

    async def __call__(self, snapshot: Snapshot, kind: ControlKind) -> str:
        self.calls.append((snapshot.generation, kind))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.answer
