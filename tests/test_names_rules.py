"""Names and values every receiving service accepts (issue 9 item 2): reserved prefixes and
suffixes, lengths, uniqueness, derived names that always fit, and the partition refusal.
Sources: docs/aws-facts.md section 4 and docs/fidelity/names-and-conflicts.md."""

from __future__ import annotations

import string
from pathlib import Path

import botocore.session
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bluegreen.model import rules
from bluegreen.model.config import Config, derived_names
from bluegreen.model.configfile import ConfigError, load_text
from bluegreen.model.rules import RuleError
from renderers.artifacts import render_all
from renderers.refs import Refs
from renderers.requests import event_rules
from tui.cli import main


def endpoints_regions() -> dict[str, str]:
    """Every region botocore knows, with its partition."""
    data = botocore.session.get_session().get_data("endpoints")
    return {region: p["partition"] for p in data["partitions"] for region in p["regions"]}


AWS_REGIONS = sorted(r for r, p in endpoints_regions().items() if p == "aws")


def problem_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    (problem,) = caught.value.problems
    return str(problem)


# -- S3 bucket names (S3 User Guide, "General purpose bucket naming rules") ----------------------


@pytest.mark.parametrize("bucket, words", [
    ("xn--shop-artifacts", "must not start with 'xn--'"),
    ("sthree-shop", "must not start with 'sthree-'"),
    ("sthree-configurator-shop", "must not start with 'sthree-'"),
    ("amzn-s3-demo-shop", "must not start with 'amzn-s3-demo-'"),
    ("shop-s3alias", "must not end with '-s3alias'"),
    ("shop--ol-s3", "must not end with '--ol-s3'"),
    ("shop.mrap", "must not end with '.mrap'"),
    ("shop--x-s3", "must not end with '--x-s3'"),
    ("shop--table-s3", "must not end with '--table-s3'"),
    ("shop..artifacts", "two adjacent periods"),
    ("192.168.5.4", "formatted as an IP address"),
    ("Shop-artifacts", "may only use lowercase"),
    ("ab", "3-63 characters"),
    ("a" * 64, "3-63 characters"),
])
def test_a_bucket_name_breaking_an_s3_rule_is_refused_naming_the_field(bucket: str, words: str) -> None:
    message = problem_of(f"name: shop\npipeline: {{artifactBucket: '{bucket}'}}\n")
    assert message.startswith("pipeline.artifactBucket: ") and words in message and "Fix: " in message
    message = problem_of(f"name: shop\nsource: {{type: s3, bucket: '{bucket}'}}\n")
    assert message.startswith("source.bucket: ") and words in message


def test_bucket_names_that_merely_resemble_reserved_ones_pass() -> None:
    for bucket in ("shop-xn--artifacts", "my-sthree-bucket", "s3alias-shop", "shop.1.2.3.4", "1.2.3"):
        assert rules.S3_BUCKET.check(bucket) == bucket


def test_the_source_and_artifact_buckets_must_differ_for_an_s3_source() -> None:
    message = problem_of("name: shop\nsource: {type: s3, bucket: shop-b}\npipeline: {artifactBucket: shop-b}\n")
    assert message.startswith("source.bucket: ") and "two different buckets" in message


# -- other names ----------------------------------------------------------------------------------


def test_a_log_group_under_the_reserved_aws_prefix_is_refused() -> None:
    message = problem_of("name: shop\ntask: {logGroup: aws/ecs/shop}\n")
    assert message.startswith("task.logGroup: ") and "'aws/'" in message
    assert Config(name="shop", task={"log_group": "/aws/ecs/shop"}).task.log_group == "/aws/ecs/shop"


@pytest.mark.parametrize("stack, words", [("sg-shop", "'sg-'"), ("internal-shop", "'internal-'")])
def test_a_stack_name_whose_derived_names_a_service_reserves_is_refused(stack: str, words: str) -> None:
    message = problem_of(f"name: {stack}\n")
    assert message.startswith("name: ") and words in message and "Fix: drop" in message


def test_a_load_balancer_name_starting_internal_is_refused() -> None:
    assert "internal-" in problem_of("name: shop\nloadBalancer: {name: internal-shop}\n")


def test_role_names_must_differ_ignoring_case() -> None:
    message = problem_of("name: shop\npipeline: {roleName: Shop-CodeDeploy}\n")
    assert message.startswith("pipeline.roleName: ") and "IAM ignores case" in message
    # an execution role given by ARN is not created: its derived name may be anything
    Config(name="shop", task={"execution_role_arn": "arn:aws:iam::123456789012:role/x",
                              "execution_role_name": "shop-pipeline"})


