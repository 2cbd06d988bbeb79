"""The IAM policy evaluator (bluegreen.policy.evaluate): decision order, Action/NotAction,
Resource/NotResource, wildcards, condition operators, principals, and what it refuses."""

from __future__ import annotations

import pytest

from bluegreen.policy.evaluate import Policy, UnsupportedPolicy, evaluate
from bluegreen.policy.managed import managed_policy, pinned_arns

BUCKET = "arn:aws:s3:::shop-artifacts"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_default_is_deny_and_an_allow_allows() -> None:
    assert not evaluate([], "s3:GetObject", f"{BUCKET}/k")
    decision = evaluate([doc(allow("s3:GetObject", f"{BUCKET}/*"))], "s3:GetObject", f"{BUCKET}/k")
    assert decision.allowed and decision.reason == "allow"
    assert decision.statement == allow("s3:GetObject", f"{BUCKET}/*")


def test_an_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    policies = [Policy("a", doc(allow("s3:*"))), Policy("b", doc({**deny("s3:PutObject"), "Sid": "NoWrites"}))]
    decision = evaluate(policies, "s3:PutObject", f"{BUCKET}/k")
    assert not decision.allowed and decision.reason == "explicit deny"
    assert decision.policy == "b" and "NoWrites" in str(decision)
    assert evaluate(policies, "s3:GetObject", f"{BUCKET}/k").allowed


def test_statement_may_be_a_single_object_and_values_single_strings() -> None:
    document = {"Version": "2012-10-17", "Statement": allow("ecr:GetAuthorizationToken")}
    assert evaluate([document], "ecr:GetAuthorizationToken", "*")


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("s3:GetObject", "s3:getobject", True),  # actions are case-insensitive
    ("s3:Get*", "s3:GetObjectVersion", True),
    ("s3:Get*", "s3:PutObject", False),
    ("ecs:*TaskSet", "ecs:CreateTaskSet", True),
    ("ecs:?eleteTaskSet", "ecs:DeleteTaskSet", True),
    ("ecs:?TaskSet", "ecs:CreateTaskSet", False),
    ("*", "iam:PassRole", True),
])
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert evaluate([doc(allow(pattern))], action, "*").allowed is expected


def test_not_action_matches_every_other_action() -> None:
    policy = doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    assert evaluate([policy], "s3:GetObject", f"{BUCKET}/k")
    assert not evaluate([policy], "iam:PassRole", "arn:aws:iam::123456789012:role/x")


