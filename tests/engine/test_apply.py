"""apply creates the whole stack, a second apply changes nothing, plan agrees, destroy
removes everything the stack tagged, and a second destroy is a no-op."""

from __future__ import annotations

import json

import pytest
from support.engine import counted, put_tiny_image, run_apply, run_destroy, run_plan, session_for, stack_config

from bluegreen.engine.leftovers import leftovers
from bluegreen.events import Event, NodeDone


@pytest.fixture(scope="module")
def applied(sandbox):  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("full")
    events: list[Event] = []
    result, ctx = run_apply(session, config, on_event=events.append)
    assert result.ok, [e for e in events if type(e).__name__ == "NodeFailed"]
    return session, config, ctx, events


def test_apply_creates_the_complete_stack(applied) -> None:  # type: ignore[no-untyped-def]
    session, _config, ctx, events = applied
    created = {e.node for e in events if isinstance(e, NodeDone) and e.outcome == "created"}
    assert {"iam.role.execution", "iam.role.codedeploy", "iam.role.pipeline", "iam.role.events",
            "elbv2.load_balancer", "elbv2.listener.production", "elbv2.listener.test", "ecs.service",
            "codedeploy.deployment_group", "codepipeline.pipeline", "events.rule.image-push",
            "events.rule.source-change", "source.files"} <= created

    service = session.client("ecs").describe_services(cluster="full", services=["full"])["services"][0]
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert service["loadBalancers"][0]["containerName"] == "sample-website"

    group = session.client("codedeploy").get_deployment_group(
        applicationName="full", deploymentGroupName="full")["deploymentGroupInfo"]
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert [tg["name"] for tg in pair["targetGroups"]] == ["full-blue", "full-green"]
    assert pair["prodTrafficRoute"]["listenerArns"] == [ctx.get("listener.production")]

    listeners = session.client("elbv2").describe_listeners(LoadBalancerArn=ctx.get("lb.arn"))["Listeners"]
    assert sorted(item["Port"] for item in listeners) == [80, 8080]

    pipeline = session.client("codepipeline").get_pipeline(name="full")["pipeline"]
    assert pipeline["stages"][1]["actions"][0]["actionTypeId"]["provider"] == "CodeDeployToECS"

    events_client = session.client("events")
    targets = events_client.list_targets_by_rule(Rule="full-image-push")["Targets"]
    assert targets[0]["Arn"].endswith(":full") and targets[0]["RoleArn"].endswith("role/full-events")

    taskdef = session.client("codecommit").get_file(repositoryName="full", filePath="taskdef.json")
    document = json.loads(taskdef["fileContent"])
    assert document["containerDefinitions"][0]["image"] == "<IMAGE1_NAME>"
    assert document["executionRoleArn"] == f"arn:aws:iam::{ctx.get('account_id')}:role/full-execution"


def test_second_apply_makes_zero_mutating_calls(applied) -> None:  # type: ignore[no-untyped-def]
    session, config, _, _ = applied
    fresh, counter = counted(session)
    result, _ = run_apply(fresh, config)
    assert result.ok
    assert counter.mutating == []


def test_plan_after_apply_is_all_in_sync(applied) -> None:  # type: ignore[no-untyped-def]
    session, config, _, _ = applied
    rows = run_plan(session, config)
    assert {row.action for row in rows} == {"in_sync"}, [r for r in rows if r.action != "in_sync"]


def test_plan_sees_a_config_change_as_an_update(applied) -> None:  # type: ignore[no-untyped-def]
    session, _config, _, _ = applied
    changed = stack_config("full", codeDeploy={"terminationWaitMinutes": 30}, ecs={"desiredCount": 2})
    rows = {row.node: row for row in run_plan(session, changed)}
    assert rows["codedeploy.deployment_group"].action == "update"
    assert rows["ecs.service"].action == "update"
    assert rows["elbv2.load_balancer"].action == "in_sync"


def test_destroy_removes_everything_tagged_and_again_is_a_no_op(sandbox) -> None:  # type: ignore[no-untyped-def]
    session = session_for(sandbox)
    put_tiny_image(session)
    config = stack_config("gone")
    result, _ = run_apply(session, config)
    assert result.ok
    assert leftovers(session, "gone")

    result = run_destroy(session, config)
    assert result.ok, result
    assert leftovers(session, "gone") == []
    assert session.client("ecr").describe_repositories(repositoryNames=["shared-app"])  # not ours: kept

    fresh, counter = counted(session)
    events: list[Event] = []
    again = run_destroy(fresh, config, on_event=events.append)
    assert again.ok
    assert counter.mutating == []
    assert {e.outcome for e in events if isinstance(e, NodeDone)} == {"absent"}
