"""The doctor's IAM rules: each on the seed stack broken in exactly that way with plain boto3
(a policy detached, a trust policy changed, a commit of taskdef.json or appspec.yaml), all rules
running, and exactly that rule's finding; the seed procedure's own pipeline policy gives exactly
pipeline-role-denied, and its fix clears it."""

from __future__ import annotations

import asyncio
import json
import shlex
from typing import Any

from support.doctor import doctor_session, found
from support.doctor import only as _only
from support.doctor import report_of as _report
from support.doctor import seeded as _stack
from support.doctor_variants import area_findings
from support.seed_stack import APPSPEC, EXECUTION_POLICY, SeedStack, allow, trust

from bluegreen.aws.iam.needs import codedeploy_needs, pipeline_needs
from bluegreen.doctor.adopt import config_from_facts
from bluegreen.doctor.facts import Facts
from bluegreen.doctor.rules.iam_needs import names_config, setup_arns

CODEDEPLOY_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
CODEDEPLOY_LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
ECS_LINKED_ROLE = "AWSServiceRoleForECS"


def _exec_name(stack: SeedStack) -> str:
    return stack.exec_role.rsplit("/", 1)[-1]


def _commit(sandbox: Any, stack: SeedStack, path: str, content: str) -> None:
    cc = sandbox.client("codecommit")
    head = cc.get_branch(repositoryName=stack.source_repo, branchName="main")["branch"]["commitId"]
    cc.put_file(repositoryName=stack.source_repo, branchName="main", filePath=path, parentCommitId=head,
                fileContent=content.encode(), commitMessage=f"change {path}")


def _policy_document(fix: str) -> tuple[str, str, str]:
    """(role, policy name, document) of the fix's `aws iam put-role-policy` command."""
    words = shlex.split(fix[fix.index("aws iam put-role-policy"):])
    value = {words[i]: words[i + 1] for i in range(3, len(words) - 1, 2)}
    return value["--role-name"], value["--policy-name"], value["--policy-document"]


