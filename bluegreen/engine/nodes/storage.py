"""Where things are kept: S3 buckets, the ECR repository, the CodeCommit repository, the
log group. An existing repository or log group that bluegreen did not create is used as
it is (and left alone by destroy); buckets must be the stack's own."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from bluegreen.aws.errors import Meaning, is_not_found, meaning
from bluegreen.engine.nodes.base import State, conflict, missing_as_none
from bluegreen.engine.nodes.resource import ManagedResource
from bluegreen.errors import aws_error_code
from bluegreen.model.config import derived_names
from renderers import requests

if TYPE_CHECKING:
    from bluegreen.engine.context import Context
    from bluegreen.model.config import Config


@cache
def bucket_tags_at_creation() -> bool:
    """Whether the installed botocore's S3 model lets CreateBucket carry tags (an older one
    refuses the member before anything is sent; then the bucket is tagged in a second call)."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("s3").operation_model("CreateBucket").input_shape
    return "Tags" in shape.members["CreateBucketConfiguration"].members


class _Taken(Exception):
    """The bucket name belongs to another AWS account (bucket names are global)."""


class BucketNode(ManagedResource[str]):
    """kind: "artifacts" (the pipeline's artifact store) or "source" (the S3 source).
    The stack tag goes in CreateBucket where botocore and the caller's permissions allow,
    else in a second call; a bucket of the derived name without it is finished, not refused."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.id = f"s3.bucket.{kind}"
        self.deps = ("account",)
        self._tagged_at_creation = False  # set by create_resource, read by tag (one run)

    def name(self, config: Config) -> str:
        return config.pipeline.artifact_bucket if self.kind == "artifacts" else config.source.bucket

    def title(self, config: Config) -> str:
        return f"S3 bucket {self.name(config)}"

    def inspect(self, ctx: Context) -> State:
        try:
            return super().inspect(ctx)
        except _Taken:
            return conflict(f"bucket name {self.name(ctx.config)} is taken by another AWS account",
                            "bucket names are global: set pipeline.artifactBucket (or "
                            "source.bucket) to a name of your own")

    def find(self, ctx: Context) -> str | None:
        name = self.name(ctx.config)
        try:
            ctx.client("s3").head_bucket(Bucket=name)
        except Exception as exc:
            if meaning(exc) is Meaning.ACCESS_DENIED:
                raise _Taken(name) from exc
            if is_not_found(exc):
                return None
            raise
        return name

    def find_for_delete(self, ctx: Context) -> str | None:
        return self.name(ctx.config)  # reading its tags tells whether it exists

    def tags(self, ctx: Context, found: str) -> Any:
        try:
            return ctx.client("s3").get_bucket_tagging(Bucket=found)["TagSet"]
        except Exception as exc:
            if aws_error_code(exc) != "NoSuchTagSet":
                raise
            return []

    def ident(self, ctx: Context, found: str) -> str:
        return found

    def derived(self, ctx: Context, found: str) -> bool:
        field = "artifact_bucket" if self.kind == "artifacts" else "bucket"
        return any(f == field and found == value for _, f, value in derived_names(ctx.config.name, ctx.config.region))

    def compare(self, ctx: Context, found: str) -> list[str]:
        s3 = ctx.client("s3")
        reasons = []
        try:
            block = s3.get_public_access_block(Bucket=found)["PublicAccessBlockConfiguration"]
        except Exception as exc:
            if aws_error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            block = {}
        wanted = requests.put_public_access_block(found)["PublicAccessBlockConfiguration"]
        if any(block.get(key) is not True for key in wanted):
            reasons.append("public access is not blocked")
        if self.kind == "source":
            versioning = s3.get_bucket_versioning(Bucket=found).get("Status")
            if versioning != "Enabled":
                reasons.append("versioning is off (an S3 source needs it)")
        return reasons

    def create_resource(self, ctx: Context) -> str:
        name = self.name(ctx.config)
        s3 = ctx.client("s3")
        self._tagged_at_creation = bucket_tags_at_creation()
        try:
            s3.create_bucket(**requests.create_bucket(ctx.config, name, with_tags=self._tagged_at_creation))
        except Exception as exc:
            # Tagging at creation needs s3:TagResource on top of s3:CreateBucket; a policy
            # written for the older two-call way has only s3:PutBucketTagging.
            if not self._tagged_at_creation or meaning(exc) is not Meaning.ACCESS_DENIED:
                raise
            self._tagged_at_creation = False
            s3.create_bucket(**requests.create_bucket(ctx.config, name, with_tags=False))
        return name

    def tag(self, ctx: Context, detail: str) -> None:
        if self._tagged_at_creation:
            return
        ctx.client("s3").put_bucket_tagging(**requests.put_bucket_tagging(ctx.config, detail))

    def configure(self, ctx: Context, detail: str) -> None:
        ctx.client("s3").put_public_access_block(**requests.put_public_access_block(detail))
        if self.kind == "source":
            self._source_settings(ctx)

    def update_resource(self, ctx: Context, detail: str) -> str:
        self.configure(ctx, detail)  # every setting, each idempotent
        return detail

    def _source_settings(self, ctx: Context) -> None:
        s3 = ctx.client("s3")
        for request in (requests.put_bucket_versioning(ctx.config),
                        requests.put_bucket_notification(ctx.config)):
            if request:
                method = ("put_bucket_versioning" if "VersioningConfiguration" in request
                          else "put_bucket_notification_configuration")
                getattr(s3, method)(**request)

    def delete_resource(self, ctx: Context, found: str) -> None:
        s3 = ctx.client("s3")
        # A bucket must be empty, every version included, before it can go.
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=found):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=found, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=found)


class EcrRepositoryNode(ManagedResource[dict[str, Any]]):
    """A repository the user brought is used as it is; destroy leaves it, with its images."""

    id = "ecr.repository"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"ECR repository {config.image.repository}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        ecr = ctx.client("ecr")
        name = ctx.config.image.repository
        return missing_as_none(lambda: ecr.describe_repositories(repositoryNames=[name])["repositories"][0])

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return ctx.client("ecr").list_tags_for_resource(resourceArn=found["repositoryArn"])["tags"]

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["repositoryUri"])

    def publish(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.put(**{"ecr.uri": found["repositoryUri"]})

    def create_resource(self, ctx: Context) -> str:
        repo = ctx.client("ecr").create_repository(**requests.create_repository(ctx.config))["repository"]
        self.publish(ctx, repo)
        return str(repo["repositoryUri"])

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("ecr").delete_repository(repositoryName=ctx.config.image.repository, force=True)


class CodeCommitRepositoryNode(ManagedResource[dict[str, Any]]):
    """A repository the user brought is used as it is; destroy leaves it."""

    id = "codecommit.repository"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"CodeCommit repository {config.source.repository}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        codecommit = ctx.client("codecommit")
        name = ctx.config.source.repository
        return missing_as_none(lambda: codecommit.get_repository(repositoryName=name)["repositoryMetadata"])

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        return ctx.client("codecommit").list_tags_for_resource(resourceArn=found["Arn"]).get("tags", {})

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["Arn"])

    def create_resource(self, ctx: Context) -> str:
        from bluegreen.aws.preflight import codecommit_closed

        client = ctx.client("codecommit")
        try:
            repo = client.create_repository(**requests.create_codecommit_repository(ctx.config))
        except Exception as exc:
            if codecommit_closed(str(exc)):
                from bluegreen.errors import Failed

                raise Failed(
                    "this AWS account cannot create CodeCommit repositories "
                    "(CodeCommit is closed to accounts that never used it)",
                    "use the S3 source instead: set source.type: s3 in the config",
                ) from exc
            raise
        return str(repo["repositoryMetadata"]["Arn"])

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("codecommit").delete_repository(repositoryName=ctx.config.source.repository)


class LogGroupNode(ManagedResource[dict[str, Any]]):
    """A log group the user brought is used as it is; destroy leaves it."""

    id = "logs.log_group"
    deps = ("account",)
    shared = True

    def title(self, config: Config) -> str:
        return f"Log group {config.task.log_group}"

    def find(self, ctx: Context) -> dict[str, Any] | None:
        name = ctx.config.task.log_group
        groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return next((g for g in groups if g["logGroupName"] == name), None)

    def tags(self, ctx: Context, found: dict[str, Any]) -> Any:
        arn = str(found["arn"]).removesuffix(":*")
        return ctx.client("logs").list_tags_for_resource(resourceArn=arn).get("tags", {})

    def ident(self, ctx: Context, found: dict[str, Any]) -> str:
        return str(found["logGroupName"])

    def create_resource(self, ctx: Context) -> str:
        ctx.client("logs").create_log_group(**requests.create_log_group(ctx.config))
        return ctx.config.task.log_group

    def delete_resource(self, ctx: Context, found: dict[str, Any]) -> None:
        ctx.client("logs").delete_log_group(logGroupName=ctx.config.task.log_group)