def test_a_role_arn_may_have_a_path_but_its_name_has_at_most_64_characters() -> None:
    arn = "arn:aws:iam::123456789012:role/service-role/teams/ecsTaskExecutionRole"
    assert Config(name="shop", task={"execution_role_arn": arn}).task.execution_role_arn == arn
    message = problem_of(f"name: shop\ntask: {{executionRoleArn: 'arn:aws:iam::123456789012:role/{'r' * 65}'}}\n")
    assert message.startswith("task.executionRoleArn: ")


def test_the_stack_tag_value_can_never_use_the_reserved_aws_prefix() -> None:
    # Tag keys and values may not start with "aws:" (any case); the value is the stack name,
    # which has no ':' at all, and the key is bluegreen's own.
    from bluegreen.model.config import TAG_KEY

    assert not TAG_KEY.lower().startswith("aws:")
    with pytest.raises(RuleError):
        rules.check_stack("aws:shop")


stack_names = st.from_regex(r"[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,5}){0,4}", fullmatch=True).filter(
    lambda s: 2 <= len(s) <= 24 and not s.startswith(("sg-", "internal-")))


@settings(max_examples=150, deadline=None)
@given(stack=stack_names, region=st.sampled_from(AWS_REGIONS))
def test_every_derived_name_fits_every_rule_for_every_valid_stack_name_and_aws_region(stack: str, region: str) -> None:
    config = Config(name=stack, region=region)  # _check_names would refuse one that does not fit
    for section, field, value in derived_names(stack, region):
        assert getattr(getattr(config, section), field) == value
    event_rule = rules.NameRule("EventBridge rule name", 1, 64, r"[.\-_A-Za-z0-9]+", "", "")
    for _stem, rule, _targets in event_rules(config, Refs.offline(config)):
        event_rule.check(rule["Name"])  # "<stack>-image-push", "<stack>-source-change"
    for role in ("alb", "task"):  # security group names: 255, not "sg-"
        assert not f"{stack}-{role}".startswith("sg-") and len(f"{stack}-{role}") <= 255


def test_the_longest_stack_name_in_the_longest_aws_region_fits() -> None:
    stack = "a" * 20 + "-b1c"
    region = max(AWS_REGIONS, key=len)
    config = Config(name=stack, region=region, source={"type": "s3"})
    assert len(config.pipeline.artifact_bucket) <= 63 and len(config.load_balancer.green_target_group) <= 32
    rules.S3_BUCKET.check(config.source.bucket)


def test_a_derived_name_that_does_not_fit_names_the_derived_field() -> None:
    # A made-up region code long enough to push a derived bucket name past 63 characters.
    message = problem_of(f"name: {'a' * 24}\nregion: us-northnortheastern-9\n")
    assert message.startswith("source.bucket: the derived source.bucket") and "Fix: set source.bucket yourself" in message


# -- partitions -------------------------------------------------------------------------------------


def test_partition_agrees_with_botocore_for_every_known_region() -> None:
    for region, partition in endpoints_regions().items():
        assert rules.partition(region) == partition, region


@pytest.mark.parametrize("region", sorted(r for r, p in endpoints_regions().items() if p != "aws"))
def test_a_region_outside_the_aws_partition_is_refused_clearly(region: str) -> None:
    message = problem_of(f"name: shop\nregion: {region}\n")
    assert message.startswith(f"region: {region} is in the {rules.partition(region)} partition, which "
                              "bluegreen does not support yet")
    assert "Fix: use a region of the aws partition" in message


def test_validate_exits_2_on_a_china_region(tmp_path: Path) -> None:
    config = tmp_path / "bluegreen.yaml"
    config.write_text("name: shop\nregion: cn-north-1\n")
    result = CliRunner().invoke(main, ["validate", "-f", str(config)])
    assert result.exit_code == 2 and "aws-cn partition" in result.output


def test_a_role_arn_of_another_partition_is_refused() -> None:
    message = problem_of("name: shop\ntask: {taskRoleArn: 'arn:aws-us-gov:iam::123456789012:role/app'}\n")
    assert message.startswith("task.taskRoleArn: ") and "partition 'aws-us-gov'" in message


def test_every_rendered_arn_is_in_the_aws_partition() -> None:
    import re

    for artifact in render_all(Config(name="shop", region="eu-west-1", source={"type": "s3"})):
        text = artifact.text.replace("arn:${AWS::Partition}:", "")  # CloudFormation's own
        for arn in re.findall(r"arn:[^:\"\s]*:", text):
            assert arn == "arn:aws:", (artifact.path, arn)


def test_region_codes_still_refuse_garbage() -> None:
    for bad in ("us-east", "useast1", string.ascii_lowercase):
        with pytest.raises(RuleError):
            rules.check_region(bad)
