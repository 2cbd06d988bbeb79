"""The EventBridge pattern language as the sandbox evaluates it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bluegreen.sandbox.services.events.pattern import InvalidEventPattern, matches

EVENT = {
    "version": "0",
    "source": "aws.ecr",
    "detail-type": "ECR Image Action",
    "account": "123456789012",
    "region": "us-east-1",
    "resources": ["arn:aws:ecr:us-east-1:123456789012:repository/web", "arn:other"],
    "detail": {
        "action-type": "PUSH",
        "result": "SUCCESS",
        "repository-name": "web-app",
        "image-tag": "latest",
        "size": 1024,
        "flag": False,
        "nothing": None,
        "ip": "10.0.3.7",
        "nested": {"deeper": {"value": "x"}},
        "list": [{"name": "a"}, {"name": "b"}],
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ecr"]}, True),
        ({"source": ["aws.s3", "aws.ecr"]}, True),  # array = OR
        ({"source": ["aws.s3"]}, False),
        ({"detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "image-tag": ["latest"]}}, True),
        ({"detail": {"image-tag": ["v1"]}}, False),
        ({"resources": ["arn:other"]}, True),  # event array: any element
        ({"detail": {"repository-name": [{"prefix": "web-"}]}}, True),
        ({"detail": {"repository-name": [{"prefix": "api-"}]}}, False),
        ({"detail": {"repository-name": [{"suffix": "-app"}]}}, True),
        ({"detail": {"repository-name": [{"equals-ignore-case": "WEB-APP"}]}}, True),
        ({"detail": {"repository-name": [{"wildcard": "web*app"}]}}, True),
        ({"detail": {"repository-name": [{"wildcard": "api*"}]}}, False),
        ({"detail": {"repository-name": [{"anything-but": "other"}]}}, True),
        ({"detail": {"repository-name": [{"anything-but": ["web-app", "x"]}]}}, False),
        ({"detail": {"repository-name": [{"anything-but": {"prefix": "web"}}]}}, False),
        ({"detail": {"repository-name": [{"anything-but": {"prefix": "api"}}]}}, True),
        ({"detail": {"image-tag": [{"exists": True}]}}, True),
        ({"detail": {"image-tag": [{"exists": False}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"detail": {"missing": ["x"]}}, False),
        ({"detail": {"size": [{"numeric": [">", 1000, "<=", 1024]}]}}, True),
        ({"detail": {"size": [{"numeric": ["<", 1000]}]}}, False),
        ({"detail": {"size": [1024]}}, True),
        ({"detail": {"size": ["1024"]}}, False),  # typed
        ({"detail": {"flag": [False]}}, True),
        ({"detail": {"nothing": [None]}}, True),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}, True),
        ({"detail": {"ip": [{"cidr": "192.168.0.0/16"}]}}, False),
        ({"detail": {"nested": {"deeper": {"value": ["x"]}}}}, True),
        ({"detail": {"list": {"name": ["b"]}}}, True),
        ({"detail": {"$or": [{"image-tag": ["v1"]}, {"result": ["SUCCESS"]}]}}, True),
        ({"$or": [{"source": ["aws.s3"]}, {"detail-type": ["nope"]}]}, False),
        ({}, True),
    ],
)
def test_pattern(pattern: dict, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_the_reference_rules_match_their_events() -> None:
    ecr_rule = (
        '{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],'
        '"result":["SUCCESS"],"repository-name":["web-app"],"image-tag":["latest"]}}'
    )
    assert matches(ecr_rule, EVENT)


@pytest.mark.parametrize(
    "bad",
    [
        '{"source": "aws.ecr"}',
        "[]",
        '{"a": [{"prefix": "x", "suffix": "y"}]}',
        '{"a": [{"numeric": [">"]}]}',
        '{"a": [{"bogus": 1}]}',
    ],
)
def test_invalid_patterns_raise(bad: str) -> None:
    with pytest.raises(InvalidEventPattern):
        matches(bad, {"a": "x"})


# -- TestEventPattern: the API answers with the same matcher ------------------------------------

API_EVENT = {**EVENT, "id": "7bf73129-1428-4cd3-a780-95db273d1602", "time": "2026-01-01T00:00:00Z"}


def test_test_event_pattern_answers_the_bus_matchers_result(sandbox: Any) -> None:
    events = sandbox.client("events")
    for pattern, expected in [({"source": ["aws.ecr"], "detail": {"image-tag": ["latest"]}}, True),
                              ({"source": ["aws.ecr"], "detail": {"image-tag": ["v1"]}}, False),
                              ({"detail": {"repository-name": [{"prefix": "web-"}]}}, True)]:
        answer = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(API_EVENT))
        assert answer["Result"] is expected, pattern
        assert matches(pattern, API_EVENT) is expected  # the bus would deliver the same way


def test_test_event_pattern_refuses_a_bad_pattern_and_an_incomplete_event(sandbox: Any) -> None:
    events = sandbox.client("events")
    with pytest.raises(ClientError) as bad_pattern:
        events.test_event_pattern(EventPattern='{"source": "aws.ecr"}', Event=json.dumps(API_EVENT))
    assert bad_pattern.value.response["Error"]["Code"] == "InvalidEventPatternException"
    incomplete = {k: v for k, v in API_EVENT.items() if k != "id"}
    with pytest.raises(ClientError) as bad_event:
        events.test_event_pattern(EventPattern='{"source": ["aws.ecr"]}', Event=json.dumps(incomplete))
    assert bad_event.value.response["Error"]["Code"] == "ValidationException"
    assert "mandatory field id" in bad_event.value.response["Error"]["Message"]
