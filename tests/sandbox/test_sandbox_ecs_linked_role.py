"""ECS creates its service-linked role itself when a cluster is created or a service created or
updated, as AWS documents (bluegreen/sandbox/services/ecs_linked_role.py)."""

from __future__ import annotations

from typing import Any

import pytest

ROLE = "AWSServiceRoleForECS"


def _exists(iam: Any) -> bool:
    try:
        iam.get_role(RoleName=ROLE)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def _delete(iam: Any) -> None:
    if _exists(iam):
        iam.delete_service_linked_role(RoleName=ROLE)
    assert not _exists(iam)


def test_create_cluster_creates_the_role_as_iam_would(sandbox: Any) -> None:
    iam, ecs = sandbox.client("iam"), sandbox.client("ecs")
    _delete(iam)
    ecs.create_cluster(clusterName="slr-a")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": ["ecs.amazonaws.com"]}
    # a second cluster finds it there and leaves it be (one role, same id)
    ecs.create_cluster(clusterName="slr-b")
    assert iam.get_role(RoleName=ROLE)["Role"]["RoleId"] == role["RoleId"]


@pytest.mark.parametrize("operation", ["create", "update"])
def test_a_service_created_or_updated_brings_the_role_back(sandbox: Any, operation: str) -> None:
    iam, ecs = sandbox.client("iam"), sandbox.client("ecs")
    ecs.create_cluster(clusterName="slr-svc")
    family = ecs.register_task_definition(family="slr", containerDefinitions=[
        {"name": "web", "image": "web:1", "memory": 64}])["taskDefinition"]["taskDefinitionArn"]
    if operation == "update":
        ecs.create_service(cluster="slr-svc", serviceName="upd", taskDefinition=family, desiredCount=0)
    _delete(iam)
    if operation == "create":
        ecs.create_service(cluster="slr-svc", serviceName="new", taskDefinition=family, desiredCount=0)
    else:
        ecs.update_service(cluster="slr-svc", service="upd", desiredCount=0)
    assert _exists(iam)


def test_a_failed_call_creates_nothing(sandbox: Any) -> None:
    iam, ecs = sandbox.client("iam"), sandbox.client("ecs")
    _delete(iam)
    with pytest.raises(ecs.exceptions.ClientError):
        ecs.update_service(cluster="no-such-cluster", service="none", desiredCount=0)
    assert not _exists(iam)


def test_iam_names_the_ecs_role_as_aws_does(sandbox: Any) -> None:
    iam = sandbox.client("iam")
    _delete(iam)
    made = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
    assert made["RoleName"] == ROLE
    assert _exists(iam)
