"""One sandbox serves every region at once, as AWS does: CodeCommit repositories, their ARNs and
events, EventBridge rules and ECR push events belong to the region of the call, whatever
region the sandbox was started with."""

from __future__ import annotations

import json
from typing import Any

from support.ecr import MANIFEST

ACCOUNT = "123456789012"


def _rule(sandbox: Any, region: str, name: str, pattern: dict[str, Any]) -> None:
    events = sandbox.client("events", region_name=region)
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{
        "Id": "pipeline", "Arn": f"arn:aws:codepipeline:{region}:{ACCOUNT}:{name}",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events"}])


def test_codecommit_repositories_are_regional(sandbox) -> None:
    east2, west2 = (sandbox.client("codecommit", region_name=r) for r in ("us-east-2", "us-west-2"))
    a = east2.create_repository(repositoryName="regional", repositoryDescription="east")["repositoryMetadata"]
    b = west2.create_repository(repositoryName="regional", repositoryDescription="west")["repositoryMetadata"]
    assert a["Arn"] == f"arn:aws:codecommit:us-east-2:{ACCOUNT}:regional"
    assert b["Arn"] == f"arn:aws:codecommit:us-west-2:{ACCOUNT}:regional"
    assert a["cloneUrlHttp"].startswith("https://git-codecommit.us-east-2.amazonaws.com/")
    assert a["repositoryId"] != b["repositoryId"]
    assert east2.get_repository(repositoryName="regional")["repositoryMetadata"]["repositoryDescription"] == "east"
    home = sandbox.client("codecommit")  # the sandbox's own region has no such repository
    assert "regional" not in [r["repositoryName"] for r in home.list_repositories()["repositories"]]
    # a repository is tagged through its own region's endpoint only
    east2.tag_resource(resourceArn=a["Arn"], tags={"bluegreen:stack": "regional"})
    try:
        west2.tag_resource(resourceArn=a["Arn"], tags={"k": "v"})
        raise AssertionError("tagging us-east-2's repository through us-west-2 must fail")
    except west2.exceptions.RepositoryDoesNotExistException:
        pass
    tagging = sandbox.client("resourcegroupstaggingapi", region_name="us-east-2")
    found = tagging.get_resources(TagFilters=[{"Key": "bluegreen:stack", "Values": ["regional"]}])
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [a["Arn"]]
    west2.delete_repository(repositoryName="regional")
    assert east2.get_repository(repositoryName="regional")["repositoryMetadata"]["Arn"] == a["Arn"]


def test_a_commit_is_an_event_of_its_region_matched_by_that_regions_rules(sandbox) -> None:
    region = "eu-west-1"
    cc = sandbox.client("codecommit", region_name=region)
    arn = cc.create_repository(repositoryName="evregion")["repositoryMetadata"]["Arn"]
    pattern = {"source": ["aws.codecommit"], "resources": [arn],
               "detail": {"referenceType": ["branch"], "referenceName": ["main"]}}
    _rule(sandbox, region, "evregion-here", pattern)
    _rule(sandbox, sandbox.region, "evregion-home", {"source": ["aws.codecommit"]})  # another region's rule
    before = len(sandbox.event_log)
    cc.put_file(repositoryName="evregion", branchName="main", filePath="a", fileContent=b"1")
    matched = [m for m in sandbox.event_log[before:] if m.rule_name.startswith("evregion-")]
    assert [m.rule_name for m in matched] == ["evregion-here"]
    assert matched[0].event["region"] == region and matched[0].event["resources"] == [arn]


def test_an_image_put_through_another_regions_api_is_that_regions_push(sandbox) -> None:
    region = "ap-southeast-2"
    ecr = sandbox.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="pushregion")
    _rule(sandbox, region, "pushregion", {"source": ["aws.ecr"], "detail": {"repository-name": ["pushregion"]}})
    before = len(sandbox.event_log)
    ecr.put_image(repositoryName="pushregion", imageManifest=json.dumps(MANIFEST), imageTag="v1")
    matched = [m for m in sandbox.event_log[before:] if m.rule_name == "pushregion"]
    assert len(matched) == 1 and matched[0].event["region"] == region
    assert matched[0].event["detail"]["image-tag"] == "v1"
