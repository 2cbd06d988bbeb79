"""The pipeline engine without AWS behind it: the deploy action following its deployment to the
end (the deployment engine is not there yet), and executions of pipelines whose actions are
stand-ins the test controls (run order, a failure in a group, stop and wait)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from bluegreen.sandbox.pipeline import PipelineEngine
from bluegreen.sandbox.pipeline.actions import ActionCancelled, ActionContext, ActionFailed, ActionOutcome
from bluegreen.sandbox.pipeline.actions.codedeploy_ecs import follow
from bluegreen.sandbox.pipeline.catalog import PipelineDefinition
from bluegreen.sandbox.pipeline.model import Trigger

T = TypeVar("T")


def wait_for(what: Callable[[], T], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("timed out")


# --- the deploy action follows its deployment --------------------------------------------------


def deployments(*answers: dict[str, Any] | Exception) -> Callable[[], dict[str, Any]]:
    """GetDeployment answering ``answers`` in turn."""
    queue = list(answers)

    def get() -> dict[str, Any]:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return get


def no_wait(seconds: float) -> None:
    pass


def test_a_succeeded_deployment_succeeds_the_action() -> None:
    outcome = follow(
        deployments({"status": "Created"}, {"status": "InProgress"}, {"status": "Succeeded"}),
        "d-1",
        "url",
        no_wait,
        lambda: 0.0,
    )
    assert (outcome.summary, outcome.external_id, outcome.external_url) == ("Deployment Succeeded", "d-1", "url")


def test_a_failed_deployment_fails_the_action_with_codedeploys_message() -> None:
    failed = {
        "status": "Failed",
        "errorInformation": {"code": "ECS_UPDATE_ERROR", "message": "The ECS service cannot be updated."},
    }
    with pytest.raises(ActionFailed) as info:
        follow(deployments({"status": "InProgress"}, failed), "d-2", "url", no_wait, lambda: 0.0)
    assert (info.value.code, info.value.message) == ("JobFailed", "The ECS service cannot be updated.")
    assert (info.value.external_id, info.value.summary) == ("d-2", "Deployment Failed")


def test_a_stopped_deployment_fails_the_action() -> None:
    with pytest.raises(ActionFailed) as info:
        follow(deployments({"status": "Stopped"}), "d-3", "url", no_wait, lambda: 0.0)
    assert info.value.message == "Deployment d-3 stopped."


def test_throttling_while_following_is_not_a_failure() -> None:
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetDeployment")
    outcome = follow(deployments(throttled, {"status": "Succeeded"}), "d-4", "url", no_wait, lambda: 0.0)
    assert outcome.summary == "Deployment Succeeded"


def test_following_waits_the_poll_interval_and_stops_when_abandoned() -> None:
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise ActionCancelled

    with pytest.raises(ActionCancelled):
        follow(lambda: {"status": "InProgress"}, "d-5", "url", wait, lambda: 0.25)
    assert waits == [0.25, 0.25, 0.25]


# --- executions of stand-in actions ------------------------------------------------------------


class Catalog:
    def __init__(self, stages: list[dict[str, Any]]) -> None:
        self.declaration = {"name": "p", "roleArn": "arn:aws:iam::123456789012:role/p", "stages": stages,
                            "artifactStore": {"type": "S3", "location": "bucket"}, "executionMode": "SUPERSEDED"}

    def get(self, region: str, name: str) -> PipelineDefinition | None:
        return PipelineDefinition(name, region, f"arn:aws:codepipeline:{region}:123456789012:{name}",
                                  dict(self.declaration), 1, 0.0, 0.0)


def stage(name: str, *actions: tuple[str, int]) -> dict[str, Any]:
    return {"name": name, "actions": [
        {"name": a, "runOrder": order, "actionTypeId": {"category": "Test", "owner": "Custom", "provider": a, "version": "1"}}
        for a, order in actions]}


class StandIns:
    """Actions that record their start and finish when the test says so."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release: dict[str, threading.Event] = {}
        self.fail: set[str] = set()
        self._lock = threading.Lock()

    def provider(self, name: str) -> Callable[[ActionContext], ActionOutcome]:
        gate = self.release.setdefault(name, threading.Event())

        def run(ctx: ActionContext) -> ActionOutcome:
            with self._lock:
                self.started.append(name)
            while not gate.wait(0.01):
                if ctx.cancelled.is_set():
                    raise ActionCancelled
            if name in self.fail:
                raise ActionFailed("JobFailed", f"{name} failed")
            return ActionOutcome(summary=f"{name} done")

        return run


