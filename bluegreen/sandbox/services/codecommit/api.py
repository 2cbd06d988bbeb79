"""CodeCommit, owned by the sandbox (moto 5.2 only has create/get/delete repository).

Repositories, branches and content-addressed commits (real git object ids, see
:mod:`.gitobjects`); persisted under ``<state_dir>/codecommit`` when the sandbox has a state
directory. Errors carry the exception names and messages AWS answers with.
Every branch change calls ``on_reference_change(detail)`` (the EventBridge event detail).
"""

# ruff: noqa: E501  (AWS's error messages are kept verbatim, one string each)

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...wire import AwsError, AwsRequest, Response, json_response, unknown_operation
from ..common import MAX_TAGS, Handler, Params, is_system_tag, tag_fits, wrong_type
from .gitobjects import FILE_MODES, MODE_NAMES, Entry, ObjectStore, Person

_REPO_NAME_RE = re.compile(r"^[\w.-]{1,100}$")
_COMMIT_ID_RE = re.compile(r"^[0-9a-f]{40}$")
_BRANCH_RE = re.compile(r"^[^\s~^:?*\[\\]{1,256}$")
MAX_FILE_BYTES = 6 * 1024 * 1024
MAX_COMMIT_BYTES = 7 * 1024 * 1024

# (event detail, region of the repository): the sandbox turns it into an EventBridge event
ReferenceHook = Callable[[dict[str, Any], str], None]




def _check_tags(value: Any, required: bool) -> dict[str, str]:
    """A tags map as CodeCommit validates it (the limits of :mod:`..common`, checked in
    CodeCommit's order: system prefix, lengths, count)."""
    if value is None:
        if required:
            raise AwsError("TagsMapRequiredException", "A map of tags is required.")
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise wrong_type("tags", "a map of strings")
    if required and not value:
        raise AwsError("TagsMapRequiredException", "A map of tags is required.")
    if any(is_system_tag(k) for k in value):
        raise AwsError("InvalidSystemTagUsageException", "The specified tag is not valid. Key names cannot be prefixed with aws:.")
    if not all(tag_fits(k, v) for k, v in value.items()):
        raise AwsError("InvalidTagsMapException", "The map of tags is not valid.")
    if len(value) > MAX_TAGS:
        raise AwsError("TooManyTagsException", "The maximum number of tags for an AWS CodeCommit resource has been exceeded.")
    return dict(value)


def _now() -> float:
    return round(time.time(), 3)


