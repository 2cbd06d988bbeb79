"""Rules of the area 'artifacts' (docs/doctor-rules.md §1.2): what the CodeDeployToECS action reads,
taskdef.json, appspec.yaml and the image artifacts, as the source holds them now."""

from __future__ import annotations

import asyncio
import re

from bluegreen.doctor.facts import Facts
from bluegreen.doctor.finding import Finding
from bluegreen.doctor.rule import rule
from bluegreen.doctor.rules.templates import (
    TASK_DEFINITION_PLACEHOLDER,
    appspec,
    artifact_names,
    containers,
    image_slots,
    latest_location,
    target_services,
    taskdef,
    where,
)

PLACEHOLDER = re.compile(r"<[A-Za-z0-9_-]+>")
# "If you are using the CodeDeployToECS action ..., the maximum artifact size is always 3 MB"
# (CodePipeline quotas); MB read as 2^20 bytes (unverified: docs/doctor-rules.md §5).
MAX_ARTIFACT = 3 * 1024 * 1024


def _edit_pipeline(f: Facts, what: str) -> str:
    return (f"aws codepipeline get-pipeline --name {f.pipeline_name} > p.json; {what}; drop \"metadata\"; "
            "aws codepipeline update-pipeline --cli-input-json file://p.json")


@rule("image-placeholder-missing", "error", "artifacts")
async def image_placeholder_missing(f: Facts) -> list[Finding]:
    deploy = await f.deploy_action()
    slots = [s for s in image_slots(deploy) if s.container]
    if not slots:
        return []
    task, place = await asyncio.gather(taskdef(f), where(f, "taskdef"))
    images = [str(c.get("image", "")) for c in containers(task)]
    present = sorted({p for image in images for p in PLACEHOLDER.findall(image)})
    out = []
    for slot in slots:
        wanted = f"<{slot.container}>"
        if any(wanted in image for image in images):
            continue
        has = f"it has {', '.join(present)}" if present else f"its images: {', '.join(images) or 'none'}"
        key = f"Image{slot.number}ContainerName"
        fix = (f"Set \"image\": \"{wanted}\" in the container of {place} and commit, or: "
               + _edit_pipeline(f, f"in action {deploy.name} set \"{key}\": "
                                   f"\"{present[0].strip('<>') if present else '<placeholder in taskdef.json>'}\""))
        out.append(image_placeholder_missing.finding(
            f"{key} is {slot.container} but {place} has no \"{wanted}\" ({has})",
            f"The deploy action replaces only the text {wanted} with the image URI of "
            f"{slot.artifact or 'its image artifact'}; without it the task definition keeps the literal image "
            "string: the tasks cannot pull it, or the action fails.", fix))
    return out


@rule("image-artifact-not-wired", "error", "artifacts")
async def image_artifact_not_wired(f: Facts) -> list[Finding]:
    deploy = await f.deploy_action()
    out = []
    for slot in image_slots(deploy):
        key = f"Image{slot.number}ArtifactName"
        if slot.container and not slot.artifact:
            image_sources = [a.outputs[0] for a in await f.sources() if a.provider == "ECR" and a.outputs]
            out.append(image_artifact_not_wired.finding(
                f"Image{slot.number}ContainerName is set in deploy action {deploy.name} without {key}",
                "The image URI comes from imageDetail.json of the artifact named by "
                f"{key}; with none, <{slot.container}> is never replaced.",
                _edit_pipeline(f, f"in action {deploy.name} set \"{key}\": "
                                  f"\"{image_sources[0] if image_sources else '<image artifact>'}\" and add it to "
                                  "inputArtifacts")))
        elif slot.artifact and slot.artifact not in deploy.inputs:
            out.append(image_artifact_not_wired.finding(
                f"{key} {slot.artifact} is not an input of deploy action {deploy.name} "
                f"(its inputs: {', '.join(deploy.inputs) or 'none'})",
                f"The action reads imageDetail.json from the artifact {key} names; an artifact that is not among "
                "its inputArtifacts cannot be read.",
                _edit_pipeline(f, f"add {{\"name\": \"{slot.artifact}\"}} to inputArtifacts of action {deploy.name}")))
    return out


@rule("task-definition-placeholder-missing", "error", "artifacts")
async def task_definition_placeholder_missing(f: Facts) -> list[Finding]:
    spec, place = await asyncio.gather(appspec(f), where(f, "appspec"))
    out = []
    for props in target_services(spec):
        value = props.get("TaskDefinition")
        if value == TASK_DEFINITION_PLACEHOLDER:
            continue
        out.append(task_definition_placeholder_missing.finding(
            f"{place} has no {TASK_DEFINITION_PLACEHOLDER}: TaskDefinition is {value if value else '(absent)'}",
            f"The deploy action puts the ARN of the task definition it has just registered in place of "
            f"{TASK_DEFINITION_PLACEHOLDER}; with a literal ARN the deployment rolls out that old revision, not "
            "the new image, and with anything else CodeDeploy refuses the revision.",
            f"Write \"TaskDefinition: {TASK_DEFINITION_PLACEHOLDER}\" under Resources[0].TargetService.Properties "
            f"of {place} and commit."))
    return out


@rule("appspec-container-unknown", "error", "artifacts")
async def appspec_container_unknown(f: Facts) -> list[Finding]:
    spec, task, place, task_place = await asyncio.gather(appspec(f), taskdef(f), where(f, "appspec"),
                                                         where(f, "taskdef"))
    names = [str(c.get("name", "")) for c in containers(task)]
    out = []
    for props in target_services(spec):
        container = (props.get("LoadBalancerInfo") or {}).get("ContainerName")
        if container is None or str(container) in names:
            continue
        out.append(appspec_container_unknown.finding(
            f"AppSpec LoadBalancerInfo.ContainerName {container} ({place}) is not a container of {task_place} "
            f"(containers: {', '.join(names) or 'none'})",
            "CodeDeploy creates the replacement task set with the AppSpec's LoadBalancerInfo; ECS refuses a "
            "container the task definition does not have, and the deployment fails at Install.",
            f"Set ContainerName: \"{names[0] if names else '<container>'}\" in {place} (or rename the container "
            f"in {task_place}) and commit."))
    return out


