"""The commented starter config that `bluegreen init` writes.

Only the choices a first-time user should look at are set; everything else follows the
stack name. A test loads it, so it can never drift from the model.
"""

from __future__ import annotations

from bluegreen.model.config import API_VERSION, KIND

STARTER_TEMPLATE = f"""\
# bluegreen stack: everything needed for an ECS Fargate service deployed blue/green by
# CodePipeline and CodeDeploy. Check it with `bluegreen validate -f bluegreen.yaml`,
# see every file it implies with `bluegreen render -f bluegreen.yaml -o out/`.
apiVersion: {API_VERSION}
kind: {KIND}

# Lowercase letters, digits and hyphens, at most 24 characters. Every resource name
# (cluster, service, load balancer, target groups, roles, pipeline...) derives from it.
name: my-app
region: us-east-1

image:
  # The ECR repository the pipeline deploys from; a push of `tag` starts a deployment.
  repository: my-app
  tag: latest
  # Built by `bluegreen push` from this Dockerfile and context.
  dockerfile: Dockerfile
  context: {{context}}

task:
  # The port your container listens on (the EXPOSE line of the Dockerfile).
  containerPort: 80
  # Fargate sizes: cpu 256 takes memory 512, 1024 or 2048; cpu 512 takes 1024-4096; ...
  cpu: 256
  memory: 512
  # executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole  # else created
  # logStreamPrefix: web  # awslogs-stream-prefix, else the container name
  # environment:
  #   APP_MODE: production

network:
  # "default" or a VPC id. With no subnets listed, the VPC's public subnets are used,
  # one per availability zone (a load balancer needs at least two zones).
  vpc: default
  # subnets:
  #   - {{id: subnet-0556b778, az: us-east-1a}}
  #   - {{id: subnet-ed2f8486, az: us-east-1b}}
  assignPublicIp: true

loadBalancer:
  # Users reach the app on productionPort; the new (green) version is tried on testPort
  # before traffic moves.
  productionPort: 80
  testPort: 8080
  healthCheckPath: /

ecs:
  desiredCount: 1

codeDeploy:
  # How traffic moves to the new version: CodeDeployDefault.ECSAllAtOnce,
  # ...ECSLinear10PercentEvery1Minutes, ...ECSLinear10PercentEvery3Minutes,
  # ...ECSCanary10Percent5Minutes, ...ECSCanary10Percent15Minutes, or a custom one:
  #   deploymentConfig: {{type: linear, percent: 20, intervalMinutes: 2}}
  deploymentConfig: CodeDeployDefault.ECSAllAtOnce
  # CONTINUE_DEPLOYMENT moves traffic as soon as green is ready; STOP_DEPLOYMENT waits
  # up to readyWaitMinutes for you to press continue.
  readyAction: CONTINUE_DEPLOYMENT
  # Minutes the old (blue) tasks keep running after success, for a quick rollback.
  terminationWaitMinutes: 5

source:
  # Where taskdef.json and appspec.yaml live: codecommit (repository + branch) or
  # s3 (bucket + key of a zip).
  type: codecommit
  branch: main

pipeline:
  type: V2
  executionMode: QUEUED
  # Roles you made yourself are used as they are (else bluegreen creates them):
  # roleArn: arn:aws:iam::123456789012:role/my-pipeline-role
  # eventsRoleArn: arn:aws:iam::123456789012:role/my-events-role
  # (codeDeploy.serviceRoleArn likewise.) The rules that start the pipeline:
  # imageRuleName: my-app-image-push
  # sourceRuleName: my-app-source-change
"""


def starter(context: str = ".") -> str:
    """The starter config, building the image from `context` (relative to the config file)."""
    return STARTER_TEMPLATE.replace("{context}", context)


STARTER = starter()
