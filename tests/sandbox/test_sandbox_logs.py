"""CloudWatch Logs reads of the task log groups come from the task runtime: a real container's
lines through boto3's GetLogEvents (both tokens, limits, time bounds), DescribeLogStreams (order,
prefix, paging) and FilterLogEvents (streams, time, limit, terms), the moment it printed them; a
stopped task's stream stays; a simulated task's stream holds its one status line; every other group
is moto's as before.

The container's command prints ``line-0`` ... ``line-29`` and then serves the sample site (whose
request log keeps the stream growing, as a live stream does); reads bounded by ``endTime`` end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from ecs_elb_support import (
    CONTAINER,
    Image,
    Stack,
    docker_sandbox,
    provision,
    running_tasks,
    sample_image,
    wait_for,
)

from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from bluegreen.sandbox.services.logs import pages, patterns

LINES = [f"line-{i}" for i in range(30)]
COMMAND = ["/bin/sh", "-c", "i=0; while [ $i -lt 30 ]; do echo line-$i; i=$((i+1)); done; "
           "exec /bin/busybox httpd -f -v -p 80 -h /www"]


def _stream(task: dict[str, Any]) -> str:
    return f"web/{CONTAINER}/{task['taskArn'].split('/')[-1]}"


def _messages(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events]


# --- a real container ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logs_sandbox(docker_client: Any) -> Iterator[SandboxHandle]:
    with docker_sandbox(docker_client, check_threads=True, time_scale=30) as handle:
        yield handle


@pytest.fixture(scope="module")
def image(docker_client: Any, logs_sandbox: SandboxHandle,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    with sample_image(docker_client, logs_sandbox, tmp_path_factory.mktemp("sample"), "web", "1") as built:
        yield built


@pytest.fixture(scope="module")
def stack(logs_sandbox: SandboxHandle, image: Image) -> Stack:
    return provision(logs_sandbox, image.uri, "logs", command=COMMAND)


@pytest.fixture(scope="module")
def printed(logs_sandbox: SandboxHandle, stack: Stack) -> tuple[str, list[dict[str, Any]]]:
    """The running task's stream, once its 30 lines are readable, and those 30 events."""
    logs = logs_sandbox.client("logs")
    task = wait_for(lambda: (running_tasks(logs_sandbox, stack) or [None])[0], "the task runs", 60)
    stream = _stream(task)

    def head() -> list[dict[str, Any]] | None:
        try:
            events = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream,
                                         startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:  # the stream appears as the container starts
            return None
        return events[:30] if len(events) >= 30 else None

    return stream, wait_for(head, "the container's 30 lines in its stream")


