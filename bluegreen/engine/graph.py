"""The stack as a graph of resource nodes, following docs/aws-facts.md section 1."""

from __future__ import annotations

from graphlib import TopologicalSorter

from bluegreen.engine.nodes.account import AccountNode, SubnetsNode, VpcNode
from bluegreen.engine.nodes.base import Node
from bluegreen.engine.nodes.codedeploy import ApplicationNode, DeploymentConfigNode, DeploymentGroupNode
from bluegreen.engine.nodes.delivery import CodeCommitSourceNode, ImageNode, S3SourceNode
from bluegreen.engine.nodes.ecs import ClusterNode, ServiceNode, TaskDefinitionNode
from bluegreen.engine.nodes.iam import EcsServiceLinkedRoleNode, ExistingRoleNode, RoleNode, brought_role_arn
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


def build_nodes(config: Config) -> list[Node]:
    """Every node of the stack, in a valid creation order."""
    network = config.network
    nodes: list[Node] = [
        AccountNode(), VpcNode(), SubnetsNode(),
        *(ExistingRoleNode(key) if brought_role_arn(config, key) else RoleNode(key)
          for key in ("codedeploy", "pipeline", "events", "execution")),
        EcsServiceLinkedRoleNode(),
        BucketNode("artifacts"), EcrRepositoryNode(), ClusterNode(), LogGroupNode(), ApplicationNode(),
        ImageNode(),
        TargetGroupNode("blue"), TargetGroupNode("green"),
        LoadBalancerNode(), LoadBalancerActiveNode(), ListenerNode("production"), ListenerNode("test"),
        TaskDefinitionNode(), ServiceNode(creates_task_ingress=not network.task_security_groups),
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
    return ordered(nodes)


def ordered(nodes: list[Node]) -> list[Node]:
    by_id = {node.id: node for node in nodes}
    sorter = TopologicalSorter({node.id: set(node.deps) for node in nodes})
    order = [by_id[i] for i in sorter.static_order() if i in by_id]
    unknown = {d for node in nodes for d in node.deps} - set(by_id)
    if unknown:
        raise ValueError(f"nodes depend on unknown nodes: {sorted(unknown)}")
    return order
