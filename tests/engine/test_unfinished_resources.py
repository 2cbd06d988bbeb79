"""A run that stopped between the calls that make one resource leaves it unfinished; the next
run recognises it and finishes it instead of refusing it (the S3 bucket: create, then tag, then
block public access)."""

from __future__ import annotations

from support.engine import put_tiny_image, run_apply, run_destroy, run_plan, session_for, stack_config

from bluegreen.model.config import tag_value


def bucket_state(session, name: str) -> tuple[str | None, bool]:  # type: ignore[no-untyped-def]
    s3 = session.client("s3")
    try:
        tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except Exception:
        tags = []
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except Exception:
        block = {}
    return tag_value(tags), all(block.get(k) is True for k in
                                ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))


def test_a_bucket_created_but_never_tagged_is_finished_not_refused(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("halfmade")
    bucket = config.pipeline.artifact_bucket
    session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
    (row,) = [r for r in run_plan(session, config) if r.node == "s3.bucket.artifacts"]
    assert row.action == "update" and "without the stack's tag" in row.reason
    result, _ = run_apply(session, config)
    assert result.ok, result
    assert bucket_state(session, bucket) == ("halfmade", True)
    assert {r.action for r in run_plan(session, config)} == {"in_sync"}
    assert run_destroy(session, config).ok
    assert bucket not in [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]


def test_a_tagged_bucket_missing_its_public_access_block_is_repaired(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("halfset")
    assert run_apply(session, config)[0].ok
    bucket = config.pipeline.artifact_bucket
    session.client("s3").delete_public_access_block(Bucket=bucket)  # as if the run stopped after tagging
    (row,) = [r for r in run_plan(session, config) if r.node == "s3.bucket.artifacts"]
    assert (row.action, row.reason) == ("update", "public access is not blocked")
    assert run_apply(session, config)[0].ok
    assert bucket_state(session, bucket) == ("halfset", True)


def test_an_untagged_bucket_the_user_named_is_still_refused(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    config = stack_config("theirs", pipeline={"artifactBucket": "someone-elses-artifacts-bucket"})
    session.client("s3").create_bucket(Bucket="someone-elses-artifacts-bucket",
                                       CreateBucketConfiguration={"LocationConstraint": config.region})
    (row,) = [r for r in run_plan(session, config) if r.node == "s3.bucket.artifacts"]
    assert row.action == "conflict" and "belongs to something other than bluegreen" in row.reason


def test_the_bucket_is_tagged_in_its_create_call(sandbox) -> None:  # type: ignore[no-untyped-def]
    from support.engine import CallCounter

    session = session_for(sandbox)
    put_tiny_image(session)
    counter = CallCounter(session)
    config = stack_config("tagatonce", source={"type": "s3"})
    assert run_apply(session, config)[0].ok
    # no second call to tag either bucket: no crash can leave one without its tag
    assert "s3.PutBucketTagging" not in counter.mutating, counter.mutating
    for bucket in (config.pipeline.artifact_bucket, config.source.bucket):
        assert bucket_state(session, bucket) == ("tagatonce", True)


def test_without_s3_tag_resource_permission_the_bucket_is_tagged_after_creation() -> None:
    """The one path the sandbox cannot show (it grants every permission): S3 refusing tags at
    creation to a caller without s3:TagResource. botocore's Stubber plays S3."""
    from botocore.stub import Stubber

    from bluegreen.aws.session import AwsSession, Target
    from bluegreen.engine.context import Context
    from bluegreen.engine.nodes.storage import BucketNode
    from renderers import requests

    config = stack_config("notagperm")
    session = AwsSession(Target(endpoint_url="http://127.0.0.1:9", region=config.region))
    bucket = config.pipeline.artifact_bucket
    with Stubber(session.client("s3")) as s3:
        s3.add_client_error("create_bucket", "AccessDenied", http_status_code=403,
                            expected_params=requests.create_bucket(config, bucket, with_tags=True))
        s3.add_response("create_bucket", {}, expected_params=requests.create_bucket(config, bucket, with_tags=False))
        s3.add_response("put_bucket_tagging", {}, expected_params=requests.put_bucket_tagging(config, bucket))
        node, ctx = BucketNode("artifacts"), Context(session, config)
        node.tag(ctx, node.create_resource(ctx))
        s3.assert_no_pending_responses()
