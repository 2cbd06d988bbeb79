"""The CodeCommit source action (Source / AWS / CodeCommit / 1).

Resolves the branch to a commit (or takes the commit the trigger fixed), zips the files of that
commit into its output artifact and records the commit as the source revision, with the output
variables the action reference lists (CommitId, CommitMessage, RepositoryName, BranchName,
AuthorDate, CommitterDate). Everything is read through CodeCommit's public API.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..artifacts import zip_files
from ..model import Revision
from .base import JOB_FAILED, ActionContext, ActionFailed, ActionOutcome, client_error

ROLE_ACTIONS = [
    "codecommit:GetBranch",
    "codecommit:GetCommit",
    "codecommit:UploadArchive",
    "codecommit:GetUploadArchiveStatus",
]


def run(ctx: ActionContext) -> ActionOutcome:
    repo = ctx.configuration.get("RepositoryName", "")
    branch = ctx.configuration.get("BranchName", "")
    ctx.require(ROLE_ACTIONS, f"arn:aws:codecommit:{ctx.region}:{ctx.account_id}:{repo}")
    codecommit = ctx.clients.client("codecommit", ctx.region)
    try:
        if ctx.pin is not None and ctx.pin.revision_type == "COMMIT_ID":
            commit_id = ctx.pin.value
        else:
            commit_id = codecommit.get_branch(repositoryName=repo, branchName=branch)["branch"]["commitId"]
        commit = codecommit.get_commit(repositoryName=repo, commitId=commit_id)["commit"]
        files = _files(codecommit, repo, commit_id)
    except ClientError as exc:
        code, message = client_error(exc)
        if code == "RepositoryDoesNotExistException":  # the User Guide's troubleshooting wording
            message = (
                f"Could not access the CodeCommit repository {repo}. Make sure that the pipeline IAM "
                "role has sufficient permissions to access the repository."
            )
        raise ActionFailed(JOB_FAILED, message) from exc
    outputs = [ctx.write_artifact(name, zip_files(files)) for name in ctx.output_names]
    message = str(commit.get("message") or "")
    url = (
        f"https://{ctx.region}.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/"
        f"{commit_id}?region={ctx.region}"
    )
    committed = _git_time(commit.get("committer", {}).get("date"))
    authored = _git_time(commit.get("author", {}).get("date"))
    return ActionOutcome(
        summary=message,
        external_id=commit_id,
        external_url=url,
        outputs=outputs,
        variables={
            "CommitId": commit_id,
            "CommitMessage": message,
            "RepositoryName": repo,
            "BranchName": branch,
            "AuthorDate": _iso(authored),
            "CommitterDate": _iso(committed),
        },
        revision=Revision(commit_id, commit_id, committed, message, url),
    )


def _files(codecommit: Any, repo: str, commit_id: str) -> dict[str, bytes]:
    """Every file of the commit, by path (folders walked with GetFolder, contents by GetBlob)."""
    files: dict[str, bytes] = {}
    folders = ["/"]
    while folders:
        folder = codecommit.get_folder(repositoryName=repo, commitSpecifier=commit_id, folderPath=folders.pop())
        folders.extend("/" + sub["absolutePath"] for sub in folder.get("subFolders", []))
        for entry in folder.get("files", []):
            blob = codecommit.get_blob(repositoryName=repo, blobId=entry["blobId"])["content"]
            files[entry["absolutePath"]] = blob if isinstance(blob, bytes) else base64.b64decode(blob)
    return files


def _git_time(value: Any) -> float:
    """CodeCommit's ``"<unix seconds> +0000"`` as epoch seconds."""
    try:
        return float(str(value).split()[0])
    except (ValueError, IndexError):
        return 0.0


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
