"""Rendered files are complete (issue 9 item 6): every creating call `apply` makes has its
request file, each valid for botocore's input shape, and the README's table lists them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from botocore.validate import ParamValidator

from bluegreen.model.config import Config
from bluegreen.model.configfile import load
from renderers.artifacts import render_all
from renderers.refs import Refs
from tests.test_renderers import operation

ROOT = Path(__file__).resolve().parents[1]
SEED = load(ROOT / "examples" / "seed.yaml")
S3_SOURCE = Config(name="shop", region="eu-west-1", source={"type": "s3"},
                   code_deploy={"deployment_config": {"type": "canary", "percent": 10, "interval_minutes": 5}})

# A creating (not reading, updating or deleting) operation called on a client, and the
# operation names the S3 bucket node passes to getattr; `requests.<builder>(` is not a call.
_CALL = re.compile(r"(?<!requests)\.((?:create|put|register|attach|authorize)_\w+)\(")
_NAMED = re.compile(r"[\"']((?:create|put|register|attach|authorize)_\w+)[\"']")
_NOT_CALLS = {"create_resource"}  # the ManagedResource hook, not an AWS operation


def engine_calls() -> set[str]:
    found: set[str] = set()
    for source in (ROOT / "bluegreen" / "engine" / "nodes").glob("*.py"):
        text = source.read_text()
        found |= set(_CALL.findall(text)) | set(_NAMED.findall(text))
    return found - _NOT_CALLS


def rendered_operations() -> set[str]:
    return {a.operation for config in (SEED, S3_SOURCE) for a in render_all(config) if a.operation}


def test_every_creating_call_of_the_engine_has_a_rendered_request() -> None:
    calls = engine_calls()
    assert {"create_commit", "put_public_access_block", "attach_role_policy", "put_bucket_versioning"} <= calls
    missing = sorted(calls - rendered_operations())
    assert not missing, f"apply calls these, render writes no request for them: {missing}"


@pytest.mark.parametrize("path, call", [
    ("ecr-repository.json", "ecr.create_repository"),
    ("cluster.json", "ecs.create_cluster"),
    ("log-group.json", "logs.create_log_group"),
    ("application.json", "codedeploy.create_application"),
    ("register-task-definition.json", "ecs.register_task_definition"),
    ("buckets/artifacts.json", "s3.create_bucket"),
    ("buckets/artifacts-tagging.json", "s3.put_bucket_tagging"),
    ("buckets/artifacts-public-access-block.json", "s3.put_public_access_block"),
    ("codecommit-repository.json", "codecommit.create_repository"),
    ("source-commit.json", "codecommit.create_commit"),
    ("iam/codedeploy-attach-AWSCodeDeployRoleForECSLimited.json", "iam.attach_role_policy"),
    ("iam/ecs-service-linked-role.json", "iam.create_service_linked_role"),
])
def test_the_seed_renders_each_wave_0_request(path: str, call: str) -> None:
    files = {a.path: a for a in render_all(SEED)}
    assert path in files
    assert f"{files[path].service}.{files[path].operation}" == call


def test_an_s3_source_renders_its_bucket_settings_and_upload_instead_of_a_commit() -> None:
    files = {a.path: a for a in render_all(S3_SOURCE)}
    for path in ("buckets/source.json", "buckets/source-versioning.json", "buckets/source-notification.json",
                 "buckets/source-public-access-block.json", "source-object.json", "deployment-config.json"):
        assert path in files, path
    assert "source-commit.json" not in files and "codecommit-repository.json" not in files
    configuration = files["buckets/source.json"].request["CreateBucketConfiguration"]
    assert configuration["LocationConstraint"] == "eu-west-1"
    # the stack tag rides in CreateBucket (this botocore knows the member); the tagging file
    # stays for callers whose policy lacks s3:TagResource
    assert configuration["Tags"] == [{"Key": "bluegreen:stack", "Value": "shop"}]
    assert "buckets/source-tagging.json" in files


def test_the_commit_holds_the_rendered_source_files() -> None:
    files = {a.path: a for a in render_all(SEED)}
    put = {f["filePath"]: f["fileContent"] for f in files["source-commit.json"].request["putFiles"]}
    assert put["appspec.yaml"] == files["appspec.yaml"].text
    assert json.loads(put["taskdef.json"]) == files["taskdef.json"].request


@pytest.mark.parametrize("config", [SEED, S3_SOURCE], ids=["seed", "s3"])
def test_every_new_request_is_valid_for_botocore(config: Config) -> None:
    for artifact in render_all(config, Refs.offline(config)):
        if artifact.operation:
            report = ParamValidator().validate(artifact.request,
                                               operation(artifact.service, artifact.operation).input_shape)
            assert not report.has_errors(), f"{artifact.path}: {report.generate_report()}"


def test_the_readme_table_lists_every_rendered_file() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("bluegreen render -f examples/seed.yaml -o out/` writes:", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1].strip().strip("`") for line in table.splitlines() if line.startswith("| `")]
    paths = {a.path for config in (SEED, S3_SOURCE) for a in render_all(config)}

    def listed(path: str) -> bool:
        return any(re.fullmatch(re.escape(row).replace(r"\*", "[^/]+"), path)
                   or any(re.fullmatch(re.escape(part.strip().strip("`")).replace(r"\*", "[^/]+"), path)
                          for part in row.split("`, `")) for row in rows)

    missing = sorted(p for p in paths if not listed(p))
    assert not missing, f"README's render table lacks: {missing}"
