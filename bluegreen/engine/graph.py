"""The stack as a graph of resource nodes, following aws-reference.md section 1."""

from __future__ import annotations

from graphlib import TopologicalSorter

from bluegreen.engine.nodes.account import AccountNode, SubnetsNode, VpcNode
from bluegreen.engine.nodes.base import Node
from bluegreen.engine.nodes.codedeploy import ApplicationNode, DeploymentConfigNode, DeploymentGroupNode
from bluegreen.engine.nodes.delivery import CodeCommitSourceNode, ImageNode, S3SourceNode
from bluegreen.engine.nodes.ecs import ClusterNode, ServiceNode, TaskDefinitionNode
from bluegreen.engine.nodes.iam import EcsServiceLinkedRoleNode, ExistingExecutionRoleNode, RoleNode
from bluegreen.engine.nodes.network import (
    ExistingSecurityGroupsNode,
    IngressNode,
    ListenerNode,
    LoadBalancerActiveNode,
    LoadBalancerNode,
    SecurityGroupNode,
    TargetGroupNode,
)
from bluegreen.engine.nodes.pipeline import EventRuleNode, PipelineNode
from bluegreen.engine.nodes.storage import (
    BucketNode,
    CodeCommitRepositoryNode,
    EcrRepositoryNode,
    LogGroupNode,
)
from bluegreen.model.config import Config, CustomTrafficShift


def titles(config: Config) -> dict[str, str]:
    """What a person reads for each node, known before anything is looked up (plan rows
    that are blocked and skipped apply rows show these)."""
    lb, cd, src, task = config.load_balancer, config.code_deploy, config.source, config.task
    out = {
        "account": "AWS account", "network.vpc": f"VPC ({config.network.vpc})", "network.subnets": "Subnets",
        "s3.bucket.artifacts": f"S3 bucket {config.pipeline.artifact_bucket}",
        "s3.bucket.source": f"S3 bucket {src.bucket}",
        "ecr.repository": f"ECR repository {config.image.repository}",
        "ecr.image": f"Image {config.image.repository}:{config.image.tag}",
        "codecommit.repository": f"CodeCommit repository {src.repository}",
        "logs.log_group": f"Log group {task.log_group}", "ecs.cluster": f"ECS cluster {config.ecs.cluster}",
        "codedeploy.application": f"CodeDeploy application {cd.application}",
        "codedeploy.deployment_config": f"Deployment config {config.deployment_config_name}",
        "elbv2.target_group.blue": f"Target group {lb.blue_target_group}",
        "elbv2.target_group.green": f"Target group {lb.green_target_group}",
        "elbv2.load_balancer": f"Load balancer {lb.name}",
        "elbv2.load_balancer.active": f"Load balancer {lb.name} active",
        "elbv2.listener.production": f"Listener :{lb.production_port} (production)",
        "elbv2.listener.test": f"Listener :{lb.test_port} (test)",
        "ecs.task_definition": f"Task definition {task.family}", "ecs.service": f"ECS service {config.ecs.service}",
        "codedeploy.deployment_group": f"Deployment group {cd.deployment_group}",
        "codepipeline.pipeline": f"Pipeline {config.pipeline.name}",
        "source.files": "taskdef.json + appspec.yaml",
        "events.rule.image-push": f"EventBridge rule {config.name}-image-push",
        "events.rule.source-change": f"EventBridge rule {config.name}-source-change",
        "iam.role.execution": f"IAM role {task.execution_role_name}" if config.creates_execution_role
        else "IAM execution role",
        "iam.role.codedeploy": f"IAM role {cd.service_role_name}",
        "iam.role.pipeline": f"IAM role {config.pipeline.role_name}",
        "iam.role.events": f"IAM role {config.pipeline.events_role_name}",
    }
    for role in ("alb", "task"):
        out[f"ec2.security_group.{role}"] = f"Security group {config.name}-{role}"
        out[f"ec2.security_group.{role}.ingress"] = f"Ingress rules of {config.name}-{role}"
    return out


def build_nodes(config: Config) -> list[Node]:
    """Every node of the stack, in a valid creation order, each with its title."""
    network = config.network
    nodes: list[Node] = [
        AccountNode(), VpcNode(), SubnetsNode(),
        RoleNode("codedeploy"), RoleNode("pipeline"), RoleNode("events"), EcsServiceLinkedRoleNode(),
        RoleNode("execution") if config.creates_execution_role else ExistingExecutionRoleNode(),
        BucketNode("artifacts"), EcrRepositoryNode(), ClusterNode(), LogGroupNode(), ApplicationNode(),
        ImageNode(),
        TargetGroupNode("blue"), TargetGroupNode("green"),
        LoadBalancerNode(), LoadBalancerActiveNode(), ListenerNode("production"), ListenerNode("test"),
        TaskDefinitionNode(), ServiceNode(),
        DeploymentGroupNode(isinstance(config.code_deploy.deployment_config, CustomTrafficShift)),
        PipelineNode(), EventRuleNode("image-push"), EventRuleNode("source-change"),
    ]
    for role, ids in (("alb", network.alb_security_groups), ("task", network.task_security_groups)):
        if ids:
            nodes.append(ExistingSecurityGroupsNode(role, ids))
        else:
            nodes += [SecurityGroupNode(role), IngressNode(role)]
    if isinstance(config.code_deploy.deployment_config, CustomTrafficShift):
        nodes.append(DeploymentConfigNode())
    if config.source.type == "codecommit":
        nodes += [CodeCommitRepositoryNode(), CodeCommitSourceNode()]
    else:
        nodes += [BucketNode("source"), S3SourceNode()]
    named = titles(config)
    for node in nodes:
        if not node.title:
            node.title = named.get(node.id, node.id)
    return ordered(nodes)


def ordered(nodes: list[Node]) -> list[Node]:
    by_id = {node.id: node for node in nodes}
    sorter = TopologicalSorter({node.id: set(node.deps) for node in nodes})
    order = [by_id[i] for i in sorter.static_order() if i in by_id]
    unknown = {d for node in nodes for d in node.deps} - set(by_id)
    if unknown:
        raise ValueError(f"nodes depend on unknown nodes: {sorted(unknown)}")
    return order
