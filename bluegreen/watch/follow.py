"""Following the execution a push started, until it ends: what `bluegreen push` does after the
push (and what a script would otherwise do with a waiter).

A push does not say which execution it starts: EventBridge starts it a moment later. The
execution to follow is the first one that was not listed before the push; if none appears
within `start_timeout_s` the push started nothing (the rule watches another tag, or the image
was already there), and following ends with that answer instead of waiting for ever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bluegreen.watch.changes import changes
from bluegreen.watch.poller import Poller
from bluegreen.watch.snapshot import Snapshot

ENDED = frozenset({"Succeeded", "Failed", "Stopped", "Superseded", "Cancelled"})


@dataclass(frozen=True)
class Followed:
    execution_id: str | None  # None: no execution started within the start timeout
    status: str  # the execution's final status, or "NotStarted"
    last: Snapshot | None

    @property
    def ok(self) -> bool:
        return self.status == "Succeeded"


async def before_push(poller: Poller) -> Snapshot:
    """The stack as it is before the push (call before pushing): its executions are the known
    ones, and the lines that follow say only what changed since."""
    return await poller.poll()


async def follow(poller: Poller, before: Snapshot, on_line: Callable[[str], None],
                 start_timeout_s: float = 60.0) -> Followed:
    """Poll until an execution not listed in `before` appears and ends; every change becomes a
    line."""
    known = frozenset(e.id for e in before.executions)
    started = time.monotonic()
    chosen: str | None = None
    poller.hurry()
    while True:
        snapshot = await poller.poll()
        if chosen is None:
            fresh = [e for e in snapshot.executions if e.id not in known]
            if fresh:
                chosen = fresh[-1].id  # the oldest new one: the push's, if several started since
                poller.select(chosen)
                snapshot = await poller.poll()  # its first lines say that it started, and how
            elif time.monotonic() - started > start_timeout_s:
                return Followed(None, "NotStarted", snapshot)
        if chosen is not None:
            for line in changes(before, snapshot):
                on_line(line)
            before = snapshot
            execution = next((e for e in snapshot.executions if e.id == chosen), None)
            if execution is not None and execution.status in ENDED:
                return Followed(chosen, execution.status, snapshot)
        await asyncio.sleep(max(0.2, poller.interval_s))  # until the next part is due