@pytest.mark.parametrize(("pattern", "resource", "expected"), [
    (f"{BUCKET}/*", f"{BUCKET}/a/b/c", True),
    (BUCKET, f"{BUCKET}/k", False),
    ("arn:aws:s3:::Shop-artifacts/*", f"{BUCKET}/k", False),  # resources are case-sensitive
    ("arn:aws:iam::*:role/ecsTaskExecutionRole", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole", True),
    ("arn:aws:iam::*:role/ECSTaskExecution*", "arn:aws:iam::123456789012:role/shop-execution", False),
    ("arn:aws:lambda:*:*:function:CodeDeployHook_*", "arn:aws:lambda:us-east-2:123456789012:function:CodeDeployHook_a", True),
    # a wildcard stays within its ARN component: "*" in the region does not eat the account
    ("arn:aws:logs:*:log-group:/ecs/shop:*", "arn:aws:logs:us-east-2:123456789012:log-group:/ecs/shop:log-stream:s", False),
    ("arn:aws:logs:us-east-2:123456789012:log-group:/ecs/shop:*",
     "arn:aws:logs:us-east-2:123456789012:log-group:/ecs/shop:log-stream:a/b/c", True),
    ("arn:aws:ecr:us-east-2:123456789012:repository/nginx", "*", False),  # a scoped grant never covers "*"
])
def test_resource_wildcards(pattern: str, resource: str, expected: bool) -> None:
    assert evaluate([doc(allow("s3:GetObject", pattern))], "s3:GetObject", resource).allowed is expected


def test_not_resource() -> None:
    policy = doc({"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, f"{BUCKET}/*"]}, allow("s3:*"))
    assert evaluate([policy], "s3:GetObject", f"{BUCKET}/k")
    assert not evaluate([policy], "s3:GetObject", "arn:aws:s3:::other/k")


PASS = allow("iam:PassRole", "arn:aws:iam::*:role/ECSTaskExecution*",
             Condition={"StringLike": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}})
ROLE = "arn:aws:iam::123456789012:role/ECSTaskExecutionShop"


def test_string_like_condition_needs_the_key_with_a_matching_value() -> None:
    assert evaluate([doc(PASS)], "iam:PassRole", ROLE, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    assert not evaluate([doc(PASS)], "iam:PassRole", ROLE, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert not evaluate([doc(PASS)], "iam:PassRole", ROLE)  # missing key: no match
    # condition key names are case-insensitive
    assert evaluate([doc(PASS)], "iam:PassRole", ROLE, {"IAM:passedToService": "ecs-tasks.amazonaws.com"})


@pytest.mark.parametrize(("condition", "context", "expected"), [
    ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),  # values under one key: OR
    ({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a"}, False),  # keys: AND
    ({"StringEquals": {"k": "a"}, "Bool": {"aws:SecureTransport": "true"}}, {"k": "a", "aws:SecureTransport": True}, True),
    ({"StringEquals": {"k": "a"}}, {"k": "A"}, False),
    ({"StringEqualsIgnoreCase": {"k": "a"}}, {"k": "A"}, True),
    ({"StringNotEquals": {"k": "a"}}, {"k": "b"}, True),
    ({"StringNotEquals": {"k": "a"}}, {"k": "a"}, False),
    ({"StringNotEquals": {"k": "a"}}, {}, True),  # a negated operator holds when the key is missing
    ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
    ({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}, False),
    ({"StringLike": {"k": "ab*"}}, {"k": "abc"}, True),
    ({"StringNotLike": {"k": "ab*"}}, {"k": "abc"}, False),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:codepipeline:*:123456789012:*"}},
     {"aws:SourceArn": "arn:aws:codepipeline:us-east-2:123456789012:shop"}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:codepipeline:us-east-2:123456789012:shop"}},
     {"aws:SourceArn": "arn:aws:codepipeline:us-east-2:123456789012:other"}, False),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:codepipeline:*:*:shop"}},
     {"aws:SourceArn": "arn:aws:codepipeline:us-east-2:123456789012:other"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    ({"Null": {"k": "true"}}, {}, True),
    ({"Null": {"k": "true"}}, {"k": "x"}, False),
    ({"Null": {"k": "false"}}, {"k": "x"}, True),
    ({"NumericLessThan": {"n": "10"}}, {"n": 3}, True),
    ({"NumericGreaterThanEquals": {"n": "10"}}, {"n": 3}, False),
    ({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x", "b"]}, True),
    ({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x"]}, False),
    ({"ForAnyValue:StringEquals": {"tags": ["a"]}}, {}, False),
    ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "b"]}, True),
    ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "x"]}, False),
    ({"ForAllValues:StringEquals": {"tags": ["a"]}}, {}, True),  # vacuously true
    ({"StringEquals": {"tags": "a"}}, {"tags": ["a", "b"]}, False),  # a multivalued key needs a set operator
])
def test_condition_operators(condition: dict, context: dict, expected: bool) -> None:
    policy = doc(allow("s3:GetObject", Condition=condition))
    assert evaluate([policy], "s3:GetObject", f"{BUCKET}/k", context).allowed is expected


def test_principal_in_a_trust_policy() -> None:
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role = "arn:aws:iam::123456789012:role/shop-execution"
    assert evaluate([trust], "sts:AssumeRole", role, principal={"Service": "ecs-tasks.amazonaws.com"})
    assert not evaluate([trust], "sts:AssumeRole", role, principal={"Service": "lambda.amazonaws.com"})
    anyone = doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})
    assert evaluate([anyone], "sts:AssumeRole", role, principal={"AWS": "arn:aws:iam::1:root"})


@pytest.mark.parametrize("statement", [
    allow("s3:GetObject", "arn:aws:s3:::${aws:username}/*"),
    allow("s3:GetObject", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    allow("s3:GetObject", Condition={"ForSomeValues:StringEquals": {"k": "a"}}),
    {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"},
])
def test_what_is_not_modelled_is_refused_rather_than_guessed(statement: dict) -> None:
    with pytest.raises(UnsupportedPolicy):
        evaluate([doc(statement)], "s3:GetObject", f"{BUCKET}/k", {"k": "a", "aws:CurrentTime": "x"})


def test_the_pinned_managed_policies_are_the_ones_the_stack_uses() -> None:
    assert pinned_arns() == [
        "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited",
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    ]
    limited = managed_policy("arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited")
    # the review's finding, reproduced on the real document: a role named <stack>-execution
    # is not passed, one named ecsTaskExecutionRole is
    context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    assert not evaluate([limited], "iam:PassRole", "arn:aws:iam::123456789012:role/shop-execution", context)
    assert evaluate([limited], "iam:PassRole", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole", context)
    assert not evaluate([limited], "lambda:InvokeFunction", "arn:aws:lambda:us-east-2:123456789012:function:smoke")


def test_the_pinned_copies_match_the_ones_moto_ships() -> None:
    """A newer moto may carry a newer version of a policy: re-pin on purpose
    (docs/fidelity/iam.md, "Refreshing the pinned policies") and rerun the role checks."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    shipped = json.loads(aws_managed_policies_data)
    for arn in pinned_arns():
        name = arn.rsplit("/", 1)[-1]
        assert shipped[name]["Document"] == managed_policy(arn).document, f"{name} changed in moto: re-pin it"
