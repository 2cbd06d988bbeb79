"""Paging through log events as CloudWatch Logs does: GetLogEvents' forward and backward tokens,
FilterLogEvents' interleaved pages, DescribeLogStreams' order. Pure functions over lists.

An event's place in its stream is ``(timestamp ms, n)``: the n-th event of that millisecond. A
token names a place, so it stays valid while a container keeps printing: a forward token points
just after the last event returned, a backward token at the first.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...wire import AwsError

MAX_EVENTS = 10_000  # a page of GetLogEvents / FilterLogEvents, and their largest limit
MAX_PAGE_BYTES = 1_048_576  # "as many log events as can fit in a response size of 1 MB"
EVENT_OVERHEAD = 26  # bytes counted per event besides its UTF-8 message (PutLogEvents' batch rule)
MAX_STREAMS = 50  # a page of DescribeLogStreams, and its largest limit

Place = tuple[int, int]  # (timestamp ms, n-th event of that millisecond)


@dataclass(frozen=True)
class Event:
    timestamp: int
    n: int
    message: str
    ingestion: int

    @property
    def place(self) -> Place:
        return (self.timestamp, self.n)

    def size(self) -> int:
        return len(self.message.encode("utf-8")) + EVENT_OVERHEAD


def placed(lines: Iterable[tuple[int, str]], ingestion: Sequence[int] | None = None) -> list[Event]:
    """Events from (timestamp, message) pairs in stream order (sorted by time, stably). Ingestion
    times default to the timestamps: a container's line reaches the stream as it is printed."""
    ordered = sorted(enumerate(lines), key=lambda item: item[1][0])
    out: list[Event] = []
    for i, (timestamp, message) in ordered:
        n = out[-1].n + 1 if out and out[-1].timestamp == timestamp else 0
        out.append(Event(timestamp, n, message, ingestion[i] if ingestion is not None else timestamp))
    return out


def invalid_token() -> AwsError:
    return AwsError("InvalidParameterException", "The specified nextToken is invalid.")


# --- GetLogEvents ------------------------------------------------------------------------------


def stream_token(direction: str, place: Place) -> str:
    """``f/<56 digits>/s`` or ``b/...``: the form AWS's tokens have (the digits mean a place here)."""
    return f"{direction}/{place[0]:020d}{place[1]:036d}/s"


def read_stream_token(token: str) -> tuple[str, Place]:
    direction, _, rest = token.partition("/")
    digits = rest.removesuffix("/s")
    if direction not in ("f", "b") or len(digits) != 56 or not digits.isdigit():
        raise invalid_token()
    return direction, (int(digits[:20]), int(digits[20:]))


def fit(events: Sequence[Event], limit: int | None, from_end: bool = False) -> list[Event]:
    """As many events as the limit and the page's size allow (at least one), from the start or
    the end of ``events``."""
    most = min(limit or MAX_EVENTS, MAX_EVENTS)
    order = reversed(events) if from_end else iter(events)
    taken: list[Event] = []
    size = 0
    for event in order:
        if len(taken) >= most or (taken and size + event.size() > MAX_PAGE_BYTES):
            break
        taken.append(event)
        size += event.size()
    return taken[::-1] if from_end else taken


def stream_page(events: Sequence[Event], *, start: int | None, end: int | None, limit: int | None,
                from_head: bool, token: str | None) -> tuple[list[Event], str, str]:
    """GetLogEvents: (events, nextForwardToken, nextBackwardToken). ``start`` is inclusive and
    ``end`` exclusive. Without a token, the first events (``from_head``) or the last; with one,
    the events after a forward token's place or before a backward token's. At the end of the
    stream in the token's direction the same token comes back, as AWS documents."""
    window = [e for e in events if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]
    if token is not None:
        direction, place = read_stream_token(token)
        if direction == "f":
            page = fit([e for e in window if e.place >= place], limit)
        else:
            page = fit([e for e in window if e.place < place], limit, from_end=True)
        if not page:  # the end in this direction: the same token, and its place the other way
            if direction == "f":
                return [], token, stream_token("b", place)
            return [], stream_token("f", place), token
    else:
        page = fit(window, limit, from_end=not from_head)
        if not page:
            origin = (start or 0, 0)
            return [], stream_token("f", origin), stream_token("b", origin)
    last = page[-1]
    return page, stream_token("f", (last.timestamp, last.n + 1)), stream_token("b", page[0].place)


# --- FilterLogEvents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    stream: str
    event: Event

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.event.timestamp, self.stream, self.event.n)

    def event_id(self) -> str:
        """56 digits, as AWS's ids: the time, the stream's checksum and the place in the ms."""
        return f"{self.event.timestamp:020d}{zlib.crc32(self.stream.encode()):010d}{self.event.n:026d}"

    def shape(self) -> dict[str, Any]:
        return {"logStreamName": self.stream, "timestamp": self.event.timestamp, "message": self.event.message,
                "ingestionTime": self.event.ingestion, "eventId": self.event_id()}


def group_token(key: tuple[int, str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def read_group_token(token: str) -> tuple[int, str, int]:
    try:
        timestamp, stream, n = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise invalid_token() from None
    if not (isinstance(timestamp, int) and isinstance(stream, str) and isinstance(n, int)):
        raise invalid_token()
    return (timestamp, stream, n)


def group_page(found: Iterable[Found], limit: int | None, token: str | None) -> tuple[list[Found], str | None]:
    """FilterLogEvents: the matched events of every stream interleaved by time (then stream name,
    then place), from after the token's event; a next token only when more are left."""
    ordered = sorted(found, key=lambda f: f.key)
    if token is not None:
        after = read_group_token(token)
        ordered = [f for f in ordered if f.key > after]
    page = fit([f.event for f in ordered], limit)
    chosen = ordered[:len(page)]
    more = len(chosen) < len(ordered)
    return chosen, group_token(chosen[-1].key) if more and chosen else None


# --- DescribeLogStreams ------------------------------------------------------------------------


def streams_page(rows: Iterable[dict[str, Any]], *, by_time: bool, descending: bool, limit: int | None,
                 token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """DescribeLogStreams: rows (LogStream shapes) by name, or by last event time (a stream without
    events counts as 0; ties by name), ascending unless ``descending``; a page of ``limit`` (50
    at most) from after the token's row."""

    def key(row: dict[str, Any]) -> tuple[int, str]:
        return (int(row.get("lastEventTimestamp") or 0) if by_time else 0, str(row["logStreamName"]))

    ordered = sorted(rows, key=key, reverse=descending)
    if token is not None:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token.encode()))
            after = (int(raw[0]), str(raw[1]))
        except (binascii.Error, ValueError, TypeError, IndexError, UnicodeDecodeError):
            raise invalid_token() from None
        ordered = [r for r in ordered if (key(r) < after if descending else key(r) > after)]
    most = min(limit or MAX_STREAMS, MAX_STREAMS)
    page = ordered[:most]
    if len(ordered) <= most:
        return page, None
    return page, base64.urlsafe_b64encode(json.dumps(list(key(page[-1]))).encode()).decode()
