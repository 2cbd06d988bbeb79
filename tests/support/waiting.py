"""Waiting for a state outside the test's control (a sandbox's deployment, a container): a
bounded wait that fails with what was awaited, never a timing assertion."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(check: Callable[[], T | None], what: str, limit_s: float = 60.0, every_s: float = 0.1) -> T:
    """`check()` until it returns something truthy (returned); AssertionError after `limit_s`."""
    deadline = time.monotonic() + limit_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit_s:g} s: {what}")
        time.sleep(every_s)