@pytest.mark.docker
def test_the_container_lines_are_its_stream_in_order(logs_sandbox: SandboxHandle, stack: Stack,
                                                     printed: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = printed
    assert _messages(events) == LINES
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert all(e["ingestionTime"] >= e["timestamp"] for e in events)
    # no nextToken and no startFromHead: the latest events, the newest last
    latest = logs_sandbox.client("logs").get_log_events(
        logGroupName=stack.log_group, logStreamName=stream, endTime=stamps[-1] + 1, limit=3)
    assert _messages(latest["events"]) == LINES[-3:]


@pytest.mark.docker
def test_get_log_events_pages_forward_then_backward_until_the_same_token(
        logs_sandbox: SandboxHandle, stack: Stack, printed: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = printed
    logs = logs_sandbox.client("logs")
    window = {"logGroupName": stack.log_group, "logStreamName": stream, "endTime": events[-1]["timestamp"] + 1}
    # the sample site's lines after line-29 may share its millisecond: keep only ours
    seen: list[str] = []
    answer = logs.get_log_events(**window, startFromHead=True, limit=7)
    pages_seen = 0
    token = None
    while True:
        page = [m for m in _messages(answer["events"]) if m.startswith("line-")]
        assert len(answer["events"]) <= 7
        seen += page
        if answer["nextForwardToken"] == token:  # the end: the same token comes back
            assert answer["events"] == []
            break
        token = answer["nextForwardToken"]
        pages_seen += 1
        assert pages_seen < 20, "forward paging does not end"
        answer = logs.get_log_events(**window, startFromHead=True, limit=7, nextToken=token)
    assert seen == LINES and pages_seen >= 5  # 30 lines, 7 a page

    backward: list[list[str]] = []
    answer = logs.get_log_events(**window, limit=5)  # the latest 5 first
    token = None
    while answer["nextBackwardToken"] != token:
        backward.append([m for m in _messages(answer["events"]) if m.startswith("line-")])
        token = answer["nextBackwardToken"]
        answer = logs.get_log_events(**window, limit=5, nextToken=token)
        assert len(backward) < 20, "backward paging does not end"
    assert [line for page in reversed(backward) for line in page] == LINES

    # a page from a backward token's place onwards is the forward page after it
    middle = logs.get_log_events(**window, startFromHead=True, limit=10)
    after = logs.get_log_events(**window, startFromHead=True, limit=10, nextToken=middle["nextForwardToken"])
    before = logs.get_log_events(**window, limit=10, nextToken=after["nextBackwardToken"])
    assert _messages(after["events"]) == LINES[10:20] and _messages(before["events"]) == LINES[:10]

    start = events[12]["timestamp"]
    timed = logs.get_log_events(**window, startTime=start, startFromHead=True)["events"]
    assert timed and all(e["timestamp"] >= start for e in timed) and "line-12" in _messages(timed)

    with pytest.raises(ClientError) as info:
        logs.get_log_events(**window, nextToken="f/not-a-token")
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


@pytest.mark.docker
def test_describe_log_streams_orders_filters_and_pages(logs_sandbox: SandboxHandle, stack: Stack,
                                                       printed: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = printed
    logs = logs_sandbox.client("logs")
    # a stream of the same group that no task writes, with older events: read from moto's store
    logs.create_log_stream(logGroupName=stack.log_group, logStreamName="manual")
    old = events[0]["timestamp"] - 3_600_000
    logs.put_log_events(logGroupName=stack.log_group, logStreamName="manual",
                        logEvents=[{"timestamp": old, "message": "by hand"}])

    latest = logs.describe_log_streams(logGroupName=stack.log_group, orderBy="LastEventTime", descending=True,
                                       limit=1)
    (row,) = latest["logStreams"]
    assert row["logStreamName"] == stream and "nextToken" in latest
    assert row["firstEventTimestamp"] == events[0]["timestamp"]
    assert row["lastEventTimestamp"] >= events[-1]["timestamp"]
    assert row["creationTime"] <= row["firstEventTimestamp"] and row["storedBytes"] == 0
    assert row["arn"].endswith(f":log-group:{stack.log_group}:log-stream:{stream}")
    rest = logs.describe_log_streams(logGroupName=stack.log_group, orderBy="LastEventTime", descending=True,
                                     limit=1, nextToken=latest["nextToken"])
    assert [r["logStreamName"] for r in rest["logStreams"]] == ["manual"] and "nextToken" not in rest

    by_name = logs.describe_log_streams(logGroupName=stack.log_group)["logStreams"]
    assert [r["logStreamName"] for r in by_name] == sorted(["manual", stream])
    prefixed = logs.describe_log_streams(logGroupName=stack.log_group, logStreamNamePrefix="web/")["logStreams"]
    assert [r["logStreamName"] for r in prefixed] == [stream]

    with pytest.raises(ClientError) as info:
        logs.describe_log_streams(logGroupName=stack.log_group, orderBy="LastEventTime", logStreamNamePrefix="web/")
    assert info.value.response["Error"] == {
        "Code": "InvalidParameterException", "Message": "Cannot order by LastEventTime with a logStreamNamePrefix."}


@pytest.mark.docker
def test_filter_log_events_by_stream_time_limit_and_terms(logs_sandbox: SandboxHandle, stack: Stack,
                                                          printed: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = printed
    logs = logs_sandbox.client("logs")
    end = events[-1]["timestamp"]  # inclusive for FilterLogEvents
    first = logs.filter_log_events(logGroupName=stack.log_group, logStreamNames=[stream],
                                   startTime=events[0]["timestamp"], endTime=end, limit=4)
    assert _messages(first["events"])[:4] == LINES[:4] and len(first["events"]) == 4
    assert all(e["logStreamName"] == stream and len(e["eventId"]) == 56 for e in first["events"])
    collected = _messages(first["events"])
    answer = first
    while "nextToken" in answer:
        answer = logs.filter_log_events(logGroupName=stack.log_group, logStreamNames=[stream],
                                        startTime=events[0]["timestamp"], endTime=end, limit=4,
                                        nextToken=answer["nextToken"])
        collected += _messages(answer["events"])
        assert len(collected) < 200, "filter paging does not end"
    assert [m for m in collected if m.startswith("line-")] == LINES

    terms = logs.filter_log_events(logGroupName=stack.log_group, logStreamNames=[stream], filterPattern="line-2")
    assert _messages(terms["events"]) == ["line-2", *LINES[20:]]
    either = logs.filter_log_events(logGroupName=stack.log_group, filterPattern="?line-3 ?line-7 -line-30")
    assert set(_messages(either["events"])) == {"line-3", "line-7"}

    # the whole group: a user's stream's events interleaved by time with the task's
    logs.create_log_stream(logGroupName=stack.log_group, logStreamName="interleaved")
    middle = events[15]["timestamp"]
    logs.put_log_events(logGroupName=stack.log_group, logStreamName="interleaved",
                        logEvents=[{"timestamp": middle, "message": "line-between"}])
    group = logs.filter_log_events(logGroupName=stack.log_group, startTime=events[0]["timestamp"], endTime=end,
                                   filterPattern="line")["events"]
    stamps = [e["timestamp"] for e in group]
    assert stamps == sorted(stamps) and "line-between" in _messages(group)
    assert {e["logStreamName"] for e in group} >= {stream, "interleaved"}


@pytest.mark.docker
def test_a_stopped_tasks_stream_stays_readable(logs_sandbox: SandboxHandle, stack: Stack,
                                               printed: tuple[str, list[dict[str, Any]]]) -> None:
    stream, events = printed
    ecs, logs = logs_sandbox.client("ecs"), logs_sandbox.client("logs")
    task_arn = running_tasks(logs_sandbox, stack)[0]["taskArn"]
    ecs.stop_task(cluster=stack.cluster, task=task_arn, reason="read its logs afterwards")
    wait_for(lambda: ecs.describe_tasks(cluster=stack.cluster, tasks=[task_arn])["tasks"][0]["lastStatus"]
             == "STOPPED", "the task stops", 60)
    after = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream, startFromHead=True,
                                endTime=events[-1]["timestamp"] + 1)["events"]
    assert [m for m in _messages(after) if m.startswith("line-")] == LINES
    # its replacement writes a stream of its own
    replacement = wait_for(lambda: [t for t in running_tasks(logs_sandbox, stack) if t["taskArn"] != task_arn],
                           "a replacement task runs", 60)[0]
    names = {r["logStreamName"] for r in logs.describe_log_streams(logGroupName=stack.log_group,
                                                                     logStreamNamePrefix="web/")["logStreams"]}
    assert {stream, _stream(replacement)} <= names


# --- simulated tasks, and the groups that stay moto's ------------------------------------------------


@pytest.fixture(scope="module")
def simulated() -> Iterator[tuple[SandboxHandle, Stack]]:
    with start_sandbox(port=0, tasks="simulated", time_scale=30) as handle:
        yield handle, provision(handle, f"{handle.registry_host}/web:1", "simulated")


def test_a_simulated_tasks_stream_is_its_status_line(simulated: tuple[SandboxHandle, Stack]) -> None:
    sandbox, stack = simulated
    logs = sandbox.client("logs")
    task = wait_for(lambda: (running_tasks(sandbox, stack) or [None])[0], "the simulated task runs")
    stream = _stream(task)
    events = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream)["events"]
    assert _messages(events) == [task["containers"][0]["reason"]]
    assert events[0]["message"].startswith("simulated: ")
    (row,) = logs.describe_log_streams(logGroupName=stack.log_group)["logStreams"]
    assert row["logStreamName"] == stream and row["firstEventTimestamp"] == events[0]["timestamp"]
    found = logs.filter_log_events(logGroupName=stack.log_group)["events"]
    assert [(e["logStreamName"], e["message"]) for e in found] == [(stream, events[0]["message"])]
    answer = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream, startFromHead=True)
    again = logs.get_log_events(logGroupName=stack.log_group, logStreamName=stream, startFromHead=True,
                                nextToken=answer["nextForwardToken"])
    assert again["events"] == [] and again["nextForwardToken"] == answer["nextForwardToken"]


def test_other_groups_and_refusals(simulated: tuple[SandboxHandle, Stack]) -> None:
    sandbox, stack = simulated
    logs = sandbox.client("logs")
    logs.create_log_group(logGroupName="/not/a/task/group")
    logs.create_log_stream(logGroupName="/not/a/task/group", logStreamName="s")
    logs.put_log_events(logGroupName="/not/a/task/group", logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "moto keeps me"}])
    events = logs.get_log_events(logGroupName="/not/a/task/group", logStreamName="s", startFromHead=True)["events"]
    assert _messages(events) == ["moto keeps me"]

    def code(call: Any, **kwargs: Any) -> str:
        with pytest.raises(ClientError) as info:
            call(**kwargs)
        return str(info.value.response["Error"]["Code"])

    assert code(logs.get_log_events, logGroupName=stack.log_group, logStreamName="web/none/x") \
        == "ResourceNotFoundException"
    assert code(logs.describe_log_streams, logGroupName=stack.log_group, limit=51) == "InvalidParameterException"
    assert code(logs.filter_log_events, logGroupName=stack.log_group, logStreamNames=["a"],
                logStreamNamePrefix="a") == "InvalidParameterException"
    assert code(logs.filter_log_events, logGroupName=stack.log_group, nextToken="###") == "InvalidParameterException"
    # a group a task names but nobody created: ECS would fail the task; the group does not exist
    logs.delete_log_group(logGroupName=stack.log_group)
    assert code(logs.describe_log_streams, logGroupName=stack.log_group) == "ResourceNotFoundException"


