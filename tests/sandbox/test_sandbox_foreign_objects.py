"""The tool tolerates objects it lists but did not make: made with plain boto3 against the sandbox,
with the stack's names and tag but shapes bluegreen never gives them (no tags, odd paths, a target
group of type lambda with no port, versioned buckets with delete markers, roles in instance
profiles). ``plan`` and ``destroy`` answer with rows and one-line errors and a sensible exit code,
never a traceback or a Python exception in a row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.engine import REGION, put_tiny_image, session_for, stack_config

from bluegreen.engine.leftovers import leftovers
from bluegreen.model.config import TAG_KEY
from bluegreen.model.configfile import dump_text
from bluegreen.sandbox.server import SandboxHandle, start_sandbox
from tui.cli import main

STACK = "alien"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
PYTHON_ERRORS = ("KeyError", "TypeError", "AttributeError", "IndexError", "ValueError", "JSONDecodeError")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(port=0, region=REGION) as handle:  # the region support.engine's stacks use
        yield handle


def _tag(stack: str = STACK) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": stack}]


def _foreign_objects(sandbox: SandboxHandle) -> None:
    """What another tool (or a person) left behind, under the stack's names."""
    c = lambda name: sandbox.client(name, region_name=REGION)  # noqa: E731
    iam, s3, elbv2, logs, ecs, ec2, codedeploy = (c(n) for n in ("iam", "s3", "elbv2", "logs", "ecs", "ec2", "codedeploy"))
    # IAM: no tags, an odd path, an inline policy; one tagged ours but held by an instance profile;
    # one tagged ours under a name the stack does not use; one tagged for another stack
    iam.create_role(RoleName=f"{STACK}-execution", Path="/odd/path/", AssumeRolePolicyDocument=TRUST,
                    MaxSessionDuration=43200)
    iam.put_role_policy(RoleName=f"{STACK}-execution", PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    iam.create_role(RoleName=f"{STACK}-codedeploy", AssumeRolePolicyDocument=TRUST,
                    Tags=[*_tag(), {"Key": "owner", "Value": ""}])
    iam.attach_role_policy(RoleName=f"{STACK}-codedeploy", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.create_instance_profile(InstanceProfileName=f"{STACK}-profile")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{STACK}-profile", RoleName=f"{STACK}-codedeploy")
    iam.create_role(RoleName=f"{STACK}-other", AssumeRolePolicyDocument=TRUST, Tags=_tag())
    iam.create_role(RoleName=f"{STACK}-pipeline", AssumeRolePolicyDocument=TRUST, Tags=_tag("someone-else"))
    # S3: our artifact bucket's name and tag, versioned, with versions, a delete marker and a policy
    bucket = f"bluegreen-{STACK}-{REGION}-artifacts"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [*_tag(), {"Key": "empty", "Value": ""}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket=bucket, Key="dir/a", Body=body)
    s3.delete_object(Bucket=bucket, Key="dir/a")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    # ELBv2: a lambda target group (no port, no VPC) tagged ours; a TCP one in another VPC, untagged
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    elbv2.create_target_group(Name=f"{STACK}-blue", TargetType="lambda", Tags=_tag())
    elbv2.create_target_group(Name=f"{STACK}-green", Protocol="TCP", Port=1, VpcId=vpc, TargetType="instance")
    # Logs: ours with a retention; one tagged ours whose name only starts like ours
    logs.create_log_group(logGroupName=f"/ecs/{STACK}", tags={TAG_KEY: STACK})
    logs.put_retention_policy(logGroupName=f"/ecs/{STACK}", retentionInDays=1)
    logs.create_log_group(logGroupName=f"/ecs/{STACK}-extra", tags={TAG_KEY: STACK})
    # ECS and CodeDeploy: tagged ours, shaped for something else
    ecs.create_cluster(clusterName=STACK, tags=[{"key": TAG_KEY, "value": STACK}],
                       settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.register_task_definition(family=STACK, containerDefinitions=[{"name": "odd", "image": "busybox", "memory": 4}],
                                 tags=[{"key": TAG_KEY, "value": STACK}])
    codedeploy.create_application(applicationName=STACK, computePlatform="Server", tags=_tag())


@pytest.fixture(scope="module")
def config_file(sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    put_tiny_image(session_for(sandbox))
    _foreign_objects(sandbox)
    path = tmp_path_factory.mktemp("foreign") / "bluegreen.yaml"
    path.write_text(dump_text(stack_config(STACK)))
    return path


def _run(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxHandle, *args: str) -> Result:
    monkeypatch.setenv("BLUEGREEN_SANDBOX_URL", sandbox.endpoint_url)
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def test_plan_reads_foreign_objects_as_conflicts_not_errors(sandbox, config_file, monkeypatch) -> None:
    result = _run(monkeypatch, sandbox, "plan", "-f", str(config_file), "--sandbox", "--json")
    assert result.exit_code == 2, result.output  # conflicts: nothing the stack can take over
    rows = {row["title"]: row for row in json.loads(result.output)}
    assert not [row for row in rows.values() if row["action"] == "error"], result.output
    assert not [row for row in rows.values() if any(e in row["reason"] for e in PYTHON_ERRORS)]
    blue = rows[f"Target group {STACK}-blue"]
    assert blue["action"] == "conflict" and "type lambda" in blue["reason"], blue
    assert rows[f"Target group {STACK}-green"]["action"] == "conflict"
    assert rows[f"CodeDeploy application {STACK}"]["action"] == "conflict"
    table = _run(monkeypatch, sandbox, "plan", "-f", str(config_file), "--sandbox")
    assert table.exit_code == 2 and "conflict" in table.output


def test_destroy_removes_what_is_tagged_ours_and_reports_the_rest(sandbox, config_file, monkeypatch) -> None:
    s3 = sandbox.client("s3", region_name=REGION)
    iam = sandbox.client("iam")
    first = _run(monkeypatch, sandbox, "destroy", "-f", str(config_file), "--sandbox", "--yes")
    # the role in an instance profile cannot go (AWS's DeleteConflict): one line, exit 1
    assert first.exit_code == 1, first.output
    assert "DeleteConflict" in first.output and "still tagged with this stack" in first.output
    for name in (f"{STACK}-codedeploy", f"{STACK}-other", f"/ecs/{STACK}-extra"):
        assert name in first.output
    # tagged ours, odd shapes and all: gone
    assert f"bluegreen-{STACK}-{REGION}-artifacts" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    remaining = session_for(sandbox)
    assert not [arn for arn in leftovers(remaining, STACK) if ":targetgroup/" in arn or ":cluster/" in arn]
    # not ours: left alone
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert {f"{STACK}-execution", f"{STACK}-pipeline"} <= roles
    again = _run(monkeypatch, sandbox, "destroy", "-f", str(config_file), "--sandbox", "--yes")
    assert again.exit_code == 1 and "DeleteConflict" in again.output
    # once the instance profile lets go, destroy finishes what is ours
    iam.remove_role_from_instance_profile(InstanceProfileName=f"{STACK}-profile", RoleName=f"{STACK}-codedeploy")
    last = _run(monkeypatch, sandbox, "destroy", "-f", str(config_file), "--sandbox", "--yes")
    assert "DeleteConflict" not in last.output
    assert sorted(a.rsplit("/", 1)[-1] if ":role/" in a else a.split(":log-group:")[-1]
                  for a in leftovers(remaining, STACK)) == [f"/ecs/{STACK}-extra", f"{STACK}-other"]
    after = _run(monkeypatch, sandbox, "plan", "-f", str(config_file), "--sandbox", "--json")
    assert after.exit_code in (0, 2) and not [r for r in json.loads(after.output) if r["action"] == "error"]
