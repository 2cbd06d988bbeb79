"""Small Snapshot values for the watch core's rule tests: a target, and builders that take only
what a test varies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bluegreen.watch.snapshot import (
    Deployment,
    Execution,
    Health,
    LifecycleEvent,
    ListenerWeights,
    Snapshot,
    StageState,
    TaskSetState,
    Wait,
    WaitKind,
    WatchTarget,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TARGET = WatchTarget(stack="shop", region="us-east-1", pipeline="shop", application="shop", deployment_group="shop",
                     cluster="shop", service="shop", load_balancer="shop-alb", blue_target_group="shop-blue",
                     green_target_group="shop-green", production_port=80, test_port=8080, log_group="/ecs/shop",
                     container="shop", watched_image="shop:latest")
EVENTS = ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
          "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def execution(id: str = "e-1", status: str = "InProgress", started: float = 0, updated: float = 5,
              **changes: Any) -> Execution:
    made = Execution(id=id, status=status, trigger="CloudWatchEvent", trigger_detail="rule", revisions=(),
                     started=at(started), updated=at(updated), duration_s=updated - started)
    return replace(made, **changes)


def lifecycle(done: int, running: bool = True, failed: bool = False) -> tuple[LifecycleEvent, ...]:
    """The eight ECS events: `done` succeeded, the next in progress (or failed), the rest pending."""
    events = []
    for index, name in enumerate(EVENTS):
        if index < done:
            events.append(LifecycleEvent(name, "Succeeded", at(index), at(index + 1)))
        elif index == done and failed:
            events.append(LifecycleEvent(name, "Failed", at(index), at(index + 1), "TIMEOUT: took too long"))
        elif index == done and running:
            events.append(LifecycleEvent(name, "InProgress", at(index), None))
        else:
            events.append(LifecycleEvent(name, "Pending", None, None))
    return tuple(events)


def task_sets(green_weight: float) -> tuple[TaskSetState, ...]:
    return (TaskSetState("ecs-svc/1", "Blue", "PRIMARY", 1, 0, 1, 100 - green_weight, target_group="shop-blue"),
            TaskSetState("ecs-svc/2", "Green", "ACTIVE", 1, 0, 1, green_weight, target_group="shop-green"))


def deployment(status: str = "InProgress", done: int = 6, green: float = 0.0, wait: Wait | None = None,
               running: bool = True, **changes: Any) -> Deployment:
    made = Deployment(id="d-AAAAAAAAA", status=status, creator="user", created=at(0), completed=None, error="",
                      lifecycle=lifecycle(done, running), task_sets=task_sets(green), wait=wait)
    return replace(made, **changes)


def ready_wait(on_timeout: str = "STOP_DEPLOYMENT", left: float = 600) -> Wait:
    return Wait(WaitKind.READY, at(left), left, on_timeout, at(0))


def termination_wait(left: float = 300) -> Wait:
    return Wait(WaitKind.TERMINATION, at(left), left, "TERMINATE", at(0))


def production(green: int) -> ListenerWeights:
    return ListenerWeights("production", 80, (("shop-blue", 100 - green), ("shop-green", green)))


def snapshot(health: Health = Health.DEPLOYING, executions: tuple[Execution, ...] | None = None,
             stages: tuple[StageState, ...] = (), deployment: Deployment | None = None, green: int = 0,
             **changes: Any) -> Snapshot:
    runs = executions if executions is not None else (execution(),)
    made = Snapshot(target=TARGET, taken_at=at(0), health=health, executions=runs,
                    selected=runs[0].id if runs else None, stages=stages, deployment=deployment,
                    listeners=(production(green),), targets=(), service=None)
    return replace(made, **changes)
