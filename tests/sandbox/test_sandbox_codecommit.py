"""CodeCommit, owned by the sandbox: boto3 wire format, AWS's errors, persistence, garbage."""

from __future__ import annotations

import contextlib
import hashlib
import json

import pytest
import requests
from botocore.exceptions import ClientError

from bluegreen.sandbox.server import start_sandbox
from bluegreen.sandbox.services.codecommit import CodeCommit

SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/codecommit/aws4_request, SignedHeaders=host, Signature=0"
TASKDEF = json.dumps(
    {"family": "web", "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>"}]}
).encode()
APPSPEC = b"version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def cc(sandbox):
    return sandbox.client("codecommit")


def test_repository_lifecycle(cc) -> None:
    meta = cc.create_repository(repositoryName="lifecycle", repositoryDescription="d")["repositoryMetadata"]
    assert meta["Arn"] == "arn:aws:codecommit:us-east-1:123456789012:lifecycle"
    assert meta["accountId"] == "123456789012" and meta["repositoryDescription"] == "d"
    assert "defaultBranch" not in meta
    assert (
        cc.get_repository(repositoryName="lifecycle")["repositoryMetadata"]["repositoryId"]
        == meta["repositoryId"]
    )
    names = [r["repositoryName"] for r in cc.list_repositories()["repositories"]]
    assert "lifecycle" in names
    with pytest.raises(ClientError) as info:
        cc.create_repository(repositoryName="lifecycle")
    assert _code(info) == "RepositoryNameExistsException"
    with pytest.raises(ClientError) as info:
        cc.create_repository(repositoryName="bad name!")
    assert _code(info) == "InvalidRepositoryNameException"
    assert cc.delete_repository(repositoryName="lifecycle")["repositoryId"] == meta["repositoryId"]
    assert "repositoryId" not in cc.delete_repository(repositoryName="lifecycle")
    with pytest.raises(cc.exceptions.RepositoryDoesNotExistException):
        cc.get_repository(repositoryName="lifecycle")


