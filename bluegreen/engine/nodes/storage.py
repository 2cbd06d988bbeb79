"""Where things are kept: S3 buckets, the ECR repository, the CodeCommit repository, the
log group. An existing repository or log group that bluegreen did not create is used as
it is (and left alone by destroy); buckets must be the stack's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bluegreen.engine.nodes.base import (
    Node,
    State,
    conflict,
    create,
    in_sync,
    is_not_found,
    missing_as_none,
    ownership,
    tag_value,
    update,
)
from bluegreen.errors import aws_error_code
from renderers import requests

if TYPE_CHECKING:
    from bluegreen.engine.context import Context


class BucketNode(Node):
    """kind: "artifacts" (the pipeline's artifact store) or "source" (the S3 source)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.id = f"s3.bucket.{kind}"
        self.deps = ("account",)

    def name(self, ctx: Context) -> str:
        config = ctx.config
        return config.pipeline.artifact_bucket if self.kind == "artifacts" else config.source.bucket

    def inspect(self, ctx: Context) -> State:
        s3 = ctx.client("s3")
        name = self.name(ctx)
        self.title = f"S3 bucket {name}"
        try:
            s3.head_bucket(Bucket=name)
        except Exception as exc:
            code = aws_error_code(exc)
            if code in ("403", "AccessDenied", "Forbidden"):
                return conflict(f"bucket name {name} is taken by another AWS account",
                                "bucket names are global: set pipeline.artifactBucket (or "
                                "source.bucket) to a name of your own")
            if is_not_found(exc):
                return create()
            raise
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except Exception as exc:
            if aws_error_code(exc) != "NoSuchTagSet":
                raise
            tags = []
        owned = ownership(self, ctx, tags, name)
        if owned:
            return owned
        if self.kind == "source":
            versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
            if versioning != "Enabled":
                return update("versioning is off (an S3 source needs it)", name)
        return in_sync(name)

    def create(self, ctx: Context) -> str:
        s3 = ctx.client("s3")
        name = self.name(ctx)
        s3.create_bucket(**requests.create_bucket(ctx.config, name))
        s3.put_bucket_tagging(**requests.put_bucket_tagging(ctx.config, name))
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        if self.kind == "source":
            self._source_settings(ctx)
        return name

    def update(self, ctx: Context, state: State) -> str:
        self._source_settings(ctx)
        return state.detail

    def _source_settings(self, ctx: Context) -> None:
        s3 = ctx.client("s3")
        for request in (requests.put_bucket_versioning(ctx.config),
                        requests.put_bucket_notification(ctx.config)):
            if request:
                method = ("put_bucket_versioning" if "VersioningConfiguration" in request
                          else "put_bucket_notification_configuration")
                getattr(s3, method)(**request)

    def delete(self, ctx: Context) -> bool:
        s3 = ctx.client("s3")
        name = self.name(ctx)
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except Exception as exc:
            if is_not_found(exc) or aws_error_code(exc) == "NoSuchTagSet":
                return False
            raise
        if tag_value(tags) != ctx.stack:
            return False
        # A bucket must be empty, every version included, before it can go.
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)
        return True


class EcrRepositoryNode(Node):
    id = "ecr.repository"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        ecr = ctx.client("ecr")
        name = ctx.config.image.repository
        self.title = f"ECR repository {name}"
        repo = missing_as_none(lambda: ecr.describe_repositories(repositoryNames=[name])["repositories"][0])
        if repo is None:
            return create()
        ctx.put(**{"ecr.uri": repo["repositoryUri"], "ecr.arn": repo["repositoryArn"]})
        return in_sync(repo["repositoryUri"])

    def create(self, ctx: Context) -> str:
        repo = ctx.client("ecr").create_repository(**requests.create_repository(ctx.config))["repository"]
        ctx.put(**{"ecr.uri": repo["repositoryUri"], "ecr.arn": repo["repositoryArn"]})
        return str(repo["repositoryUri"])

    def delete(self, ctx: Context) -> bool:
        ecr = ctx.client("ecr")
        name = ctx.config.image.repository
        repo = missing_as_none(lambda: ecr.describe_repositories(repositoryNames=[name])["repositories"][0])
        if repo is None:
            return False
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        if tag_value(tags) != ctx.stack:
            return False  # a repository the user brought stays, with its images
        ecr.delete_repository(repositoryName=name, force=True)
        return True


class CodeCommitRepositoryNode(Node):
    id = "codecommit.repository"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        name = ctx.config.source.repository
        self.title = f"CodeCommit repository {name}"
        codecommit = ctx.client("codecommit")
        repo = missing_as_none(lambda: codecommit.get_repository(repositoryName=name)["repositoryMetadata"])
        if repo is None:
            return create()
        ctx.put(**{"codecommit.arn": repo["Arn"]})
        return in_sync(repo["Arn"])

    def create(self, ctx: Context) -> str:
        client = ctx.client("codecommit")
        try:
            repo = client.create_repository(**requests.create_codecommit_repository(ctx.config))
        except Exception as exc:
            if "not allowed because there is no existing repository" in str(exc):
                from bluegreen.errors import Failed

                raise Failed(
                    "this AWS account cannot create CodeCommit repositories "
                    "(CodeCommit is closed to accounts that never used it)",
                    "use the S3 source instead: set source.type: s3 in the config",
                ) from exc
            raise
        arn = str(repo["repositoryMetadata"]["Arn"])
        ctx.put(**{"codecommit.arn": arn})
        return arn

    def delete(self, ctx: Context) -> bool:
        client = ctx.client("codecommit")
        name = ctx.config.source.repository
        try:
            arn = client.get_repository(repositoryName=name)["repositoryMetadata"]["Arn"]
            tags = client.list_tags_for_resource(resourceArn=arn).get("tags", {})
        except Exception as exc:
            if is_not_found(exc):
                return False
            raise
        if tag_value(tags) != ctx.stack:
            return False
        client.delete_repository(repositoryName=name)
        return True


class LogGroupNode(Node):
    id = "logs.log_group"
    deps = ("account",)

    def inspect(self, ctx: Context) -> State:
        name = ctx.config.task.log_group
        self.title = f"Log group {name}"
        groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        if any(g["logGroupName"] == name for g in groups):
            return in_sync(name)
        return create()

    def create(self, ctx: Context) -> str:
        ctx.client("logs").create_log_group(**requests.create_log_group(ctx.config))
        return ctx.config.task.log_group

    def delete(self, ctx: Context) -> bool:
        logs = ctx.client("logs")
        name = ctx.config.task.log_group
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        group = next((g for g in groups if g["logGroupName"] == name), None)
        if group is None:
            return False
        arn = str(group["arn"]).removesuffix(":*")
        if tag_value(logs.list_tags_for_resource(resourceArn=arn).get("tags", {})) != ctx.stack:
            return False
        logs.delete_log_group(logGroupName=name)
        return True
