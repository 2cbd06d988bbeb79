"""CloudWatch Logs reads: the last lines of the newest tasks' log streams.

DescribeLogStreams ordered by LastEventTime, newest first, names the two streams written
last (the awslogs driver writes one stream per container of each task); each stream is then
read from its end once (GetLogEvents, startFromHead false) and afterwards only forward from
its token, so a read returns only new lines. AWS documents a stream's lastEventTimestamp and
lastIngestionTime as eventually consistent (they may lag by up to an hour): neither can tell
whether a stream grew, so every stream shown is read each time, and the order of streams can
be stale (a new task's first lines can show late, never wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bluegreen.errors import aws_error_code
from bluegreen.watch.snapshot import LogLine

STREAMS = 2
LINES_PER_STREAM = 20
LINES_KEPT = 40


@dataclass
class _Stream:
    token: str = ""  # nextForwardToken of the last read
    lines: list[LogLine] = field(default_factory=list)


class LogTail:
    """The lines kept between polls (the poller owns one; it is used from one thread at a time)."""

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}

    def read(self, logs: Any, group: str) -> tuple[LogLine, ...]:
        try:
            answer = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True,
                                               limit=STREAMS)
        except Exception as exc:
            if aws_error_code(exc) == "ResourceNotFoundException":
                return ()  # no log group (yet): nothing to show, nothing wrong with the stack
            raise
        names = []
        for found in answer.get("logStreams") or []:
            name = str(found.get("logStreamName") or "")
            names.append(name)
            self._read_stream(logs, group, name, self._streams.setdefault(name, _Stream()))
        self._streams = {name: self._streams[name] for name in names}
        merged = sorted((line for name in names for line in self._streams[name].lines),
                        key=lambda line: line.at.timestamp() if line.at else 0.0)
        return tuple(merged[-LINES_KEPT:])

    def _read_stream(self, logs: Any, group: str, name: str, stream: _Stream) -> None:
        request: dict[str, Any] = {"logGroupName": group, "logStreamName": name, "limit": LINES_PER_STREAM}
        if stream.token:
            request.update(nextToken=stream.token, startFromHead=True)
        else:
            request["startFromHead"] = False  # the newest lines first time round
        answer = logs.get_log_events(**request)
        for event in answer.get("events") or []:
            stamp = event.get("timestamp")
            at = datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int) else None
            stream.lines.append(LogLine(at, name, str(event.get("message") or "").rstrip("\n")))
        del stream.lines[:-LINES_PER_STREAM]
        stream.token = str(answer.get("nextForwardToken") or stream.token)
