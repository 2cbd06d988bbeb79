"""S3: what moto's S3 lacks.

- ``CreateBucket`` with ``CreateBucketConfiguration/Tags``: AWS tags a general purpose bucket
  at creation (the caller needs ``s3:TagResource``); moto creates the bucket and drops the
  tags. The tags are given to moto's bucket after it made it, so ``GetBucketTagging`` and the
  tagging API see them, as on AWS.
- A new bucket blocks public access (all four Block Public Access settings on), as every bucket
  created on AWS since April 2023 does ("S3 Block Public Access ... enabled by default for all
  new buckets"); moto's has no public access block until one is put.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote
from xml.etree import ElementTree

from ..wire import AwsRequest, Response
from .common import BackendHandler

log = logging.getLogger("bluegreen.sandbox.realism")


class S3Realism(BackendHandler):
    def after(self, req: AwsRequest, resp: Response) -> Response:
        if resp.status != 200 or req.method != "PUT" or req.query_string:
            return resp
        bucket = _bucket_of(req)
        if bucket is None:
            return resp  # an object or a sub-resource, not CreateBucket
        self._block_public_access(bucket)
        tags = _tags_of(req.body) if req.body else {}
        if tags:
            self._tag(req, bucket, tags)
        return resp

    def _block_public_access(self, bucket: str) -> None:
        backend = self.moto_backend("s3", "aws")
        try:
            backend.put_public_access_block(bucket, {key: "true" for key in (
                "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
        except Exception:
            log.warning("bucket %s was left without its default public access block", bucket, exc_info=True)

    def _tag(self, req: AwsRequest, bucket: str, tags: dict[str, str]) -> None:
        backend = self.moto_backend("s3", "aws")  # one backend (partition) for every region's buckets
        try:
            backend.put_bucket_tagging(bucket, tags)
        except Exception:  # the answer moto gave stands; the tags are then missing, as logged
            log.warning("tags given at the creation of bucket %s were not kept", bucket, exc_info=True)


def _bucket_of(req: AwsRequest) -> str | None:
    """The bucket a `PUT /<bucket>` (path style) or `PUT /` to `<bucket>.<host>` creates."""
    path = unquote(req.path).strip("/")
    if path and "/" not in path:
        return path
    host = req.headers.get("host", "")
    if not path and host.count(".") >= 1 and not host.split(":")[0].replace(".", "").isdigit():
        return host.split(".", 1)[0]
    return None


def _tags_of(body: bytes) -> dict[str, str]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return {}
    if not root.tag.endswith("CreateBucketConfiguration"):
        return {}
    tags: dict[str, str] = {}
    for element in root.iter():
        if element.tag.endswith("}Tag") or element.tag == "Tag":
            key = _child_text(element, "Key")
            if key is not None:
                tags[key] = _child_text(element, "Value") or ""
    return tags


def _child_text(element: ElementTree.Element, name: str) -> str | None:
    for child in element:
        if child.tag == name or child.tag.endswith("}" + name):
            return child.text or ""
    return None