def test_first_commit_creates_branch_then_parent_rules(cc) -> None:
    cc.create_repository(repositoryName="seedrepo")
    first = cc.create_commit(
        repositoryName="seedrepo",
        branchName="main",
        authorName="Ann",
        email="ann@example.com",
        commitMessage="Add taskdef and appspec",
        putFiles=[
            {"filePath": "taskdef.json", "fileContent": TASKDEF},
            {"filePath": "appspec.yaml", "fileContent": APPSPEC},
        ],
    )
    assert len(first["commitId"]) == 40
    assert [f["absolutePath"] for f in first["filesAdded"]] == ["appspec.yaml", "taskdef.json"]
    assert first["filesAdded"][1]["blobId"] == hashlib.sha1(b"blob %d\0" % len(TASKDEF) + TASKDEF).hexdigest()
    assert (
        cc.get_branch(repositoryName="seedrepo", branchName="main")["branch"]["commitId"] == first["commitId"]
    )
    assert cc.get_repository(repositoryName="seedrepo")["repositoryMetadata"]["defaultBranch"] == "main"

    with pytest.raises(cc.exceptions.ParentCommitIdRequiredException):
        cc.put_file(repositoryName="seedrepo", branchName="main", filePath="x.txt", fileContent=b"x")
    with pytest.raises(cc.exceptions.NoChangeException):
        cc.create_commit(
            repositoryName="seedrepo",
            branchName="main",
            parentCommitId=first["commitId"],
            putFiles=[{"filePath": "taskdef.json", "fileContent": TASKDEF}],
        )
    with pytest.raises(cc.exceptions.SameFileContentException):
        cc.put_file(
            repositoryName="seedrepo",
            branchName="main",
            filePath="appspec.yaml",
            fileContent=APPSPEC,
            parentCommitId=first["commitId"],
        )
    second = cc.put_file(
        repositoryName="seedrepo",
        branchName="main",
        filePath="docs/README.md",
        fileContent=b"# hi\n",
        parentCommitId=first["commitId"],
        name="Bob",
        email="bob@example.com",
        commitMessage="docs",
    )
    assert set(second) >= {"commitId", "blobId", "treeId"}
    with pytest.raises(cc.exceptions.ParentCommitIdOutdatedException):
        cc.put_file(
            repositoryName="seedrepo",
            branchName="main",
            filePath="y.txt",
            fileContent=b"y",
            parentCommitId=first["commitId"],
        )
    with pytest.raises(cc.exceptions.ParentCommitDoesNotExistException):
        cc.put_file(
            repositoryName="seedrepo",
            branchName="main",
            filePath="y.txt",
            fileContent=b"y",
            parentCommitId="0" * 40,
        )
    with pytest.raises(cc.exceptions.InvalidParentCommitIdException):
        cc.put_file(
            repositoryName="seedrepo",
            branchName="main",
            filePath="y.txt",
            fileContent=b"y",
            parentCommitId="not-a-commit",
        )

    commit = cc.get_commit(repositoryName="seedrepo", commitId=second["commitId"])["commit"]
    assert commit["parents"] == [first["commitId"]]
    assert commit["treeId"] == second["treeId"]
    assert commit["author"]["name"] == "Bob" and commit["message"] == "docs"
    assert commit["author"]["date"].endswith("+0000")

    f = cc.get_file(repositoryName="seedrepo", filePath="taskdef.json")
    assert (
        f["fileContent"] == TASKDEF and f["commitId"] == second["commitId"] and f["fileSize"] == len(TASKDEF)
    )
    old = cc.get_file(repositoryName="seedrepo", filePath="/taskdef.json", commitSpecifier=first["commitId"])
    assert old["commitId"] == first["commitId"]
    with pytest.raises(cc.exceptions.FileDoesNotExistException):
        cc.get_file(repositoryName="seedrepo", filePath="docs/README.md", commitSpecifier=first["commitId"])
    with pytest.raises(cc.exceptions.CommitDoesNotExistException):
        cc.get_file(repositoryName="seedrepo", filePath="taskdef.json", commitSpecifier="nobranch")

    root = cc.get_folder(repositoryName="seedrepo", folderPath="/")
    assert [f["relativePath"] for f in root["files"]] == ["appspec.yaml", "taskdef.json"]
    assert [d["absolutePath"] for d in root["subFolders"]] == ["docs"]
    docs = cc.get_folder(repositoryName="seedrepo", folderPath="docs", commitSpecifier="main")
    assert docs["files"][0]["absolutePath"] == "docs/README.md"
    with pytest.raises(cc.exceptions.FolderDoesNotExistException):
        cc.get_folder(repositoryName="seedrepo", folderPath="nope")

    diff = cc.get_differences(
        repositoryName="seedrepo", beforeCommitSpecifier=first["commitId"], afterCommitSpecifier="main"
    )
    assert [(d["changeType"], d["afterBlob"]["path"]) for d in diff["differences"]] == [
        ("A", "docs/README.md")
    ]
    blob = cc.get_blob(repositoryName="seedrepo", blobId=second["blobId"])
    assert blob["content"] == b"# hi\n"


def test_create_commit_updates_deletes_and_conflicts(cc) -> None:
    cc.create_repository(repositoryName="edits")
    c1 = cc.put_file(repositoryName="edits", branchName="main", filePath="a/b.txt", fileContent=b"1")
    with pytest.raises(cc.exceptions.DirectoryNameConflictsWithFileNameException):
        cc.create_commit(
            repositoryName="edits",
            branchName="main",
            parentCommitId=c1["commitId"],
            putFiles=[{"filePath": "a/b.txt/c", "fileContent": b"2"}],
        )
    with pytest.raises(cc.exceptions.FileNameConflictsWithDirectoryNameException):
        cc.create_commit(
            repositoryName="edits",
            branchName="main",
            parentCommitId=c1["commitId"],
            putFiles=[{"filePath": "a", "fileContent": b"2"}],
        )
    with pytest.raises(cc.exceptions.FileDoesNotExistException):
        cc.create_commit(
            repositoryName="edits",
            branchName="main",
            parentCommitId=c1["commitId"],
            deleteFiles=[{"filePath": "zzz"}],
        )
    c2 = cc.create_commit(
        repositoryName="edits",
        branchName="main",
        parentCommitId=c1["commitId"],
        putFiles=[
            {"filePath": "a/b.txt", "fileContent": b"changed", "fileMode": "EXECUTABLE"},
            {"filePath": "c.txt", "sourceFile": {"filePath": "a/b.txt"}},
        ],
    )
    assert [f["absolutePath"] for f in c2["filesUpdated"]] == ["a/b.txt"]
    assert c2["filesUpdated"][0]["fileMode"] == "EXECUTABLE"
    assert [f["absolutePath"] for f in c2["filesAdded"]] == ["c.txt"]
    c3 = cc.create_commit(
        repositoryName="edits",
        branchName="main",
        parentCommitId=c2["commitId"],
        deleteFiles=[{"filePath": "c.txt"}],
    )
    assert [f["absolutePath"] for f in c3["filesDeleted"]] == ["c.txt"]
    # A new branch from an existing commit, then commits on it.
    c4 = cc.create_commit(
        repositoryName="edits",
        branchName="feature",
        parentCommitId=c3["commitId"],
        putFiles=[{"filePath": "f.txt", "fileContent": b"f"}],
    )
    assert cc.get_branch(repositoryName="edits", branchName="feature")["branch"]["commitId"] == c4["commitId"]
    assert sorted(cc.list_branches(repositoryName="edits")["branches"]) == ["feature", "main"]
    with pytest.raises(cc.exceptions.ParentCommitIdRequiredException):
        cc.put_file(repositoryName="edits", branchName="other", filePath="o", fileContent=b"o")
    with pytest.raises(cc.exceptions.BranchDoesNotExistException):
        cc.get_branch(repositoryName="edits", branchName="nope")


