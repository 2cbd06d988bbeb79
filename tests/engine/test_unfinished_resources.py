"""A run that stopped between the calls that make one resource leaves it unfinished; the next
run recognises it and finishes it instead of refusing it (the S3 bucket: create, then tag, then
block public access)."""

from __future__ import annotations

from support.engine import put_tiny_image, run_apply, run_destroy, run_plan, session_for, stack_config

from bluegreen.engine.nodes.base import tag_value


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
