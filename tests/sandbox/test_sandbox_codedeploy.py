"""CodeDeploy applications, groups, configurations and tags: moto's create paths plus what the
sandbox adds (delete, update, configurations, tag errors), with boto3 against the running sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from bluegreen.sandbox.services.codedeploy import BUILTIN_CONFIGS, CodeDeploy

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/cd"
SIGV4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/codedeploy/aws4_request, SignedHeaders=host, Signature=0"


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def app_arn(app: str) -> str:
    return f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:{app}"


def group_arn(app: str, group: str) -> str:
    return f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:{app}/{group}"


@pytest.fixture(scope="module")
def cd(sandbox) -> Any:
    return sandbox.client("codedeploy", config=Config(retries={"max_attempts": 1}))


def _group(cd: Any, app: str, name: str, **extra: Any) -> str:
    return str(
        cd.create_deployment_group(
            applicationName=app,
            deploymentGroupName=name,
            serviceRoleArn=ROLE,
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            ecsServices=[{"serviceName": name, "clusterName": "c"}],
            **extra,
        )["deploymentGroupId"]
    )


def test_delete_deployment_group(cd) -> None:
    cd.create_application(applicationName="del-dg", computePlatform="ECS")
    _group(cd, "del-dg", "one", tags=[{"Key": "bluegreen:stack", "Value": "s"}])
    _group(cd, "del-dg", "two")
    assert cd.delete_deployment_group(applicationName="del-dg", deploymentGroupName="one")[
        "hooksNotCleanedUp"
    ] == []
    with pytest.raises(cd.exceptions.DeploymentGroupDoesNotExistException):
        cd.get_deployment_group(applicationName="del-dg", deploymentGroupName="one")
    assert cd.list_deployment_groups(applicationName="del-dg")["deploymentGroups"] == ["two"]
    # deleting again (or a group that never was) succeeds, as on AWS
    cd.delete_deployment_group(applicationName="del-dg", deploymentGroupName="one")
    # a new group of the same name starts without the old one's tags
    _group(cd, "del-dg", "one")
    assert cd.list_tags_for_resource(ResourceArn=group_arn("del-dg", "one"))["Tags"] == []


def test_delete_application_deletes_its_groups_and_tags(cd) -> None:
    cd.create_application(
        applicationName="del-app", computePlatform="ECS", tags=[{"Key": "bluegreen:stack", "Value": "s"}]
    )
    _group(cd, "del-app", "g", tags=[{"Key": "bluegreen:stack", "Value": "s"}])
    assert cd.delete_application(applicationName="del-app")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "del-app" not in cd.list_applications()["applications"]
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException):
        cd.get_application(applicationName="del-app")
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException):
        cd.get_deployment_group(applicationName="del-app", deploymentGroupName="g")
    cd.delete_application(applicationName="del-app")  # idempotent
    cd.create_application(applicationName="del-app", computePlatform="ECS")
    assert cd.list_deployment_groups(applicationName="del-app")["deploymentGroups"] == []
    assert cd.list_tags_for_resource(ResourceArn=app_arn("del-app"))["Tags"] == []


def test_tags_for_applications_and_groups(cd) -> None:
    cd.create_application(applicationName="tags", computePlatform="ECS", tags=[{"Key": "a", "Value": "1"}])
    _group(cd, "tags", "g", tags=[{"Key": "x", "Value": "y"}])
    assert cd.list_tags_for_resource(ResourceArn=app_arn("tags"))["Tags"] == [{"Key": "a", "Value": "1"}]
    cd.tag_resource(ResourceArn=app_arn("tags"), Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert sorted((t["Key"], t["Value"]) for t in cd.list_tags_for_resource(ResourceArn=app_arn("tags"))["Tags"]) == [
        ("a", "2"),
        ("b", "3"),
    ]
    cd.untag_resource(ResourceArn=app_arn("tags"), TagKeys=["a"])
    assert cd.list_tags_for_resource(ResourceArn=app_arn("tags"))["Tags"] == [{"Key": "b", "Value": "3"}]
    cd.tag_resource(ResourceArn=group_arn("tags", "g"), Tags=[{"Key": "z", "Value": "w"}])
    assert {t["Key"] for t in cd.list_tags_for_resource(ResourceArn=group_arn("tags", "g"))["Tags"]} == {"x", "z"}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda cd: cd.tag_resource(ResourceArn=app_arn("nope"), Tags=[{"Key": "k", "Value": "v"}]),
         "ApplicationDoesNotExistException"),
        (lambda cd: cd.untag_resource(ResourceArn=app_arn("nope"), TagKeys=["k"]), "ApplicationDoesNotExistException"),
        (lambda cd: cd.tag_resource(ResourceArn=group_arn("tags", "nope"), Tags=[{"Key": "k", "Value": "v"}]),
         "DeploymentGroupDoesNotExistException"),
        (lambda cd: cd.list_tags_for_resource(ResourceArn=group_arn("tags", "nope")),
         "DeploymentGroupDoesNotExistException"),
        (lambda cd: cd.list_tags_for_resource(ResourceArn="not-an-arn"), "InvalidArnException"),
        (lambda cd: cd.list_tags_for_resource(ResourceArn="arn:aws:ecs:us-east-1:123456789012:cluster/c"),
         "ArnNotSupportedException"),
        (lambda cd: cd.tag_resource(ResourceArn=app_arn("tags"), Tags=[]), "TagRequiredException"),
        (lambda cd: cd.tag_resource(ResourceArn=app_arn("tags"), Tags=[{"Key": "aws:x", "Value": "v"}]),
         "InvalidTagsToAddException"),
    ],
)
def test_tag_errors(cd, call, code: str) -> None:
    if "tags" not in cd.list_applications()["applications"]:
        cd.create_application(applicationName="tags", computePlatform="ECS")
    with pytest.raises(ClientError) as info:
        call(cd)
    assert _code(info) == code


def test_update_deployment_group_fields_and_rename(cd) -> None:
    cd.create_application(applicationName="upd", computePlatform="ECS")
    _group(cd, "upd", "g", tags=[{"Key": "k", "Value": "v"}])
    info = cd.get_deployment_group(applicationName="upd", deploymentGroupName="g")["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"  # AWS's ECS default
    cd.update_deployment_group(
        applicationName="upd",
        currentDeploymentGroupName="g",
        deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes",
        serviceRoleArn=ROLE + "2",
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
        },
    )
    info = cd.get_deployment_group(applicationName="upd", deploymentGroupName="g")["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert info["serviceRoleArn"] == ROLE + "2"
    assert info["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert info["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"][
        "terminationWaitTimeInMinutes"
    ] == 5
    assert info["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"  # untouched fields stay
    group_id = info["deploymentGroupId"]

    cd.update_deployment_group(applicationName="upd", currentDeploymentGroupName="g", newDeploymentGroupName="h")
    assert cd.list_deployment_groups(applicationName="upd")["deploymentGroups"] == ["h"]
    renamed = cd.get_deployment_group(applicationName="upd", deploymentGroupName="h")["deploymentGroupInfo"]
    assert renamed["deploymentGroupId"] == group_id
    assert cd.list_tags_for_resource(ResourceArn=group_arn("upd", "h"))["Tags"] == [{"Key": "k", "Value": "v"}]

    _group(cd, "upd", "other")
    for kwargs, code in [
        ({"currentDeploymentGroupName": "missing"}, "DeploymentGroupDoesNotExistException"),
        ({"currentDeploymentGroupName": "h", "newDeploymentGroupName": "other"},
         "DeploymentGroupAlreadyExistsException"),
        ({"currentDeploymentGroupName": "h", "deploymentConfigName": "no-such-config"},
         "DeploymentConfigDoesNotExistException"),
    ]:
        with pytest.raises(ClientError) as err:
            cd.update_deployment_group(applicationName="upd", **kwargs)
        assert _code(err) == code
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException):
        cd.update_deployment_group(applicationName="nope", currentDeploymentGroupName="h")


def test_batch_get_deployment_groups(cd) -> None:
    cd.create_application(applicationName="batch", computePlatform="ECS")
    _group(cd, "batch", "a")
    out = cd.batch_get_deployment_groups(applicationName="batch", deploymentGroupNames=["a", "zz"])
    assert [g["deploymentGroupName"] for g in out["deploymentGroupsInfo"]] == ["a"]
    assert "zz" in out["errorMessage"]


def test_builtin_deployment_configs(cd) -> None:
    names = cd.list_deployment_configs()["deploymentConfigsList"]
    assert set(BUILTIN_CONFIGS) <= set(names)
    info = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery3Minutes")[
        "deploymentConfigInfo"
    ]
    assert info["computePlatform"] == "ECS"
    assert info["trafficRoutingConfig"] == {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3},
    }
    assert "minimumHealthyHosts" not in info
    assert cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")["deploymentConfigInfo"][
        "trafficRoutingConfig"
    ] == {"type": "AllAtOnce"}
    server = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.HalfAtATime")["deploymentConfigInfo"]
    assert server["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 50}
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException):
        cd.get_deployment_config(deploymentConfigName="nope")
    with pytest.raises(cd.exceptions.InvalidOperationException):
        cd.delete_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    with pytest.raises(cd.exceptions.DeploymentConfigAlreadyExistsException):
        cd.create_deployment_config(
            deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
            computePlatform="ECS",
            trafficRoutingConfig={"type": "AllAtOnce"},
        )


def test_custom_ecs_deployment_configs_lifecycle(cd) -> None:
    linear = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}
    canary = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 4}}
    lid = cd.create_deployment_config(deploymentConfigName="lin25", computePlatform="ECS", trafficRoutingConfig=linear)[
        "deploymentConfigId"
    ]
    cd.create_deployment_config(deploymentConfigName="can20", computePlatform="ECS", trafficRoutingConfig=canary)
    info = cd.get_deployment_config(deploymentConfigName="lin25")["deploymentConfigInfo"]
    assert info["deploymentConfigId"] == lid
    assert info["deploymentConfigName"] == "lin25" and info["computePlatform"] == "ECS"
    assert info["trafficRoutingConfig"] == linear
    assert cd.get_deployment_config(deploymentConfigName="can20")["deploymentConfigInfo"]["trafficRoutingConfig"] == canary
    assert {"lin25", "can20"} <= set(cd.list_deployment_configs()["deploymentConfigsList"])
    with pytest.raises(cd.exceptions.DeploymentConfigAlreadyExistsException):
        cd.create_deployment_config(deploymentConfigName="lin25", computePlatform="ECS", trafficRoutingConfig=linear)

    # a group may use it (and a missing one is refused), and while it does, it cannot be deleted
    cd.create_application(applicationName="cfg", computePlatform="ECS")
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException):
        _group(cd, "cfg", "bad", deploymentConfigName="no-such-config")
    _group(cd, "cfg", "g", deploymentConfigName="lin25")
    assert cd.get_deployment_group(applicationName="cfg", deploymentGroupName="g")["deploymentGroupInfo"][
        "deploymentConfigName"
    ] == "lin25"
    with pytest.raises(cd.exceptions.DeploymentConfigInUseException):
        cd.delete_deployment_config(deploymentConfigName="lin25")
    cd.update_deployment_group(
        applicationName="cfg", currentDeploymentGroupName="g", deploymentConfigName="can20"
    )
    cd.delete_deployment_config(deploymentConfigName="lin25")
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException):
        cd.get_deployment_config(deploymentConfigName="lin25")
    cd.delete_deployment_config(deploymentConfigName="lin25")  # already gone: success
    assert "lin25" not in cd.list_deployment_configs()["deploymentConfigsList"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"computePlatform": "ECS", "trafficRoutingConfig": {"type": "TimeBasedLinear"}},
         "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "ECS", "trafficRoutingConfig": {
            "type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 0, "canaryInterval": 5}}},
         "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "ECS", "trafficRoutingConfig": {
            "type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 0}}},
         "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "ECS", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
          "trafficRoutingConfig": {"type": "AllAtOnce"}}, "InvalidMinimumHealthyHostValueException"),
        ({"computePlatform": "Server"}, "InvalidMinimumHealthyHostValueException"),
        ({"computePlatform": "Server", "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 100}},
         "InvalidMinimumHealthyHostValueException"),
    ],
)
def test_invalid_deployment_configs(cd, kwargs: dict[str, Any], code: str) -> None:
    kwargs = {"deploymentConfigName": "invalid", **kwargs}
    with pytest.raises(ClientError) as info:
        cd.create_deployment_config(**kwargs)
    assert _code(info) == code


def test_server_deployment_config(cd) -> None:
    cd.create_deployment_config(
        deploymentConfigName="server-75", minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 75}
    )
    info = cd.get_deployment_config(deploymentConfigName="server-75")["deploymentConfigInfo"]
    assert info["computePlatform"] == "Server"
    assert info["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 75}


@pytest.mark.parametrize("operation", CodeDeploy(ACCOUNT, REGION).operations)
def test_garbage_to_owned_operations_gets_aws_shaped_errors(sandbox, operation: str) -> None:
    for body in (b"", b"not json", b"[1]", b'{"applicationName": 5}', b'{"ResourceArn": []}'):
        r = requests.post(
            sandbox.endpoint_url,
            data=body,
            headers={
                "X-Amz-Target": f"CodeDeploy_20141006.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": SIGV4,
            },
            timeout=10,
        )
        assert r.status_code < 500, (operation, body, r.status_code, r.text)
        assert "json" in r.headers["Content-Type"], (operation, body, r.headers)
        doc = json.loads(r.text)
        if r.status_code >= 400:
            assert doc["__type"].endswith("Exception"), (operation, body, doc)


def test_group_is_described_as_aws_describes_it(cd) -> None:
    """moto answers alarmConfiguration {} and nulls where AWS keeps the alarms and fills its
    defaults (docs/fidelity/drift.md): the sandbox answers what AWS does."""
    cd.create_application(applicationName="shape", computePlatform="ECS")
    ready = {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
    blue_green = {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
        "deploymentReadyOption": ready,
    }
    _group(cd, "shape", "plain", blueGreenDeploymentConfiguration=blue_green)
    _group(cd, "shape", "alarmed", alarmConfiguration={"enabled": True, "alarms": [{"name": "5xx"}]})
    plain = cd.get_deployment_group(applicationName="shape", deploymentGroupName="plain")["deploymentGroupInfo"]
    assert plain["alarmConfiguration"] == {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
    assert plain["outdatedInstancesStrategy"] == "UPDATE"
    assert plain["terminationHookEnabled"] is False
    assert plain["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {
        "actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}
    assert not {"targetRevision", "lastSuccessfulDeployment", "lastAttemptedDeployment"} & set(plain)
    alarmed = cd.get_deployment_group(applicationName="shape", deploymentGroupName="alarmed")["deploymentGroupInfo"]
    assert alarmed["alarmConfiguration"] == {"enabled": True, "ignorePollAlarmFailure": False,
                                             "alarms": [{"name": "5xx"}]}
    batch = cd.batch_get_deployment_groups(applicationName="shape", deploymentGroupNames=["alarmed"])
    assert batch["deploymentGroupsInfo"][0]["alarmConfiguration"] == alarmed["alarmConfiguration"]
    # an update that turns the alarms off is what the next describe says
    cd.update_deployment_group(applicationName="shape", currentDeploymentGroupName="alarmed",
                               alarmConfiguration={"enabled": False, "alarms": []})
    again = cd.get_deployment_group(applicationName="shape", deploymentGroupName="alarmed")["deploymentGroupInfo"]
    assert again["alarmConfiguration"] == {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
    with pytest.raises(cd.exceptions.DeploymentGroupDoesNotExistException):
        cd.get_deployment_group(applicationName="shape", deploymentGroupName="nope")
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException):
        cd.get_deployment_group(applicationName="no-such-app", deploymentGroupName="plain")
