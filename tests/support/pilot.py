"""Waiting on a Textual app under Pilot without sleeping blindly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


async def until(pilot: Any, condition: Callable[[], Any], seconds: float = 30.0, what: str = "") -> None:
    """Let the app run until `condition()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {seconds:g}s waiting for {what or condition}")