def test_identical_content_gives_identical_commit_ids_tree_and_blob(cc) -> None:
    """Content addressing: same tree -> same tree id, whichever repository."""
    cc.create_repository(repositoryName="twin-a")
    cc.create_repository(repositoryName="twin-b")
    files = [{"filePath": "taskdef.json", "fileContent": TASKDEF}]
    a = cc.create_commit(repositoryName="twin-a", branchName="main", putFiles=files)
    b = cc.create_commit(repositoryName="twin-b", branchName="main", putFiles=files)
    assert a["treeId"] == b["treeId"]
    with pytest.raises(cc.exceptions.CommitIdDoesNotExistException):
        cc.get_commit(repositoryName="twin-a", commitId=("f" * 40))


def test_commits_emit_repository_state_change_events(sandbox, cc) -> None:
    events = sandbox.client("events")
    pattern = {
        "source": ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        "resources": ["arn:aws:codecommit:us-east-1:123456789012:evrepo"],
        "detail": {
            "event": ["referenceCreated", "referenceUpdated"],
            "referenceType": ["branch"],
            "referenceName": ["main"],
        },
    }
    events.put_rule(Name="evrepo-main", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(
        Rule="evrepo-main",
        Targets=[
            {
                "Id": "codepipeline",
                "Arn": "arn:aws:codepipeline:us-east-1:123456789012:evpipe",
                "RoleArn": "arn:aws:iam::123456789012:role/events",
            }
        ],
    )
    cc.create_repository(repositoryName="evrepo")
    before = len(sandbox.event_log)
    c1 = cc.put_file(repositoryName="evrepo", branchName="main", filePath="a", fileContent=b"1")
    cc.put_file(
        repositoryName="evrepo",
        branchName="main",
        filePath="a",
        fileContent=b"2",
        parentCommitId=c1["commitId"],
    )
    cc.create_commit(
        repositoryName="evrepo",
        branchName="dev",
        parentCommitId=c1["commitId"],
        putFiles=[{"filePath": "b", "fileContent": b"b"}],
    )  # another branch: no match
    mine = [m for m in sandbox.event_log[before:] if m.rule_name == "evrepo-main"]
    assert [m.event["detail"]["event"] for m in mine] == ["referenceCreated", "referenceUpdated"]
    assert mine[1].event["detail"]["oldCommitId"] == c1["commitId"]
    assert mine[0].event["source"] == "aws.codecommit"
    assert mine[0].target_arn.endswith(":evpipe")
    assert [s.pipeline_name for s in sandbox.pipeline_starts if s.rule_name == "evrepo-main"] == [
        "evpipe",
        "evpipe",
    ]


def test_tags_on_create_then_tag_untag_and_list(cc) -> None:
    arn = cc.create_repository(repositoryName="tagged", tags={"bluegreen:stack": "demo", "team": "a"})[
        "repositoryMetadata"
    ]["Arn"]
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"bluegreen:stack": "demo", "team": "a"}
    cc.tag_resource(resourceArn=arn, tags={"team": "b", "cost": "1"})
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "bluegreen:stack": "demo",
        "team": "b",
        "cost": "1",
    }
    cc.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"bluegreen:stack": "demo", "cost": "1"}
    plain = cc.create_repository(repositoryName="untagged")["repositoryMetadata"]["Arn"]
    assert cc.list_tags_for_resource(resourceArn=plain)["tags"] == {}
    # a deleted repository's tags go with it
    cc.delete_repository(repositoryName="tagged")
    cc.create_repository(repositoryName="tagged")
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda cc: cc.list_tags_for_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:nope"),
         "RepositoryDoesNotExistException"),
        (lambda cc: cc.tag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:nope", tags={"a": "b"}),
         "RepositoryDoesNotExistException"),
        (lambda cc: cc.untag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:nope", tagKeys=["a"]),
         "RepositoryDoesNotExistException"),
        (lambda cc: cc.list_tags_for_resource(resourceArn="arn:aws:codecommit:eu-west-1:123456789012:untagged"),
         "RepositoryDoesNotExistException"),
        (lambda cc: cc.list_tags_for_resource(resourceArn="not-an-arn"), "InvalidResourceArnException"),
        (lambda cc: cc.list_tags_for_resource(resourceArn="arn:aws:s3:::bucket"), "InvalidResourceArnException"),
        (lambda cc: cc.list_tags_for_resource(resourceArn=""), "ResourceArnRequiredException"),
        (lambda cc: cc.tag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:untagged", tags={}),
         "TagsMapRequiredException"),
        (lambda cc: cc.tag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:untagged",
                                    tags={"aws:x": "y"}),
         "InvalidSystemTagUsageException"),
        (lambda cc: cc.tag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:untagged",
                                    tags={f"k{i}": "v" for i in range(51)}),
         "TooManyTagsException"),
        (lambda cc: cc.untag_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:untagged", tagKeys=[]),
         "InvalidTagKeysListException"),
        (lambda cc: cc.create_repository(repositoryName="badtags", tags={"k": "v" * 257}), "InvalidTagsMapException"),
    ],
)
def test_tag_errors_are_codecommits(cc, call, code: str) -> None:
    with contextlib.suppress(cc.exceptions.RepositoryNameExistsException):
        cc.create_repository(repositoryName="untagged")
    with pytest.raises(ClientError) as info:
        call(cc)
    assert _code(info) == code


