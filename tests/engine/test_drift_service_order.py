"""Nothing is created before what it needs on AWS (issue 9, item 7; docs/aws-facts.md
section 1): the orderings below hold in `graph.build_nodes`, for the seed-like config and for
one that brings its own security groups."""

from __future__ import annotations

from typing import Any

import pytest
from support.engine import stack_config

from bluegreen.engine.graph import build_nodes
from bluegreen.engine.nodes.base import Node

# (what, the nodes it needs), each edge an AWS rule of docs/aws-facts.md section 1
ALWAYS = [
    ("ecs.service", ["elbv2.target_group.blue", "elbv2.listener.production", "elbv2.listener.test",
                     "ec2.security_group.task", "ecs.task_definition", "ecs.cluster", "network.subnets",
                     "iam.ecs_service_linked_role"]),
    ("codedeploy.deployment_group", ["codedeploy.application", "iam.role.codedeploy", "ecs.service",
                                     "elbv2.target_group.blue", "elbv2.target_group.green",
                                     "elbv2.listener.production", "elbv2.listener.test"]),
    ("codepipeline.pipeline", ["source.files", "ecr.image", "codedeploy.deployment_group", "iam.role.pipeline",
                               "s3.bucket.artifacts"]),
    ("events.rule.image-push", ["codepipeline.pipeline", "iam.role.events"]),
    ("events.rule.source-change", ["codepipeline.pipeline", "iam.role.events"]),
    ("elbv2.listener.production", ["elbv2.load_balancer", "elbv2.target_group.blue"]),
    ("elbv2.listener.test", ["elbv2.load_balancer", "elbv2.target_group.blue"]),
    ("elbv2.load_balancer", ["network.subnets", "ec2.security_group.alb"]),
    ("ecs.task_definition", ["iam.role.execution", "logs.log_group", "ecr.image"]),
    ("source.files", ["iam.role.execution"]),
]
CREATED_GROUPS = [
    # the tasks start with the service: the load balancer must already be let in
    ("ecs.service", ["ec2.security_group.task.ingress"]),
    ("ec2.security_group.task.ingress", ["ec2.security_group.task", "ec2.security_group.alb"]),
]

SEED: dict[str, Any] = {}
OWN_GROUPS: dict[str, Any] = {"network": {"albSecurityGroups": ["sg-0aaa1111bbbb2222c"],
                                          "taskSecurityGroups": ["sg-0ddd3333eeee4444f"]}}
S3_SOURCE: dict[str, Any] = {"source": {"type": "s3"}}


def before(nodes: list[Node]) -> dict[str, set[str]]:
    """Every node's transitive dependencies, checking the list is in dependency order."""
    seen: dict[str, set[str]] = {}
    for node in nodes:
        needs: set[str] = set()
        for dep in node.deps:
            assert dep in seen, f"{node.id} comes before {dep}, which it needs"
            needs |= {dep} | seen[dep]
        seen[node.id] = needs
    return seen


@pytest.mark.parametrize(("sections", "rules"), [
    (SEED, ALWAYS + CREATED_GROUPS),
    (S3_SOURCE, ALWAYS + CREATED_GROUPS),
    (OWN_GROUPS, ALWAYS),
], ids=["seed", "s3 source", "own security groups"])
def test_each_node_comes_after_what_it_needs(sections: dict[str, Any], rules: list[Any]) -> None:
    nodes = build_nodes(stack_config("order", **sections))
    needs = before(nodes)
    for node_id, required in rules:
        missing = [r for r in required if r not in needs[node_id]]
        assert not missing, f"{node_id} does not wait for {missing}"


def test_service_waits_for_the_task_ingress_rule_directly() -> None:
    """A direct edge, not one that happens to hold through another node."""
    service = next(n for n in build_nodes(stack_config("order")) if n.id == "ecs.service")
    assert "ec2.security_group.task.ingress" in service.deps


def test_own_security_groups_have_no_ingress_node_to_wait_for() -> None:
    nodes = build_nodes(stack_config("order", **OWN_GROUPS))
    ids = {n.id for n in nodes}
    assert not {"ec2.security_group.task.ingress", "ec2.security_group.alb.ingress"} & ids
    service = next(n for n in nodes if n.id == "ecs.service")
    assert "ec2.security_group.task" in service.deps


def test_the_source_bucket_comes_before_its_files() -> None:
    needs = before(build_nodes(stack_config("order", **S3_SOURCE)))
    assert "s3.bucket.source" in needs["source.files"]
    assert "source.files" in needs["events.rule.source-change"]