@rule("appspec-port-unmapped", "error", "artifacts")
async def appspec_port_unmapped(f: Facts) -> list[Finding]:
    spec, task, place = await asyncio.gather(appspec(f), taskdef(f), where(f, "appspec"))
    by_name = {str(c.get("name", "")): c for c in containers(task)}
    out = []
    for props in target_services(spec):
        info = props.get("LoadBalancerInfo") or {}
        container, port = by_name.get(str(info.get("ContainerName"))), info.get("ContainerPort")
        if container is None or port is None:
            continue  # an unknown container is appspec-container-unknown's
        ports = [m.get("containerPort") for m in container.get("portMappings") or [] if isinstance(m, dict)]
        if str(port) in {str(p) for p in ports}:
            continue
        name = container.get("name")
        out.append(appspec_port_unmapped.finding(
            f"AppSpec ContainerPort {port} ({place}) is not a containerPort of container {name} "
            f"(its ports: {', '.join(str(p) for p in ports) or 'none'})",
            "ECS requires the load balancer's container port to be a containerPort of the container's "
            "portMappings (\"This port must correspond to a containerPort in the service's task definition\"); "
            "the replacement task set is refused and the deployment fails.",
            f"Set ContainerPort: {ports[0] if ports else '<port>'} in {place}, or add "
            f"{{\"containerPort\": {port}}} to the portMappings of {name} in the task definition template, "
            "and commit."))
    return out


@rule("artifact-too-large", "error", "artifacts")
async def artifact_too_large(f: Facts) -> list[Finding]:
    """Sizes of the deploy action's input artifacts: an S3 source's object, or the artifact the newest
    execution left for any other producer. CodeCommit sources and ECR outputs (imageDetail.json) are
    skipped before a run: the size of CodeCommit's archive is not knowable without one."""
    deploy = await f.deploy_action()

    async def size(artifact: str) -> tuple[str, int | None, str]:
        producer = await f.producer(artifact)
        if producer is None or producer.provider == "ECR":
            return artifact, None, ""
        if producer.category == "Source" and producer.provider == "S3":
            c = producer.configuration
            location: tuple[str, str] | None = (c.get("S3Bucket", ""), c.get("S3ObjectKey", ""))
        elif producer.category == "Source" and producer.provider == "CodeCommit":
            return artifact, None, ""
        else:
            location = await latest_location(f, artifact)
        if location is None:
            return artifact, None, ""
        head = await f.call("s3", "head_object", missing=("NoSuchKey", "NoSuchBucket", "404"),
                            Bucket=location[0], Key=location[1])
        return artifact, None if head is None else int(head.get("ContentLength") or 0), \
            f"s3://{location[0]}/{location[1]}"

    out = []
    for artifact, length, place in await asyncio.gather(*(size(a) for a in deploy.inputs)):
        if length is None or length <= MAX_ARTIFACT:
            continue
        out.append(artifact_too_large.finding(
            f"Input artifact {artifact} of {deploy.name} is {length / 2**20:.1f} MB ({place}): CodeDeployToECS "
            "reads at most 3 MB",
            "CodePipeline quotas: \"If you are using the CodeDeployToECS action to deploy applications, the "
            "maximum artifact size is always 3 MB.\" The action fails with \"Exception while trying to read the "
            f"task definition artifact file from: {artifact}\".",
            "Give the deploy action a small artifact: a build action that outputs only taskdef.json, appspec.yaml "
            "(and imageDetail.json), or a separate repository or S3 object holding just those files."))
    return out


@rule("imagedefinitions-instead-of-imagedetail", "error", "artifacts")
async def imagedefinitions_instead_of_imagedetail(f: Facts) -> list[Finding]:
    deploy = await f.deploy_action()
    out = []
    for slot in image_slots(deploy):
        if not slot.artifact:
            continue
        producer = await f.producer(slot.artifact)
        if producer is None or (producer.category == "Source" and producer.provider == "ECR"):
            continue  # an ECR source outputs imageDetail.json itself
        names = await artifact_names(f, slot.artifact, ("imageDetail.json", "imagedefinitions.json"))
        if names is None or "imageDetail.json" in names:
            continue
        holds = "holds imagedefinitions.json, not imageDetail.json" if names else "has no imageDetail.json"
        ecr = [a.outputs[0] for a in await f.sources() if a.provider == "ECR" and a.outputs]
        out.append(imagedefinitions_instead_of_imagedetail.finding(
            f"Image artifact {slot.artifact} (Image{slot.number}ArtifactName, output of {producer.name}) {holds}: "
            "the blue/green action cannot read the image",
            "\"Amazon ECS blue/green deployments require an imageDetail.json file as an input to the deploy "
            "action\"; imagedefinitions.json is for the standard ECS deploy action. The action fails: \"Exception "
            f"while trying to read the image artifact file from the artifact: {slot.artifact}.\"",
            "Produce imageDetail.json ({\"ImageURI\": \"<uri>\"}) in that artifact, or use an ECR source's output: "
            + _edit_pipeline(f, f"in action {deploy.name} set \"Image{slot.number}ArtifactName\": "
                                f"\"{ecr[0] if ecr else '<ECR source output>'}\"")))
    return out