def test_tags_survive_a_restart(tmp_path) -> None:
    with start_sandbox(state_dir=tmp_path, seed=False) as first:
        arn = first.client("codecommit").create_repository(repositoryName="kept", tags={"a": "1"})[
            "repositoryMetadata"
        ]["Arn"]
        first.client("codecommit").tag_resource(resourceArn=arn, tags={"b": "2"})
    with start_sandbox(state_dir=tmp_path, seed=False) as second:
        assert second.client("codecommit").list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}


OPERATIONS = CodeCommit("123456789012", "us-east-1").operations
GARBAGE = [
    b"",
    b"not json",
    b"[1,2]",
    b'{"repositoryName": 5}',
    b'{"repositoryName": "x", "branchName": []}',
    b'{"repositoryName": "seedrepo", "fileContent": "%%%", "filePath": "a", "branchName": "main"}',
    b"\xff\xfe\x00",
    b'{"putFiles": "nope", "repositoryName": "seedrepo", "branchName": "main"}',
    b'{"repositoryName": "seedrepo", "branchName": "main", "putFiles": [1, null]}',
]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_garbage_bodies_get_aws_shaped_errors(sandbox, operation: str) -> None:
    for body in GARBAGE:
        r = requests.post(
            sandbox.endpoint_url,
            data=body,
            headers={
                "X-Amz-Target": f"CodeCommit_20150413.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": SIGV4,
            },
            timeout=10,
        )
        assert r.status_code < 500, (operation, body, r.status_code, r.text)
        assert r.headers["Content-Type"] == "application/x-amz-json-1.1"
        doc = r.json()
        if r.status_code >= 400:
            assert doc["__type"].endswith("Exception"), (operation, body, doc)
            assert isinstance(doc["message"], str)


def test_state_dir_keeps_repositories_and_commits_across_restarts(tmp_path) -> None:
    with start_sandbox(state_dir=tmp_path, seed=False) as first:
        cc = first.client("codecommit")
        cc.create_repository(repositoryName="kept")
        commit = cc.put_file(
            repositoryName="kept", branchName="main", filePath="taskdef.json", fileContent=TASKDEF
        )
    assert (tmp_path / "codecommit" / "repositories.json").is_file()
    with start_sandbox(state_dir=tmp_path, seed=False) as second:
        cc = second.client("codecommit")
        assert (
            cc.get_branch(repositoryName="kept", branchName="main")["branch"]["commitId"]
            == commit["commitId"]
        )
        assert cc.get_file(repositoryName="kept", filePath="taskdef.json")["fileContent"] == TASKDEF
        cc.put_file(
            repositoryName="kept",
            branchName="main",
            filePath="more",
            fileContent=b"m",
            parentCommitId=commit["commitId"],
        )
