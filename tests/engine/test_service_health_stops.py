"""Which stopped tasks mean "the tasks cannot start": only those that stopped on their own
(TaskFailedToStart, EssentialContainerExited). Tasks the scheduler stopped while the service
was scaled down (a destroy stopped before deleting the service, then an apply) do not: CI once
saw that apply fail with "the service's tasks stop as they start: Scaling activity initiated by
(deployment ...)". The failing case itself: tests/engine/test_service_health.py (Docker)."""

from __future__ import annotations

from support.engine import put_tiny_image, run_apply, session_for, stack_config
from support.waiting import until

from bluegreen.engine.nodes.service_health import _stopped_reasons
from bluegreen.sandbox.server import SandboxHandle


def test_tasks_stopped_by_scaling_down_are_not_failures(sandbox: SandboxHandle) -> None:
    session = session_for(sandbox)
    put_tiny_image(session)
    result, _ = run_apply(session, stack_config("scaled"))
    assert result.ok, result
    ecs = session.client("ecs")

    def stopped() -> list[dict[str, object]]:
        arns = ecs.list_tasks(cluster="scaled", serviceName="scaled", desiredStatus="STOPPED")["taskArns"]
        return ecs.describe_tasks(cluster="scaled", tasks=arns)["tasks"] if arns else []

    for count in (1, 2):  # two scale-downs: two tasks stopped by the scheduler
        ecs.update_service(cluster="scaled", service="scaled", desiredCount=1)
        until(lambda: ecs.describe_services(cluster="scaled", services=["scaled"])["services"][0]["runningCount"],
              "a task running")
        ecs.update_service(cluster="scaled", service="scaled", desiredCount=0)
        until(lambda count=count: len(stopped()) >= count, f"{count} task(s) stopped")  # type: ignore[misc]

    assert {t["stopCode"] for t in stopped()} == {"ServiceSchedulerInitiated"}
    assert _stopped_reasons(ecs, "scaled", "scaled") == []
