"""The doctor's rules of the area 'artifacts': the seed stack, one thing broken in what the deploy
action reads (a commit to its templates, its configuration, an S3 source), exactly that rule's finding."""

from __future__ import annotations

import json
import os
from typing import Any

from support.doctor import found
from support.doctor import report_of as _report
from support.doctor import seeded as _seed
from support.doctor_s3_source import template_zip, use_s3_source
from support.seed_stack import APPSPEC, SeedStack

from bluegreen.doctor.finding import Report
from bluegreen.doctor.rules import RULES

MINE = {r.id for r in RULES if r.area in ("sources", "artifacts")}


def _text(report: Report) -> str:
    return "\n".join(f"{f.finding}\n{f.why}\n{f.fix}" for f in report.findings)


def _commit(sandbox: Any, seed: SeedStack, path: str, content: str) -> None:
    sandbox.client("codecommit").put_file(repositoryName=seed.source_repo, branchName="main", filePath=path,
                                          fileContent=content.encode(), parentCommitId=seed.commit["commitId"])


def _edit_deploy(sandbox: Any, seed: SeedStack, inputs: list[str] | None = None, **configuration: str) -> None:
    cp = sandbox.client("codepipeline")
    pipeline = cp.get_pipeline(name=seed.pipeline)["pipeline"]
    deploy = pipeline["stages"][1]["actions"][0]
    deploy["configuration"].update(configuration)
    if inputs is not None:
        deploy["inputArtifacts"] = [{"name": n} for n in inputs]
    cp.update_pipeline(pipeline=pipeline)


def test_an_intact_stack_whose_templates_come_from_s3_has_no_finding_of_sources_or_artifacts(sandbox: Any) -> None:
    seed = _seed(sandbox, "artintact")
    use_s3_source(sandbox.client, seed, template_zip(seed))
    report = _report(sandbox, seed)
    assert [r for r in found(report) if r.split(":")[-1] in MINE] == [], report


def test_a_taskdef_with_another_image_placeholder(sandbox: Any) -> None:
    seed = _seed(sandbox, "artimage")
    taskdef = dict(seed.taskdef_json, containerDefinitions=[
        dict(seed.taskdef_json["containerDefinitions"][0], image="<IMAGE_NAME>")])
    _commit(sandbox, seed, "taskdef.json", json.dumps(taskdef))
    report = _report(sandbox, seed)
    assert found(report) == ["image-placeholder-missing"], report
    assert ('Image1ContainerName is IMAGE1_NAME but taskdef.json in SourceArtifact (CodeCommit artimage-deploy@main) '
            'has no "<IMAGE1_NAME>" (it has <IMAGE_NAME>)') in _text(report)
    assert '"Image1ContainerName": "IMAGE_NAME"' in _text(report)


def test_an_image_artifact_that_is_not_an_input(sandbox: Any) -> None:
    seed = _seed(sandbox, "artwire")
    _edit_deploy(sandbox, seed, inputs=["SourceArtifact"])
    report = _report(sandbox, seed)
    assert found(report) == ["image-artifact-not-wired"], report
    assert "Image1ArtifactName MyImage is not an input of deploy action Deploy (its inputs: SourceArtifact)" in _text(report)


def test_an_appspec_with_a_literal_task_definition(sandbox: Any) -> None:
    seed = _seed(sandbox, "arttaskdef")
    _commit(sandbox, seed, "appspec.yaml", APPSPEC.replace("<TASK_DEFINITION>", seed.taskdef))
    report = _report(sandbox, seed)
    assert found(report) == ["task-definition-placeholder-missing"], report
    assert f"appspec.yaml in SourceArtifact (CodeCommit arttaskdef-deploy@main) has no <TASK_DEFINITION>: TaskDefinition is {seed.taskdef}" in _text(report)


def test_an_appspec_naming_an_unknown_container(sandbox: Any) -> None:
    seed = _seed(sandbox, "artcontainer")
    _commit(sandbox, seed, "appspec.yaml", APPSPEC.replace('ContainerName: "web"', 'ContainerName: "app"'))
    report = _report(sandbox, seed)
    assert found(report) == ["appspec-container-unknown"], report
    assert "ContainerName app" in _text(report) and "(containers: web)" in _text(report)


def test_an_appspec_port_the_container_does_not_map(sandbox: Any) -> None:
    seed = _seed(sandbox, "artport")
    _commit(sandbox, seed, "appspec.yaml", APPSPEC.replace("ContainerPort: 80", "ContainerPort: 8080"))
    report = _report(sandbox, seed)
    assert found(report) == ["appspec-port-unmapped"], report
    assert "AppSpec ContainerPort 8080" in _text(report) and "container web (its ports: 80)" in _text(report)


def test_an_s3_source_artifact_over_3_mb(sandbox: Any) -> None:
    seed = _seed(sandbox, "artlarge")
    body = template_zip(seed, extra={"assets.bin": os.urandom(3 * 1024 * 1024 + 100_000)})  # random: zip cannot shrink it
    bucket, key = use_s3_source(sandbox.client, seed, body)
    report = _report(sandbox, seed)
    assert found(report) == ["artifact-too-large"], report
    assert f"Input artifact SourceArtifact of Deploy is 3.1 MB (s3://{bucket}/{key})" in _text(report)


def test_an_image_artifact_with_imagedefinitions_json(sandbox: Any) -> None:
    seed = _seed(sandbox, "artimgdefs")
    _commit(sandbox, seed, "imagedefinitions.json", json.dumps([{"name": "web", "imageUri": "x:latest"}]))
    _edit_deploy(sandbox, seed, Image1ArtifactName="SourceArtifact")
    report = _report(sandbox, seed)
    assert found(report) == ["imagedefinitions-instead-of-imagedetail"], report
    assert "Image artifact SourceArtifact (Image1ArtifactName, output of TemplateSource) holds imagedefinitions.json" in _text(report)
    assert '"Image1ArtifactName": "MyImage"' in _text(report)


def test_an_s3_image_artifact_without_imagedetail_json(sandbox: Any) -> None:
    seed = _seed(sandbox, "artimgs3")
    use_s3_source(sandbox.client, seed, template_zip(seed))
    _edit_deploy(sandbox, seed, Image1ArtifactName="SourceArtifact")
    report = _report(sandbox, seed)
    assert found(report) == ["imagedefinitions-instead-of-imagedetail"], report
    assert "Image artifact SourceArtifact (Image1ArtifactName, output of TemplateSource) has no imageDetail.json" in _text(report)


def test_a_taskdef_that_is_not_json_is_not_checked(sandbox: Any) -> None:
    seed = _seed(sandbox, "artbadjson")
    _commit(sandbox, seed, "taskdef.json", '{"family": "artbadjson",')
    report = _report(sandbox, seed)
    assert found(report) == ["not-checked:appspec-container-unknown", "not-checked:appspec-port-unmapped",
                             "not-checked:image-placeholder-missing"], report
    assert all("taskdef.json in SourceArtifact (CodeCommit artbadjson-deploy@main) is not valid JSON" in n.reason
               for n in report.not_checked)