class CodeCommit(Handler):
    """State and handlers. ``handle(req)`` answers every CodeCommit operation it knows."""

    def __init__(
        self,
        account_id: str,
        region: str,
        state_dir: Path | None = None,
        on_reference_change: ReferenceHook | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region  # the sandbox's own: requests that name none are for it
        self.dir = state_dir / "codecommit" if state_dir is not None else None
        self.objects = ObjectStore(self.dir / "objects" if self.dir else None)
        # Repositories are regional, as on AWS: one name may exist in several regions.
        self.by_region: dict[str, dict[str, dict[str, Any]]] = {}
        self._current = region  # the region of the request being served (under self._lock)
        self.on_reference_change = on_reference_change
        self._lock = threading.RLock()
        self._load()
        self._ops: dict[str, Callable[[Params], dict[str, Any]]] = {
            "CreateRepository": self.create_repository,
            "GetRepository": self.get_repository,
            "DeleteRepository": self.delete_repository,
            "ListRepositories": self.list_repositories,
            "BatchGetRepositories": self.batch_get_repositories,
            "PutFile": self.put_file,
            "CreateCommit": self.create_commit,
            "GetBranch": self.get_branch,
            "ListBranches": self.list_branches,
            "CreateBranch": self.create_branch,
            "DeleteBranch": self.delete_branch,
            "GetCommit": self.get_commit,
            "GetFile": self.get_file,
            "GetFolder": self.get_folder,
            "GetBlob": self.get_blob,
            "GetDifferences": self.get_differences,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # --- router protocol ---------------------------------------------------------------------

    def handle(self, req: AwsRequest) -> Response | None:
        op = self._ops.get(req.operation or "")
        if op is None:
            from ...router import operation_names

            if req.operation in operation_names("codecommit"):
                return None  # a real operation the sandbox does not own: moto's answer
            raise unknown_operation(req)
        params = Params(req.json_body())
        with self._lock:
            self._current = req.region or self.region
            return json_response(req, op(params))

    @property
    def repos(self) -> dict[str, dict[str, Any]]:
        """The repositories of the region being served."""
        return self.by_region.setdefault(self._current, {})

    # --- persistence -------------------------------------------------------------------------

    def _load(self) -> None:
        if self.dir is None:
            return
        path = self.dir / "repositories.json"
        if path.is_file():
            # "<region>/<name>": repository names cannot hold "/"; a bare name was saved by a
            # sandbox that kept one region, its own
            for key, repo in json.loads(path.read_text()).items():
                region, _, name = key.rpartition("/")
                self.by_region.setdefault(region or self.region, {})[name] = repo

    def _save(self) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / "repositories.json.tmp"
        flat = {f"{region}/{name}": repo for region, repos in self.by_region.items() for name, repo in repos.items()}
        tmp.write_text(json.dumps(flat, indent=1, sort_keys=True))
        tmp.replace(self.dir / "repositories.json")

    # --- helpers -----------------------------------------------------------------------------

    def _repo_name(self, p: Params) -> str:
        name = p.required_text(
            "repositoryName",
            "RepositoryNameRequiredException",
            "A repository name is required, but was not specified.",
        )
        if not _REPO_NAME_RE.match(name) or name.endswith(".git"):
            raise AwsError(
                "InvalidRepositoryNameException",
                "A specified repository name is not valid. This exception occurs only when a "
                "specified repository name is not valid. Other exceptions occur when a required "
                "repository parameter is missing, or when a specified repository does not exist.",
            )
        return name

    def _repo(self, p: Params) -> dict[str, Any]:
        name = self._repo_name(p)
        repo = self.repos.get(name)
        if repo is None:
            raise AwsError("RepositoryDoesNotExistException", f"{name} does not exist")
        return repo

    def _metadata(self, repo: dict[str, Any]) -> dict[str, Any]:
        meta = {
            "accountId": self.account_id,
            "repositoryId": repo["repositoryId"],
            "repositoryName": repo["repositoryName"],
            "lastModifiedDate": repo["lastModifiedDate"],
            "creationDate": repo["creationDate"],
            "cloneUrlHttp": f"https://git-codecommit.{self._current}.amazonaws.com/v1/repos/{repo['repositoryName']}",
            "cloneUrlSsh": f"ssh://git-codecommit.{self._current}.amazonaws.com/v1/repos/{repo['repositoryName']}",
            "Arn": self.arn(repo["repositoryName"]),
        }
        if repo.get("repositoryDescription"):
            meta["repositoryDescription"] = repo["repositoryDescription"]
        if repo.get("defaultBranch"):
            meta["defaultBranch"] = repo["defaultBranch"]
        return meta

    def arn(self, name: str, region: str | None = None) -> str:
        return f"arn:aws:codecommit:{region or self._current}:{self.account_id}:{name}"

    def _branch_name(self, p: Params, key: str = "branchName") -> str:
        name = p.required_text(key, "BranchNameRequiredException", "A branch name is required, but was not specified.")
        if not _BRANCH_RE.match(name) or name.startswith("/") or name.endswith((".lock", "/", ".")):
            raise AwsError("InvalidBranchNameException", "The specified reference name is not valid.")
        return name

    def _resolve(self, repo: dict[str, Any], spec: str | None) -> str:
        """A commit specifier (branch name, full commit id; default branch if None) -> commit id."""
        if spec is None:
            spec = repo.get("defaultBranch")
            if spec is None:
                raise AwsError(
                    "CommitDoesNotExistException",
                    "The specified commit does not exist or no commit was specified, and the specified repository has no default branch.",
                )
        if spec in repo["branches"]:
            return str(repo["branches"][spec])
        if spec.startswith("refs/heads/") and spec[11:] in repo["branches"]:
            return str(repo["branches"][spec[11:]])
        if _COMMIT_ID_RE.match(spec) and spec in repo["commits"]:
            return spec
        raise AwsError("CommitDoesNotExistException", f"Could not find commit {spec}")

    def _files_at(self, commit_id: str | None) -> dict[str, Entry]:
        if commit_id is None:
            return {}
        commit = self.objects.commit(commit_id)
        return self.objects.flatten(commit.tree_id) if commit else {}

    def _path(self, p: Params | dict[str, Any], key: str) -> str:
        raw = (p if isinstance(p, Params) else Params(p)).required_text(
            key,
            "PathRequiredException",
            "The folderPath for a location cannot be null."
            if key == "folderPath"
            else "The filePath for a location cannot be empty or null.",
        )
        path = raw.strip("/")
        parts = path.split("/")
        if any(part in ("", ".", "..", ".git") for part in parts) or "\0" in path:
            raise AwsError("InvalidPathException", "The specified path is not valid.")
        return path

    def _file_mode(self, value: Any) -> str:
        if value is None:
            return FILE_MODES["NORMAL"]
        if not isinstance(value, str) or value not in FILE_MODES:
            raise AwsError(
                "InvalidFileModeException",
                "The specified file mode permission is not valid. For a list of valid file mode permissions, see PutFile.",
            )
        return FILE_MODES[value]

    def _person(self, p: Params, name_key: str) -> Person:
        name = p.text(name_key) or ""
        email = p.text("email") or ""
        if len(name) > 1024:
            raise AwsError(
                "NameLengthExceededException",
                "The user name is not valid because it has exceeded the character limit for author names.",
            )
        if email and "@" not in email:
            raise AwsError(
                "InvalidEmailException",
                "The specified email address either contains one or more characters that are not allowed, or it exceeds the maximum number of characters allowed for an email address.",
            )
        return Person(name, email, f"{int(time.time())} +0000")

    # --- repositories ------------------------------------------------------------------------

    def create_repository(self, p: Params) -> dict[str, Any]:
        name = self._repo_name(p)
        description = p.text("repositoryDescription")
        if description is not None and len(description) > 1000:
            raise AwsError(
                "InvalidRepositoryDescriptionException", "The specified repository description is not valid."
            )
        tags = _check_tags(p.body.get("tags"), required=False)
        if name in self.repos:
            raise AwsError("RepositoryNameExistsException", f"Repository named {name} already exists")
        now = _now()
        repo = {
            "repositoryId": str(uuid.uuid4()),
            "repositoryName": name,
            "repositoryDescription": description or "",
            "creationDate": now,
            "lastModifiedDate": now,
            "branches": {},
            "commits": [],
            "tags": tags or {},
        }
        self.repos[name] = repo
        self._save()
        return {"repositoryMetadata": self._metadata(repo)}

    def get_repository(self, p: Params) -> dict[str, Any]:
        return {"repositoryMetadata": self._metadata(self._repo(p))}

    def delete_repository(self, p: Params) -> dict[str, Any]:
        name = self._repo_name(p)
        repo = self.repos.pop(name, None)
        self._save()
        return {"repositoryId": repo["repositoryId"]} if repo else {}

    def list_repositories(self, p: Params) -> dict[str, Any]:
        sort_by = p.text("sortBy") or "repositoryName"
        order = p.text("order") or "ascending"
        if sort_by not in ("repositoryName", "lastModifiedDate"):
            raise AwsError("InvalidSortByException", "The specified sort by value is not valid.")
        if order not in ("ascending", "descending"):
            raise AwsError("InvalidOrderException", "The specified sort order is not valid.")
        p.text("nextToken")
        repos = sorted(self.repos.values(), key=lambda r: r[sort_by], reverse=order == "descending")
        return {
            "repositories": [
                {"repositoryName": r["repositoryName"], "repositoryId": r["repositoryId"]} for r in repos
            ]
        }

    def batch_get_repositories(self, p: Params) -> dict[str, Any]:
        names = p.items("repositoryNames")
        if not names:
            raise AwsError(
                "RepositoryNamesRequiredException",
                "At least one repository name is required, but was not specified.",
            )
        found, missing = [], []
        for n in names:
            if not isinstance(n, str):
                raise AwsError("SerializationException", "Unexpected value type in 'repositoryNames'")
            if n in self.repos:
                found.append(self._metadata(self.repos[n]))
            else:
                missing.append(n)
        return {"repositories": found, "repositoriesNotFound": missing}

    # --- tags --------------------------------------------------------------------------------

    def _repo_by_arn(self, p: Params) -> dict[str, Any]:
        arn = p.required_text(
            "resourceArn",
            "ResourceArnRequiredException",
            "A valid Amazon Resource Name (ARN) for an AWS CodeCommit resource is required. For a list of valid resources in AWS CodeCommit, see CodeCommit Resources and Operations in the AWS CodeCommit User Guide.",
        )
        parts = arn.split(":", 5)
        if (
            len(parts) != 6
            or parts[0] != "arn"
            or not parts[1].startswith("aws")
            or parts[2] != "codecommit"
            or not parts[3]
            or not (parts[4].isdigit() and len(parts[4]) == 12)
            or not _REPO_NAME_RE.match(parts[5])
        ):
            raise AwsError("InvalidResourceArnException", "The value for the resource ARN is not valid. For more information about resources in AWS CodeCommit, see CodeCommit Resources and Operations in the AWS CodeCommit User Guide.")
        name = parts[5]
        repo = self.repos.get(name)
        if repo is None or arn != self.arn(name):
            raise AwsError("RepositoryDoesNotExistException", f"{name} does not exist")
        return repo

    def tag_resource(self, p: Params) -> dict[str, Any]:
        repo = self._repo_by_arn(p)
        tags = _check_tags(p.body.get("tags"), required=True)
        merged = {**repo.get("tags", {}), **tags}
        if len(merged) > MAX_TAGS:
            raise AwsError("TooManyTagsException", "The maximum number of tags for an AWS CodeCommit resource has been exceeded.")
        repo["tags"] = merged
        self._save()
        return {}

    def untag_resource(self, p: Params) -> dict[str, Any]:
        repo = self._repo_by_arn(p)
        keys = p.body.get("tagKeys")
        if keys is None:
            raise AwsError("TagKeysListRequiredException", "A list of tag keys is required. The list cannot be empty or null.")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise wrong_type("tagKeys", "a list of strings")
        if not keys or len(keys) > MAX_TAGS or not all(tag_fits(k) for k in keys):
            raise AwsError("InvalidTagKeysListException", "The list of tags is not valid.")
        if any(is_system_tag(k) for k in keys):
            raise AwsError("InvalidSystemTagUsageException", "The specified tag is not valid. Key names cannot be prefixed with aws:.")
        tags = dict(repo.get("tags", {}))
        for k in keys:
            tags.pop(k, None)
        repo["tags"] = tags
        self._save()
        return {}

    def list_tags_for_resource(self, p: Params) -> dict[str, Any]:
        repo = self._repo_by_arn(p)
        p.text("nextToken")
        return {"tags": dict(repo.get("tags", {}))}

    def tags_by_arn(self, region: str) -> dict[str, dict[str, str]]:
        """Every repository's ARN and tags in `region` (for the Resource Groups Tagging API)."""
        with self._lock:
            return {self.arn(name, region): dict(r.get("tags", {}))
                    for name, r in self.by_region.get(region, {}).items()}

    # --- branches ----------------------------------------------------------------------------

    def get_branch(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        branch = self._branch_name(p)
        if branch not in repo["branches"]:
            raise AwsError("BranchDoesNotExistException", f"Could not find branch {branch}")
        return {"branch": {"branchName": branch, "commitId": repo["branches"][branch]}}

    def list_branches(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        p.text("nextToken")
        return {"branches": sorted(repo["branches"])}

    def create_branch(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        branch = self._branch_name(p)
        commit_id = p.required_text("commitId", "CommitIdRequiredException", "A commit ID was not specified.")
        if branch in repo["branches"]:
            raise AwsError("BranchNameExistsException", f"Branch {branch} already exists")
        if not _COMMIT_ID_RE.match(commit_id):
            raise AwsError("InvalidCommitIdException", "The specified commit ID is not valid.")
        if commit_id not in repo["commits"]:
            raise AwsError("CommitDoesNotExistException", f"Could not find commit {commit_id}")
        self._move_branch(repo, branch, commit_id)
        return {}

    def delete_branch(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        branch = self._branch_name(p)
        if branch == repo.get("defaultBranch"):
            raise AwsError(
                "DefaultBranchCannotBeDeletedException",
                "The specified branch is the default branch for the repository, and cannot be deleted. To delete this branch, you must first set another branch as the default branch.",
            )
        commit_id = repo["branches"].pop(branch, None)
        self._save()
        if commit_id is None:
            return {}
        self._emit(repo, "referenceDeleted", branch, None, commit_id)
        return {"deletedBranch": {"branchName": branch, "commitId": commit_id}}

    def _move_branch(self, repo: dict[str, Any], branch: str, commit_id: str) -> None:
        old = repo["branches"].get(branch)
        repo["branches"][branch] = commit_id
        if commit_id not in repo["commits"]:
            repo["commits"].append(commit_id)
        if not repo.get("defaultBranch"):
            repo["defaultBranch"] = branch
        repo["lastModifiedDate"] = _now()
        self._save()
        self._emit(repo, "referenceCreated" if old is None else "referenceUpdated", branch, commit_id, old)

    def _emit(
        self, repo: dict[str, Any], event: str, branch: str, commit_id: str | None, old: str | None
    ) -> None:
        if self.on_reference_change is None:
            return
        detail: dict[str, Any] = {
            "callerUserArn": f"arn:aws:iam::{self.account_id}:root",
            "event": event,
            "referenceFullName": f"refs/heads/{branch}",
            "referenceName": branch,
            "referenceType": "branch",
            "repositoryId": repo["repositoryId"],
            "repositoryName": repo["repositoryName"],
        }
        if commit_id is not None:
            detail["commitId"] = commit_id
        if old is not None:
            detail["oldCommitId"] = old
        try:
            self.on_reference_change(detail, self._current)
        except Exception:  # an event consumer never fails the API call
            import logging

            logging.getLogger("bluegreen.sandbox.codecommit").exception("reference hook failed")

    # --- commits -----------------------------------------------------------------------------

    def _base_commit(self, repo: dict[str, Any], branch: str, parent: str | None) -> str | None:
        """The commit a new commit on ``branch`` builds on, enforcing the parent rules."""
        head = repo["branches"].get(branch)
        if parent is not None:
            if not _COMMIT_ID_RE.match(parent):
                raise AwsError(
                    "InvalidParentCommitIdException",
                    "The parent commit ID is not valid. The commit ID cannot be empty, and must match the head commit ID for the branch of the repository where you want to add or update a file.",
                )
            if parent not in repo["commits"]:
                raise AwsError(
                    "ParentCommitDoesNotExistException",
                    "The parent commit ID is not valid because it does not exist. The specified parent commit ID does not exist in the specified branch of the repository.",
                )
        if head is None:
            if repo["branches"] and parent is None:
                raise AwsError(
                    "ParentCommitIdRequiredException",
                    "A parent commit ID is required. To view the full commit ID of a branch in a repository, use GetBranch or a Git command (for example, git pull or git log).",
                )
            return parent
        if parent is None:
            raise AwsError(
                "ParentCommitIdRequiredException",
                "A parent commit ID is required. To view the full commit ID of a branch in a repository, use GetBranch or a Git command (for example, git pull or git log).",
            )
        if parent != head:
            raise AwsError(
                "ParentCommitIdOutdatedException",
                f"The parent commit ID {parent} is not the current tip of branch {branch}. To view the full commit ID of the current head of the branch, use GetBranch.",
            )
        return str(head)

    @staticmethod
    def _check_conflicts(files: dict[str, Entry], path: str) -> None:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in files:
                raise AwsError(
                    "DirectoryNameConflictsWithFileNameException",
                    f"A folder cannot be created at {path} because a file with the same name already exists at {'/'.join(parts[:i])}.",
                )
        prefix = path + "/"
        if any(f.startswith(prefix) for f in files):
            raise AwsError(
                "FileNameConflictsWithDirectoryNameException",
                f"A file cannot be added at {path} because a folder with the same name already exists.",
            )

    def _commit(
        self,
        repo: dict[str, Any],
        branch: str,
        base: str | None,
        files: dict[str, Entry],
        author: Person,
        message: str,
    ) -> tuple[str, str]:
        tree_id = self.objects.write_tree(files)
        commit_id = self.objects.write_commit(tree_id, [base] if base else [], author, author, message)
        self._move_branch(repo, branch, commit_id)
        return commit_id, tree_id

    def put_file(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        branch = self._branch_name(p)
        content = p.blob("fileContent", "FileContentRequiredException")
        assert content is not None
        path = self._path(p, "filePath")
        mode = self._file_mode(p.body.get("fileMode"))
        parent = p.text("parentCommitId")
        message = p.text("commitMessage") or ""
        author = self._person(p, "name")
        if len(content) > MAX_FILE_BYTES:
            raise AwsError(
                "FileContentSizeLimitExceededException",
                "The file cannot be added because it is too large. The maximum file size is 6 MB, and the combined file content change size is 7 MB.",
            )
        base = self._base_commit(repo, branch, parent)
        files = dict(self._files_at(base))
        blob_id = self.objects.put_blob(content)
        current = files.get(path)
        if current is not None and current.blob_id == blob_id and current.mode == mode:
            raise AwsError(
                "SameFileContentException",
                "The file was not added or updated because the content of the file is exactly the same as the content of that file in the repository and branch that you specified.",
            )
        if current is None:
            self._check_conflicts(files, path)
        files[path] = Entry(blob_id, mode)
        commit_id, tree_id = self._commit(repo, branch, base, files, author, message)
        return {"commitId": commit_id, "blobId": blob_id, "treeId": tree_id}

    def create_commit(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        branch = self._branch_name(p)
        parent = p.text("parentCommitId")
        author = self._person(p, "authorName")
        message = p.text("commitMessage") or ""
        if len(message) > 100 * 1024:
            raise AwsError(
                "CommitMessageLengthExceededException",
                "The commit message is too long. Provide a shorter string.",
            )
        p.flag("keepEmptyFolders")
        puts, deletes, modes = p.items("putFiles"), p.items("deleteFiles"), p.items("setFileModes")
        if not (puts or deletes or modes):
            raise AwsError(
                "FileEntryRequiredException",
                "The commit cannot be created because no files have been specified as added, updated, or changed (PutFile or DeleteFile) for the commit.",
            )
        if len(puts) + len(deletes) + len(modes) > 100:
            raise AwsError(
                "MaximumFileEntriesExceededException",
                "The number of specified files to change as part of this commit exceeds the maximum number of files that can be changed in a single commit. Consider using a Git client for these changes.",
            )
        base = self._base_commit(repo, branch, parent)
        before = self._files_at(base)
        files = dict(before)
        seen: set[str] = set()
        total = 0

        def entry_path(entry: Any) -> str:
            if not isinstance(entry, dict):
                raise AwsError(
                    "SerializationException", "Unexpected value type for a file entry: expected a structure"
                )
            path = self._path(entry, "filePath")
            if path in seen:
                raise AwsError(
                    "SamePathRequestException",
                    f"The commit cannot be created because one or more changes in this commit duplicate actions in the same file path ({path}).",
                )
            seen.add(path)
            return path

        for entry in deletes:
            path = entry_path(entry)
            if path not in files:
                raise AwsError("FileDoesNotExistException", f"The file {path} does not exist.")
            del files[path]
        for entry in puts:
            path = entry_path(entry)
            content, source = entry.get("fileContent"), entry.get("sourceFile")
            if content is not None and source is not None:
                raise AwsError(
                    "FileContentAndSourceFileSpecifiedException",
                    "The commit cannot be created because both a source file and file content have been specified for the same file. You cannot provide both. Either specify a source file or provide the file content directly.",
                )
            if content is None and source is None:
                raise AwsError(
                    "SourceFileOrContentRequiredException",
                    "The commit cannot be created because no source files or file content have been specified for the commit.",
                )
            mode_name = entry.get("fileMode")
            if source is not None:
                if not isinstance(source, dict):
                    raise wrong_type("sourceFile")
                src = self._path(source, "filePath")
                if src not in before:
                    raise AwsError("FileDoesNotExistException", f"The file {src} does not exist.")
                blob_id = before[src].blob_id
                mode = self._file_mode(mode_name) if mode_name else before[src].mode
                if source.get("isMove") is True:
                    files.pop(src, None)
            else:
                if not isinstance(content, str):
                    raise wrong_type("fileContent")
                try:
                    data = base64.b64decode(content, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise AwsError("SerializationException", "'fileContent' is not valid base64") from exc
                if len(data) > MAX_FILE_BYTES:
                    raise AwsError(
                        "FileContentSizeLimitExceededException",
                        "The file cannot be added because it is too large. The maximum file size is 6 MB, and the combined file content change size is 7 MB.",
                    )
                total += len(data)
                blob_id = self.objects.put_blob(data)
                mode = self._file_mode(mode_name)
            if path not in files:
                self._check_conflicts(files, path)
            files[path] = Entry(blob_id, mode)
        if total > MAX_COMMIT_BYTES:
            raise AwsError(
                "FolderContentSizeLimitExceededException",
                "The commit cannot be created because at least one of the overall changes in the commit results in a folder whose contents exceed the limit of 6 MB.",
            )
        for entry in modes:
            path = entry_path(entry)
            if path not in files:
                raise AwsError("FileDoesNotExistException", f"The file {path} does not exist.")
            files[path] = Entry(files[path].blob_id, self._file_mode(entry.get("fileMode") or "NORMAL"))
        if files == before and base is not None:
            raise AwsError(
                "NoChangeException",
                "The commit cannot be created because no changes will be made to the repository as a result of this commit. A commit must contain at least one change.",
            )
        commit_id, tree_id = self._commit(repo, branch, base, files, author, message)

        def meta(path: str) -> dict[str, str]:
            e = files[path]
            return {"absolutePath": path, "blobId": e.blob_id, "fileMode": MODE_NAMES.get(e.mode, "NORMAL")}

        added = [meta(f) for f in sorted(files) if f not in before]
        updated = [meta(f) for f in sorted(files) if f in before and files[f] != before[f]]
        deleted = [
            {
                "absolutePath": f,
                "blobId": before[f].blob_id,
                "fileMode": MODE_NAMES.get(before[f].mode, "NORMAL"),
            }
            for f in sorted(before)
            if f not in files
        ]
        return {
            "commitId": commit_id,
            "treeId": tree_id,
            "filesAdded": added,
            "filesUpdated": updated,
            "filesDeleted": deleted,
        }

    # --- reading -----------------------------------------------------------------------------

    def get_commit(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        commit_id = p.required_text("commitId", "CommitIdRequiredException", "A commit ID was not specified.")
        if not _COMMIT_ID_RE.match(commit_id):
            raise AwsError("InvalidCommitIdException", "The specified commit ID is not valid.")
        commit = self.objects.commit(commit_id) if commit_id in repo["commits"] else None
        if commit is None:
            raise AwsError("CommitIdDoesNotExistException", f"Could not find commit {commit_id}")
        return {
            "commit": {
                "commitId": commit.commit_id,
                "treeId": commit.tree_id,
                "parents": list(commit.parents),
                "message": commit.message,
                "author": {
                    "name": commit.author.name,
                    "email": commit.author.email,
                    "date": commit.author.date,
                },
                "committer": {
                    "name": commit.committer.name,
                    "email": commit.committer.email,
                    "date": commit.committer.date,
                },
                "additionalData": "",
            }
        }

    def get_file(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        spec = p.text("commitSpecifier")
        path = self._path(p, "filePath")
        commit_id = self._resolve(repo, spec)
        entry = self._files_at(commit_id).get(path)
        if entry is None:
            raise AwsError("FileDoesNotExistException", f"The file {path} does not exist.")
        data = self.objects.blob(entry.blob_id) or b""
        return {
            "commitId": commit_id,
            "blobId": entry.blob_id,
            "filePath": path,
            "fileMode": MODE_NAMES.get(entry.mode, "NORMAL"),
            "fileSize": len(data),
            "fileContent": base64.b64encode(data).decode(),
        }

    def get_folder(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        spec = p.text("commitSpecifier")
        raw = p.required_text("folderPath", "PathRequiredException", "The folderPath for a location cannot be null.")
        folder = raw.strip("/")
        if folder and any(part in ("", ".", "..") for part in folder.split("/")):
            raise AwsError("InvalidPathException", "The specified path is not valid.")
        commit_id = self._resolve(repo, spec)
        commit = self.objects.commit(commit_id)
        assert commit is not None
        tree_id = self.objects.subtree(commit.tree_id, folder)
        if tree_id is None:
            raise AwsError("FolderDoesNotExistException", f"The folder {raw} does not exist.")
        sub_folders, files, links, modules = [], [], [], []
        for mode, name, oid in self.objects.tree_entries(tree_id):
            absolute = f"{folder}/{name}" if folder else name
            if mode == "40000":
                sub_folders.append({"treeId": oid, "absolutePath": absolute, "relativePath": name})
            elif mode == "120000":
                links.append(
                    {"blobId": oid, "absolutePath": absolute, "relativePath": name, "fileMode": "SYMLINK"}
                )
            elif mode == "160000":
                modules.append({"commitId": oid, "absolutePath": absolute, "relativePath": name})
            else:
                files.append(
                    {
                        "blobId": oid,
                        "absolutePath": absolute,
                        "relativePath": name,
                        "fileMode": MODE_NAMES.get(mode, "NORMAL"),
                    }
                )
        return {
            "commitId": commit_id,
            "folderPath": raw,
            "treeId": tree_id,
            "subFolders": sub_folders,
            "files": files,
            "symbolicLinks": links,
            "subModules": modules,
        }

    def get_blob(self, p: Params) -> dict[str, Any]:
        self._repo(p)
        blob_id = p.required_text("blobId", "BlobIdRequiredException", "A blob ID is required, but was not specified.")
        if not _COMMIT_ID_RE.match(blob_id):
            raise AwsError("InvalidBlobIdException", "The specified blob is not valid.")
        data = self.objects.blob(blob_id)
        if data is None:
            raise AwsError("BlobIdDoesNotExistException", f"Could not find blob {blob_id}")
        return {"content": base64.b64encode(data).decode()}

    def get_differences(self, p: Params) -> dict[str, Any]:
        repo = self._repo(p)
        after_spec = p.text("afterCommitSpecifier", "CommitRequiredException", "A commit was not specified.")
        before_spec = p.text("beforeCommitSpecifier")
        before_path, after_path = p.text("beforePath"), p.text("afterPath")
        max_results = p.integer("MaxResults")
        if max_results is not None and max_results < 1:
            raise AwsError("InvalidMaxResultsException", "The specified number of maximum results is not valid.")
        p.text("NextToken")
        after = self._files_at(self._resolve(repo, after_spec))
        before = self._files_at(self._resolve(repo, before_spec)) if before_spec else {}

        def within(path: str, prefix: str | None) -> bool:
            if not prefix:
                return True
            prefix = prefix.strip("/")
            return path == prefix or path.startswith(prefix + "/")

        diffs = []
        for path in sorted(set(before) | set(after)):
            if not (within(path, before_path) or within(path, after_path)):
                continue
            b, a = before.get(path), after.get(path)
            if a == b:
                continue
            d: dict[str, Any] = {"changeType": "A" if b is None else "D" if a is None else "M"}
            if b is not None:
                d["beforeBlob"] = {"blobId": b.blob_id, "path": path, "mode": b.mode}
            if a is not None:
                d["afterBlob"] = {"blobId": a.blob_id, "path": path, "mode": a.mode}
            diffs.append(d)
        return {"differences": diffs}