@pytest.fixture
def run_pipeline() -> Iterator[Callable[[list[dict[str, Any]], StandIns], tuple[PipelineEngine, str]]]:
    engines: list[PipelineEngine] = []

    def start(stages: list[dict[str, Any]], stand_ins: StandIns) -> tuple[PipelineEngine, str]:
        engine = PipelineEngine("123456789012", "http://127.0.0.1:9", catalog=Catalog(stages))
        engines.append(engine)
        names = [a["name"] for s in stages for a in s["actions"]]
        engine.providers = {("Test", "Custom", n): stand_ins.provider(n) for n in names}
        return engine, engine.start("us-east-1", "p", Trigger("StartPipelineExecution", "me"))

    yield start
    for engine in engines:
        engine.stop()


def statuses(engine: PipelineEngine, execution_id: str) -> dict[str, str]:
    with engine.reading():
        record = engine.record("us-east-1", "p")
        assert record is not None
        execution = record.find(execution_id)
        assert execution is not None
        out = {run.name: run.status for run in execution.history}
        out["execution"] = execution.status
        return out


def test_actions_run_by_run_order(run_pipeline) -> None:
    actions = StandIns()
    engine, execution_id = run_pipeline([stage("One", ("a", 1), ("b", 1), ("c", 2)), stage("Two", ("d", 1))], actions)
    wait_for(lambda: sorted(actions.started) == ["a", "b"])
    actions.release["a"].set()
    wait_for(lambda: statuses(engine, execution_id)["a"] == "Succeeded")
    assert "c" not in actions.started  # c waits for all of runOrder 1
    actions.release["b"].set()
    wait_for(lambda: "c" in actions.started)
    actions.release["c"].set()
    actions.release["d"].set()
    wait_for(lambda: statuses(engine, execution_id)["execution"] == "Succeeded")
    assert actions.started[2:] == ["c", "d"]


def test_a_failure_in_a_group_lets_the_group_finish_and_fails_the_stage(run_pipeline) -> None:
    actions = StandIns()
    actions.fail.add("a")
    engine, execution_id = run_pipeline([stage("One", ("a", 1), ("b", 1), ("c", 2)), stage("Two", ("d", 1))], actions)
    wait_for(lambda: len(actions.started) == 2)
    actions.release["a"].set()
    wait_for(lambda: statuses(engine, execution_id)["a"] == "Failed")
    assert statuses(engine, execution_id)["execution"] == "InProgress"  # b is still running
    actions.release["b"].set()
    wait_for(lambda: statuses(engine, execution_id)["execution"] == "Failed")
    assert "c" not in actions.started and "d" not in actions.started


def test_stop_and_wait_lets_the_action_finish_then_stops(run_pipeline) -> None:
    actions = StandIns()
    engine, execution_id = run_pipeline([stage("One", ("a", 1)), stage("Two", ("b", 1))], actions)
    wait_for(lambda: actions.started == ["a"])
    engine.stop_execution("us-east-1", "p", execution_id, abandon=False, reason=None)
    assert statuses(engine, execution_id)["execution"] == "Stopping"
    actions.release["a"].set()  # the deployment (say) ends well
    wait_for(lambda: statuses(engine, execution_id)["execution"] == "Stopped")
    assert statuses(engine, execution_id)["a"] == "Succeeded"
    assert actions.started == ["a"]  # the next stage did not start
