"""Times as every front end of the monitor writes them (the screen, `status`, `push`'s lines)."""

from __future__ import annotations

from datetime import datetime


def short_time(seconds: float | None, unknown: str = "-") -> str:
    """12s, 4m05s, 2h10m; `unknown` when there is no value."""
    if seconds is None:
        return unknown
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def clock(at: datetime | None) -> str:
    """The local time of day, or "-"."""
    return at.astimezone().strftime("%H:%M:%S") if at is not None else "-"
