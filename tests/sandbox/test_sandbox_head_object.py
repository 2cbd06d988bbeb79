"""S3's HeadObject through the sandbox's router reports the object's size, as AWS does: the answer
to a HEAD has no body, but its Content-Length is the length GET would return."""

from __future__ import annotations

from typing import Any


def test_head_object_reports_the_objects_size(sandbox: Any) -> None:
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="head-length")
    s3.put_object(Bucket="head-length", Key="five", Body=b"hello")
    s3.put_object(Bucket="head-length", Key="big", Body=b"x" * 200_000)
    assert s3.head_object(Bucket="head-length", Key="five")["ContentLength"] == 5
    assert s3.head_object(Bucket="head-length", Key="big")["ContentLength"] == 200_000
    assert len(s3.get_object(Bucket="head-length", Key="big")["Body"].read()) == 200_000
