"""The wizard's draft keeps derived names true to the region: bucket names carry the region,
so they follow a region change unless the user set them (issue 9 item 2)."""

from __future__ import annotations

from bluegreen.model.draft import Draft


def test_setting_the_region_moves_the_derived_bucket_names_along() -> None:
    draft = Draft.new("shop", region="us-east-1")
    assert draft.set("region", "eu-west-1") == []
    assert draft.config.region == "eu-west-1"
    assert draft.config.pipeline.artifact_bucket == "bluegreen-shop-eu-west-1-artifacts"
    assert draft.config.source.bucket == "bluegreen-shop-eu-west-1-source"
    assert draft.config.ecs.cluster == "shop"  # names without the region stay


def test_a_bucket_name_the_user_set_stays_when_the_region_changes() -> None:
    draft = Draft.new("shop", region="us-east-1")
    assert draft.set("source.type", "s3") == []
    assert draft.set("source.bucket", "my-shop-source") == []
    assert draft.set("region", "ap-southeast-2") == []
    assert draft.config.source.bucket == "my-shop-source"
    assert draft.config.pipeline.artifact_bucket == "bluegreen-shop-ap-southeast-2-artifacts"


def test_renaming_after_a_region_change_keeps_both() -> None:
    draft = Draft.new("shop")
    draft.set("region", "us-west-2")
    assert draft.set("name", "store") == []
    assert draft.config.pipeline.artifact_bucket == "bluegreen-store-us-west-2-artifacts"


def test_a_refused_region_changes_nothing_and_says_why() -> None:
    draft = Draft.new("shop")
    problems = draft.set("region", "cn-north-1")
    assert [p.path for p in problems] == ["region"] and "aws-cn partition" in problems[0].rule
    assert draft.config.region == "us-east-1"
    assert draft.config.pipeline.artifact_bucket == "bluegreen-shop-us-east-1-artifacts"
