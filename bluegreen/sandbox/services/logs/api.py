"""CloudWatch Logs reads of the groups the sandbox's tasks write to, answered from the task runtime.

``DescribeLogStreams``, ``GetLogEvents`` and ``FilterLogEvents`` on a group a task's ``awslogs``
configuration names read the containers' output through :class:`~..ecs.logstreams.TaskLogStreams`
(every line as soon as the container printed it; a simulated task's one status line), in the
CloudWatch Logs API's shapes and paging (:mod:`.pages`). Streams of such a group that no task
writes (a user's own) are read from moto's backend alongside; calls for any other group, and
every other Logs operation, go to moto as before. Where AWS's behaviour was not verified:
docs/sandbox-runtime.md, "Logs".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import validate
from ...ecs.logstreams import ReadableStream, TaskLogStreams
from ...wire import AwsError, AwsRequest, Response, json_response
from ..common import BackendHandler, Params
from . import pages, patterns


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _no_group() -> AwsError:
    return AwsError("ResourceNotFoundException", "The specified log group does not exist.")


def _no_stream() -> AwsError:
    return AwsError("ResourceNotFoundException", "The specified log stream does not exist.")


class TaskLogs(BackendHandler):
    def __init__(self, account_id: str, default_region: str, streams: TaskLogStreams) -> None:
        super().__init__(account_id, default_region)
        self.task_streams = streams
        self._ops: dict[str, Callable[[str, str, Params], dict[str, Any] | None]] = {
            "DescribeLogStreams": self.describe_log_streams,
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
        }

    def handle(self, req: AwsRequest) -> Response | None:
        op = self._ops.get(req.operation or "")
        if op is None:
            return None
        body = req.json_body()
        problem = validate.constraint_message(body, validate.service_model("logs").operation_model(
            req.operation).input_shape)
        if problem:  # CloudWatch Logs answers a broken constraint with this exception
            raise _invalid(problem)
        region = self.region(req)
        group = self._group(region, body)
        if group is None or not self.task_streams.is_task_group(region, group):
            return None  # moto's group: moto answers
        answer = op(region, group, Params(body))
        return None if answer is None else json_response(req, answer)

    # --- the operations --------------------------------------------------------------------------

    def describe_log_streams(self, region: str, group: str, params: Params) -> dict[str, Any]:
        prefix = params.text("logStreamNamePrefix") or ""
        by_time = params.text("orderBy") == "LastEventTime"
        if by_time and prefix:
            raise _invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        tasks = self.task_streams.streams(region, group)
        moto_group = self._moto_group(region, group)
        rows = []
        for name, stream in list(moto_group.streams.items()):
            if not name.startswith(prefix):
                continue
            rows.append(self._task_row(stream, tasks[name]) if name in tasks else stream.to_describe_dict())
        page, token = pages.streams_page(rows, by_time=by_time, descending=params.flag("descending"),
                                         limit=params.integer("limit"), token=params.text("nextToken"))
        return {"logStreams": page, **({"nextToken": token} if token else {})}

    def get_log_events(self, region: str, group: str, params: Params) -> dict[str, Any] | None:
        name = params.required_text("logStreamName", "InvalidParameterException")
        tasks = self.task_streams.streams(region, group)  # first: makes the streams of new tasks
        if name not in self._moto_group(region, group).streams:
            raise _no_stream()
        stream = tasks.get(name)
        if stream is None:
            return None  # a stream no task writes: moto's
        start = params.integer("startTime")
        events = pages.placed(self.task_streams.lines(stream, since=start))
        page, forward, backward = pages.stream_page(
            events, start=start, end=params.integer("endTime"), limit=params.integer("limit"),
            from_head=params.flag("startFromHead"), token=params.text("nextToken"))
        return {
            "events": [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion} for e in page],
            "nextForwardToken": forward,
            "nextBackwardToken": backward,
        }

    def filter_log_events(self, region: str, group: str, params: Params) -> dict[str, Any]:
        names = [str(n) for n in params.items("logStreamNames")]
        prefix = params.text("logStreamNamePrefix")
        if names and prefix is not None:
            raise _invalid("logStreamNames and logStreamNamePrefix cannot both be specified.")
        pattern = patterns.parse(params.text("filterPattern"))
        start, end = params.integer("startTime"), params.integer("endTime")
        tasks = self.task_streams.streams(region, group)
        moto_group = self._moto_group(region, group)
        found: list[pages.Found] = []
        for name, stream in list(moto_group.streams.items()):
            if (names and name not in names) or (prefix is not None and not name.startswith(prefix)):
                continue
            if name in tasks:
                events = pages.placed(self.task_streams.lines(tasks[name], since=start))
            else:
                stored = list(stream.events)
                events = pages.placed([(e.timestamp, e.message) for e in stored], [e.ingestion_time for e in stored])
            found.extend(
                pages.Found(name, e) for e in events
                # FilterLogEvents' endTime is inclusive ("later than this time are not returned")
                if (start is None or e.timestamp >= start) and (end is None or e.timestamp <= end)
                and pattern.matches(e.message))
        page, token = pages.group_page(found, params.integer("limit"), params.text("nextToken"))
        # searchedLogStreams "is no longer supported ... returns an empty list" (API reference)
        answer: dict[str, Any] = {"events": [f.shape() for f in page], "searchedLogStreams": []}
        return {**answer, "nextToken": token} if token else answer

    # --- helpers ---------------------------------------------------------------------------------

    def _group(self, region: str, body: dict[str, Any]) -> str | None:
        """The group's name, from ``logGroupName`` or ``logGroupIdentifier`` (a name or an ARN of
        this account and region); None when it is not that plain (moto judges those)."""
        name, identifier = body.get("logGroupName"), body.get("logGroupIdentifier")
        if isinstance(name, str) and identifier is None:
            return name
        if name is not None or not isinstance(identifier, str):
            return None
        if not identifier.startswith("arn:"):
            return identifier
        parts = identifier.split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[3] != region or parts[4] != self.account_id \
                or parts[5] != "log-group":
            return None
        return ":".join(parts[6:]).removesuffix(":*")

    def _moto_group(self, region: str, group: str) -> Any:
        found = self.moto_backend("logs", region).groups.get(group)
        if found is None:
            raise _no_group()
        return found

    def _task_row(self, moto_stream: Any, stream: ReadableStream) -> dict[str, Any]:
        lines = self.task_streams.lines(stream)
        row: dict[str, Any] = {
            "logStreamName": stream.name,
            "creationTime": stream.creation_ms,
            "arn": moto_stream.arn,
            "storedBytes": 0,  # "always reported as zero" for log streams (API reference)
        }
        if lines:
            row.update(firstEventTimestamp=lines[0][0], lastEventTimestamp=lines[-1][0],
                       lastIngestionTime=lines[-1][0])
        return row
