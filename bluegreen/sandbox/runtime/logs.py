"""A container's output as CloudWatch log events: (timestamp in ms, message) per line.

The engine gives ``<RFC 3339 nano timestamp> <line>`` per line with ``timestamps=True``. Output of
a removed container is kept in memory (bounded), since a task's log stream outlives its task.
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_ARCHIVED_LINES = 10_000  # per container; the oldest go first, as a capped stream would


def parse_timestamped(output: bytes | str) -> list[tuple[int, str]]:
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    events: list[tuple[int, str]] = []
    for raw in text.split("\n"):
        if not raw:
            continue
        stamp, _, message = raw.partition(" ")
        ms = parse_rfc3339_ms(stamp)
        if ms is None:  # not a timestamped line: keep it, at the previous line's time
            events.append((events[-1][0] if events else 0, raw.rstrip("\r")))
            continue
        events.append((ms, message.rstrip("\r")))
    return events


def parse_rfc3339_ms(stamp: str) -> int | None:
    """``2026-05-09T07:35:25.123456789Z`` -> epoch milliseconds (the engine gives nanoseconds,
    which ``datetime`` cannot hold)."""
    if not stamp.endswith("Z") or "T" not in stamp:
        return None
    body = stamp[:-1]
    whole, _, fraction = body.partition(".")
    try:
        moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    millis = int((fraction + "000")[:3]) if fraction.isdigit() else 0
    return int(moment.timestamp()) * 1000 + millis


def since_filter(events: list[tuple[int, str]], since: int | None) -> list[tuple[int, str]]:
    return events if since is None else [e for e in events if e[0] >= since]