def test_the_intact_seed_stack_has_no_iam_finding(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamok")
    report = _report(sandbox, stack)
    assert area_findings(report, "iam") == []
    assert found(report) == []


def test_the_names_only_config_asks_the_same_of_the_roles_as_the_adopted_one(sandbox: Any) -> None:
    """The fallback for a setup the config refuses as a whole (e.g. one listener for both routes,
    another rule's finding) derives the very needs the adopted config does."""
    stack = _stack(sandbox, "iamnames")
    _commit(sandbox, stack, "appspec.yaml", APPSPEC + 'Hooks:\n  - BeforeAllowTraffic: "CodeDeployHook_x"\n')

    async def both() -> list[set[tuple[str, str, str]]]:
        f = Facts(doctor_session(sandbox, stack.region), stack.pipeline)
        out = []
        for config in ((await config_from_facts(f)).config, await names_config(f)):
            arns = await setup_arns(f, config)
            out.append({(n.action, n.resource, str(sorted(n.context.items())))
                        for n in pipeline_needs(config, arns) + codedeploy_needs(config, arns)})
        return out

    adopted, names = asyncio.run(both())
    assert names == adopted
    assert ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_x", "[]") in names


def test_the_seed_pipeline_policy_lacks_the_codecommit_source_and_the_fix_grants_it(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamseed", complete=False)
    finding = _only(_report(sandbox, stack), "pipeline-role-denied")
    repo = f"arn:aws:codecommit:us-east-1:123456789012:{stack.source_repo}"
    assert finding.finding == ("Pipeline role iamseed-pipeline may not codecommit:GetCommit, codecommit:GetRepository, "
                               "codecommit:UploadArchive, codecommit:GetUploadArchiveStatus, "
                               f"codecommit:CancelUploadArchive on {repo} (needed for source: codecommit)")
    role, name, document = _policy_document(finding.fix)
    assert role == "iamseed-pipeline" and json.loads(document)["Statement"] == [{
        "Effect": "Allow", "Resource": repo, "Action": ["codecommit:GetCommit", "codecommit:GetRepository",
                                                        "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                                                        "codecommit:CancelUploadArchive"]}]
    sandbox.client("iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    assert found(_report(sandbox, stack)) == []


def test_a_pipeline_role_without_any_policy_is_one_finding_for_the_role(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamnopol")
    sandbox.client("iam").delete_role_policy(RoleName="iamnopol-pipeline", PolicyName="pipeline")
    finding = _only(_report(sandbox, stack), "pipeline-role-denied")
    for part in ("s3:PutObject", "ecr:DescribeImages", "codedeploy:CreateDeployment", "ecs:RegisterTaskDefinition",
                 f"iam:PassRole on {stack.exec_role} with iam:PassedToService=ecs-tasks.amazonaws.com",
                 "(needed for artifact bucket)", "arn:aws:s3:::iamnopol-artifacts-123456789012"):
        assert part in finding.finding
    _, _, document = _policy_document(finding.fix)
    resources = {s["Resource"] for s in json.loads(document)["Statement"]}
    # the artifact objects as a family, never "*" except for the action that has no resource
    assert "arn:aws:s3:::iamnopol-artifacts-123456789012/*" in resources
    assert [s["Action"] for s in json.loads(document)["Statement"] if s["Resource"] == "*"] == [
        "ecs:RegisterTaskDefinition"]


def test_a_policy_the_doctor_cannot_evaluate_is_not_checked(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamdate", complete=False)
    # the missing CodeCommit permissions granted under an operator the evaluator does not model
    sandbox.client("iam").put_role_policy(RoleName="iamdate-pipeline", PolicyName="later", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codecommit:*", "Resource": "*",
                                                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}}]}))
    report = _report(sandbox, stack)
    assert found(report) == ["not-checked:pipeline-role-denied"]
    assert "DateGreaterThan" in report.not_checked[0].reason


def test_a_codedeploy_role_that_does_not_trust_codedeploy(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamtrust")
    iam = sandbox.client("iam")
    iam.update_assume_role_policy(RoleName="iamtrust-codedeploy", PolicyDocument=trust("ecs-tasks.amazonaws.com"))
    finding = _only(_report(sandbox, stack), "role-trust")
    assert finding.finding == ("Role iamtrust-codedeploy (CodeDeploy service role) does not trust "
                               "codedeploy.amazonaws.com")
    assert f"assume the role {stack.cd_role}" in finding.why
    # the fix keeps the statement there and adds CodeDeploy's
    document = json.loads(shlex.split(finding.fix)[-1])
    assert [s["Principal"]["Service"] for s in document["Statement"]] == [
        "ecs-tasks.amazonaws.com", "codedeploy.amazonaws.com"]
    iam.update_assume_role_policy(RoleName="iamtrust-codedeploy", PolicyDocument=json.dumps(document))
    assert found(_report(sandbox, stack)) == []


def test_an_execution_role_that_no_longer_exists(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamgone")
    iam = sandbox.client("iam")
    iam.detach_role_policy(RoleName=_exec_name(stack), PolicyArn=EXECUTION_POLICY)
    iam.delete_role(RoleName=_exec_name(stack))
    finding = _only(_report(sandbox, stack), "role-trust")
    assert finding.finding == f"Role {stack.exec_role} (task execution role) does not exist"
    assert finding.fix.startswith(f"aws iam create-role --role-name {_exec_name(stack)} ")


def test_a_codedeploy_role_that_may_not_pass_the_execution_role(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamcdlim")
    iam = sandbox.client("iam")
    # the Limited policy passes only roles named ecsTaskExecutionRole*; the seed's is iamcdlim-execution
    iam.detach_role_policy(RoleName="iamcdlim-codedeploy", PolicyArn=CODEDEPLOY_POLICY)
    iam.attach_role_policy(RoleName="iamcdlim-codedeploy", PolicyArn=CODEDEPLOY_LIMITED)
    finding = _only(_report(sandbox, stack), "codedeploy-role-denied")
    assert finding.finding == (f"CodeDeploy role iamcdlim-codedeploy may not iam:PassRole on {stack.exec_role} "
                               "with iam:PassedToService=ecs-tasks.amazonaws.com (needed for execution role)")
    _, _, document = _policy_document(finding.fix)
    assert json.loads(document)["Statement"] == [{
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": stack.exec_role,
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}]


def test_an_execution_role_without_its_policy(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamexec")
    sandbox.client("iam").detach_role_policy(RoleName=_exec_name(stack), PolicyArn=EXECUTION_POLICY)
    finding = _only(_report(sandbox, stack), "execution-role-denied")
    repo = "arn:aws:ecr:us-east-1:123456789012:repository/iamexec"
    assert finding.finding.startswith(f"Task execution role {_exec_name(stack)} may not ecr:GetAuthorizationToken "
                                      "on * (needed for image pull); ecr:BatchCheckLayerAvailability, "
                                      f"ecr:GetDownloadUrlForLayer, ecr:BatchGetImage on {repo} (needed for image pull)")
    assert "logs:CreateLogStream, logs:PutLogEvents on arn:aws:logs:us-east-1:123456789012:log-group:/ecs/iamexec" \
        in finding.finding
    assert "tasks of task definition iamexec:1 (running) and taskdef.json in CodeCommit iamexec-deploy@main" \
        in finding.finding
    assert finding.fix.startswith(f"aws iam attach-role-policy --role-name {_exec_name(stack)} "
                                  f"--policy-arn {EXECUTION_POLICY}")
    _, _, document = _policy_document(finding.fix)
    assert {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/iamexec:*"} in \
        json.loads(document)["Statement"]


def test_a_taskdef_template_without_an_execution_role(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamnoexec")
    template = {k: v for k, v in stack.taskdef_json.items() if k != "executionRoleArn"}
    _commit(sandbox, stack, "taskdef.json", json.dumps(template, indent=2))
    finding = _only(_report(sandbox, stack), "execution-role-missing")
    assert finding.finding.startswith("taskdef.json in CodeCommit iamnoexec-deploy@main names no executionRoleArn "
                                      "but pulls from ECR (iamnoexec)")


def test_an_appspec_hook_naming_a_missing_function(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamhook")
    _commit(sandbox, stack, "appspec.yaml", APPSPEC + 'Hooks:\n  - AfterAllowTestTraffic: "iamhook-check"\n')
    finding = _only(_report(sandbox, stack), "hook-function-missing")
    assert finding.finding == ("AppSpec hook AfterAllowTestTraffic (appspec.yaml in CodeCommit iamhook-deploy@main) "
                               "names Lambda function iamhook-check, which does not exist in us-east-1")


def test_an_account_without_the_ecs_service_linked_role(sandbox: Any) -> None:
    stack = _stack(sandbox, "iamslr")
    iam = sandbox.client("iam")
    assert iam.get_role(RoleName=ECS_LINKED_ROLE)  # the sandbox's ECS made it, as AWS's does
    iam.delete_service_linked_role(RoleName=ECS_LINKED_ROLE)
    try:
        finding = _only(_report(sandbox, stack), "ecs-service-linked-role-missing")
        assert ECS_LINKED_ROLE in finding.finding
        assert finding.fix == "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
    finally:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")


def test_the_events_role_is_left_to_the_sources_rules(sandbox: Any) -> None:
    """The events role is the sources rules' (events-target-role-cannot-start): role-trust leaves it."""
    stack = _stack(sandbox, "iamevt")
    sandbox.client("iam").update_assume_role_policy(RoleName="iamevt-events", PolicyDocument=trust("ecs.amazonaws.com"))
    sandbox.client("iam").put_role_policy(RoleName="iamevt-events", PolicyName="start",
                                          PolicyDocument=allow("codepipeline:StartPipelineExecution",
                                                               stack.pipeline_arn))
    assert area_findings(_report(sandbox, stack), "iam") == []
