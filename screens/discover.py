"""Fetching from AWS without freezing a screen: a thread worker per lookup, its result posted
back as a message, and kept in the wizard context (`context.discovered`, by `Key`) so that
Back/Next do not fetch again. Tests and snapshots may fill it up front.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.screen import Screen

from screens.context import WizardContext
from screens.lookups import Key


class Discovered(Message):
    """`value` is the result, or None with `error` set (one line, with the AWS error code)."""

    def __init__(self, key: Key, value: Any, error: str = "") -> None:
        super().__init__()
        self.key, self.value, self.error = key, value, error


def fetch(screen: Screen[Any], context: WizardContext, key: Key, lookup: Callable[..., Any],
          *args: Any, refresh: bool = False) -> None:
    """Post `Discovered(key, ...)` to `screen`: at once if known, else after `lookup(*args)`
    ran in a thread worker (named after the key, exclusive per key)."""
    if not refresh:
        known = context.discovered.get(key)
        if known is not None:
            screen.post_message(Discovered(key, known))
            return

    def work() -> None:
        from bluegreen.aws.discovery import describe_problem

        try:
            value = lookup(*args)
        except Exception as exc:
            screen.post_message(Discovered(key, None, describe_problem(exc)))
            return
        context.discovered.put(key, value)
        screen.post_message(Discovered(key, value))

    screen.run_worker(work, name=str(key), group=str(key), exclusive=True, thread=True)