# --- the paging rules, without a sandbox ------------------------------------------------------------


def test_pages_tokens_and_budget() -> None:
    events = pages.placed([(5, "b"), (5, "c"), (1, "a"), (9, "d")])
    assert [(e.timestamp, e.n, e.message) for e in events] == [(1, 0, "a"), (5, 0, "b"), (5, 1, "c"), (9, 0, "d")]
    page, forward, backward = pages.stream_page(events, start=None, end=None, limit=2, from_head=True, token=None)
    assert [e.message for e in page] == ["a", "b"]
    assert pages.read_stream_token(forward) == ("f", (5, 1)) and pages.read_stream_token(backward) == ("b", (1, 0))
    page, forward2, _ = pages.stream_page(events, start=None, end=None, limit=5, from_head=True, token=forward)
    assert [e.message for e in page] == ["c", "d"]
    page, same, _ = pages.stream_page(events, start=None, end=None, limit=5, from_head=True, token=forward2)
    assert page == [] and same == forward2
    page, _, _ = pages.stream_page(events, start=5, end=9, limit=None, from_head=False, token=None)
    assert [e.message for e in page] == ["b", "c"]  # start inclusive, end exclusive
    big = pages.placed([(i, "x" * 300_000) for i in range(5)])
    assert len(pages.fit(big, None)) == 3  # 1 MB a page, 26 bytes counted per event
    assert len(pages.fit(pages.placed([(0, "y" * 2_000_000)]), None)) == 1  # at least one
    with pytest.raises(Exception, match="nextToken"):
        pages.read_stream_token("x/123/s")


def test_term_patterns() -> None:
    assert patterns.parse('ERROR "disk full"').matches("ERROR: disk full on /")
    assert not patterns.parse('ERROR "disk full"').matches("ERROR: disk is full")
    assert not patterns.parse("ERROR -retry").matches("ERROR will retry")
    assert patterns.parse("?WARN ?ERROR").matches("a WARN")
    assert not patterns.parse("error").matches("ERROR")  # case-sensitive
    assert patterns.parse("").matches("anything")
    with pytest.raises(Exception, match="term patterns only"):
        patterns.parse('{ $.level = "error" }')
