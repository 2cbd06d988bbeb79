"""Fetching from AWS without freezing a screen: a thread worker per lookup, its result posted
back as a message, and kept in the wizard context so Back/Next do not fetch again.

Cache keys read `discovery.<kind>` or `discovery.<kind>:<argument>` (e.g.
`discovery.subnets:vpc-0a1b`). Tests and snapshots may fill the cache up front.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.screen import Screen

from screens.context import WizardContext


class Discovered(Message):
    """`value` is the result, or None with `error` set (one line, with the AWS error code)."""

    def __init__(self, key: str, value: Any, error: str = "") -> None:
        super().__init__()
        self.key, self.value, self.error = key, value, error


def fetch(screen: Screen[Any], context: WizardContext, key: str, lookup: Callable[..., Any],
          *args: Any, refresh: bool = False) -> None:
    """Post `Discovered(key, ...)` to `screen`: at once if cached, else after `lookup(*args)`
    ran in a thread worker (named after the key, exclusive per key)."""
    if not refresh:
        cached = context.recall(key)
        if cached is not None:
            screen.post_message(Discovered(key, cached))
            return

    def work() -> None:
        from bluegreen.aws.discovery import describe_problem

        try:
            value = lookup(*args)
        except Exception as exc:
            screen.post_message(Discovered(key, None, describe_problem(exc)))
            return
        context.remember(key, value)
        screen.post_message(Discovered(key, value))

    screen.run_worker(work, name=key, group=key, exclusive=True, thread=True)
