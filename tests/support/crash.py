"""A crash right after the Nth mutating AWS call of a run, as the next run would find it.

`CrashAfter(session, n)` lets the first `n` mutating calls through and makes the process
"die" at the next one: from then on every call of the session, read or write, raises
`Killed` before anything is sent. `Killed` is a BaseException, so the runner cannot mistake
it for a node failure and carry on. Calls already in flight in other threads when the crash
happens still land (as they could on a real kill); `settle()` waits for them, so the re-run
starts from a state that no longer moves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bluegreen.aws.session import AwsSession
from bluegreen.model.config import Config
from support.engine import READ_PREFIXES, put_tiny_image, run_apply, run_destroy, run_plan, session_for
from support.fingerprint import differences, fingerprint


class Killed(BaseException):
    """The process died here."""


class CrashAfter:
    def __init__(self, session: AwsSession, n: int) -> None:
        self.n = n
        self.sent: list[str] = []  # the mutating calls that went out, in order
        self.killed = False
        self._in_flight = 0
        self._lock = threading.Lock()
        session.on_call(self._before, "before-call")
        session.on_call(self._after, "after-call")
        session.on_call(self._after, "after-call-error")

    def _before(self, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            if not self.killed and not operation.startswith(READ_PREFIXES):
                if len(self.sent) == self.n:
                    self.killed = True
                else:
                    self.sent.append(event_name.removeprefix("before-call."))
            if self.killed:
                raise Killed(f"crashed after {self.n} mutating calls, before {operation}")
            self._in_flight += 1

    def _after(self, **_: Any) -> None:
        with self._lock:
            self._in_flight -= 1

    def settle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight <= 0:
                    return
            time.sleep(0.01)
        raise AssertionError(f"{self._in_flight} AWS calls still in flight {timeout}s after the crash")


# ---------------------------------------------------------------------------------------------
# The loops the crash tests run (each over every mutating call of one run)
# ---------------------------------------------------------------------------------------------


def reference_stack(sandbox: Any, make_config: Callable[[str], Config]) -> Reference:
    """A stack applied in one go: its fingerprint and the mutating calls it took. A first
    stack makes what the account keeps for all of them (the ECS service-linked role), so
    the reference counts the calls every later stack makes."""
    session = session_for(sandbox)
    put_tiny_image(session)
    assert run_apply(session, make_config("crashwarm"))[0].ok
    config = make_config("crashref")
    counter = CrashAfter(session, n=10**6)  # never crashes: only counts
    result, _ = run_apply(session, config)
    assert result.ok, result
    return Reference(fingerprint(session, config), tuple(counter.sent))


@dataclass(frozen=True)
class Reference:
    fingerprint: dict[str, Any]
    calls: tuple[str, ...]


def apply_killed_at_every_call(sandbox: Any, make_config: Callable[[str], Config],
                               reference: Reference, prefix: str) -> list[str]:
    """For n = 0 .. every call of the reference: apply killed after n mutating calls, then a
    re-run. Returns what went wrong, one line each: the crashed stack must differ from the
    reference (or the fingerprint proves nothing), the re-run must succeed and give the
    reference's fingerprint, and the plan after it must be in sync."""
    failures: list[str] = []
    for n in range(len(reference.calls)):
        config = make_config(f"{prefix}{n:02d}")
        crashed = session_for(sandbox)
        crash = CrashAfter(crashed, n)
        try:
            run_apply(crashed, config)
            failures.append(f"n={n}: the apply finished before its call {n + 1}")
            continue
        except Killed:
            crash.settle()
        where = f"killed after {n} calls (last: {crash.sent[-1] if crash.sent else 'none'})"
        session = session_for(sandbox)
        if not differences(reference.fingerprint, fingerprint(session, config)):
            failures.append(f"{where}: the crashed stack already looks complete")
        result, _ = run_apply(session, config)
        if not result.ok:
            failures.append(f"{where}: the re-run failed: {result.failed}")
            continue
        failures.extend(f"{where}: {line}" for line in differences(reference.fingerprint, fingerprint(session, config)))
        failures.extend(f"{where}: plan after the re-run: {row.node} {row.action}: {row.reason}"
                        for row in run_plan(session, config) if row.action != "in_sync")
    return failures


def destroy_killed_at_every_call(sandbox: Any, make_config: Callable[[str], Config],
                                 reference: Reference, prefix: str, then: str) -> list[str]:
    """For n = 0 .. every mutating call of a destroy: apply a stack, destroy it killed after
    n calls, then re-run: `then="destroy"` must leave nothing (no named resource, nothing
    tagged); `then="apply"` must give back the reference stack, in sync."""
    from bluegreen.engine.leftovers import leftovers

    counting = session_for(sandbox)
    config = make_config(f"{prefix}count")
    assert run_apply(counting, config)[0].ok
    counter = CrashAfter(counting, n=10**6)
    assert run_destroy(counting, config).ok
    calls = list(counter.sent)
    failures: list[str] = [] if len(calls) >= 25 else [f"a destroy made only {len(calls)} calls: {calls}"]
    for n in range(len(calls)):
        config = make_config(f"{prefix}{n:02d}")
        session = session_for(sandbox)
        assert run_apply(session, config)[0].ok
        crashed = session_for(sandbox)
        crash = CrashAfter(crashed, n)
        try:
            run_destroy(crashed, config)
            # The last calls of a destroy vary by a few (one DeregisterTaskDefinition per
            # revision the pipeline's deployments registered meanwhile).
            if n < len(calls) - 3:
                failures.append(f"n={n}: the destroy finished before its call {n + 1}")
            continue
        except Killed:
            crash.settle()
        where = f"destroy killed after {n} calls (last: {crash.sent[-1] if crash.sent else 'none'})"
        if then == "destroy":
            result = run_destroy(session, config)
            if not result.ok:
                failures.append(f"{where}: the re-run failed: {result.failed}")
            left = fingerprint(session, config)
            failures.extend(f"{where}: still there: {kind}" for kind in left)
            failures.extend(f"{where}: still tagged: {arn}" for arn in leftovers(session, config.name))
        else:
            result, _ = run_apply(session, config)
            if not result.ok:
                failures.append(f"{where}: the apply after it failed: {result.failed}")
                continue
            failures.extend(f"{where}: {line}" for line in differences(reference.fingerprint, fingerprint(session, config)))
            failures.extend(f"{where}: plan after the apply: {row.node} {row.action}: {row.reason}"
                            for row in run_plan(session, config) if row.action != "in_sync")
            run_destroy(session, config)  # keeps the sandbox small for the next ones
    return failures
