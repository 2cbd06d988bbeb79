"""The reducer both progress trees draw from: event sequences in, rows out."""

from __future__ import annotations

from collections.abc import Iterable

from bluegreen.engine.progress import DONE, IMAGE_ROW, Row, Rows, changed, expect, reduce, restart, summary
from bluegreen.events import (
    BuildDone,
    BuildLog,
    BuildStep,
    DiscoveryResult,
    Event,
    NodeDone,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
    PushDone,
    PushProgress,
    RunFinished,
)

PLAN = [("iam.role.pipeline", "IAM role demo-pipeline", "create"),
        ("ecr.image", "Image demo:latest", "in_sync"),
        ("codepipeline.pipeline", "Pipeline demo", "create")]


def fed(events: Iterable[Event], rows: Rows | None = None, now: float = 10.0) -> Rows:
    rows = expect(Rows(), PLAN) if rows is None else rows
    for event in events:
        rows = reduce(rows, event, now)
    return rows


def test_the_plan_rows_wait_in_the_plan_order() -> None:
    rows = expect(Rows(), PLAN)
    assert list(rows.rows) == [node for node, _, _ in PLAN]
    assert rows.rows["ecr.image"] == Row("ecr.image", "Image demo:latest", "pending", planned="in_sync")
    assert rows.count("pending") == 3 and rows.finished is None and rows.failures == []


def test_a_successful_run() -> None:
    rows = fed([NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "create"),
                NodeProgress("iam.role.pipeline", "attaching the policy")], now=5.0)
    role = rows.rows["iam.role.pipeline"]
    assert (role.status, role.action, role.message, role.started) == ("running", "create", "attaching the policy", 5.0)
    assert role.elapsed(7.5) == 2.5 and rows.rows["ecr.image"].elapsed(7.5) is None

    rows = fed([NodeDone("iam.role.pipeline", "created", "arn:aws:iam::1:role/demo-pipeline", 1.2),
                NodeStarted("ecr.image", "Image demo:latest", "check"),
                NodeDone("ecr.image", "in_sync", "sha256:ab", 0.1),
                NodeStarted("codepipeline.pipeline", "Pipeline demo", "create"),
                NodeDone("codepipeline.pipeline", "updated", "", 0.8),
                RunFinished(True, 3, 0, 0, 2.5)], rows)
    role = rows.rows["iam.role.pipeline"]
    assert (role.status, role.detail, role.message, role.seconds) == ("created", "arn:aws:iam::1:role/demo-pipeline",
                                                                      "", 1.2)
    assert role.elapsed(99.0) == 1.2  # the engine's measure, not the clock, once ended
    assert all(row.done for row in rows.rows.values()) and {r.status for r in rows.rows.values()} <= DONE
    assert (rows.count("created"), rows.count("in_sync", "updated")) == (1, 2)
    assert rows.finished == RunFinished(True, 3, 0, 0, 2.5)
    assert summary(rows.finished) == "Done in 2.5s: 3 finished, 0 failed, 0 skipped"


def test_a_failure_skips_its_dependents() -> None:
    failure = NodeFailed("iam.role.pipeline", "EntityAlreadyExists", "role demo-pipeline belongs to stack other",
                         "give this stack another name", 0.4)
    rows = fed([NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "create"), failure,
                NodeSkipped("codepipeline.pipeline", "needs IAM role demo-pipeline, which failed"),
                NodeSkipped("events.rule", "needs Pipeline demo, which was skipped"),
                RunFinished(False, 1, 1, 2, 0.9)])
    role, pipeline = rows.rows["iam.role.pipeline"], rows.rows["codepipeline.pipeline"]
    assert (role.status, role.failure, role.seconds, role.done) == ("failed", failure, 0.4, False)
    assert (pipeline.status, pipeline.message, pipeline.started) == ("skipped", "needs IAM role demo-pipeline, "
                                                                                "which failed", None)
    # A row nobody announced (not in the plan, never started) is titled by its id.
    assert rows.rows["events.rule"].title == "events.rule"
    assert rows.failures == [failure]
    assert (rows.count("failed"), rows.count("skipped"), rows.count(*DONE)) == (1, 2, 0)
    assert summary(RunFinished(False, 1, 1, 2, 0.9)) == "Stopped in 0.9s: 1 finished, 1 failed, 2 skipped"


def test_a_retry_after_restart_keeps_what_was_done() -> None:
    rows = fed([NodeStarted("ecr.image", "Image demo:latest", "check"),
                NodeDone("ecr.image", "in_sync", "sha256:ab", 0.1),
                NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "create"),
                NodeFailed("iam.role.pipeline", "Throttling", "slow down", "retry", 0.4),
                NodeSkipped("codepipeline.pipeline", "needs IAM role demo-pipeline, which failed"),
                RunFinished(False, 1, 1, 1, 0.9)])
    again = restart(rows)
    assert again.finished is None and again.failures == []
    assert list(again.rows) == list(rows.rows)  # rows keep their places
    assert again.rows["ecr.image"] is rows.rows["ecr.image"]
    assert again.rows["iam.role.pipeline"] == Row("iam.role.pipeline", "IAM role demo-pipeline")
    assert again.rows["codepipeline.pipeline"] == Row("codepipeline.pipeline", "Pipeline demo")
    assert rows.rows["iam.role.pipeline"].status == "failed"  # the old state is untouched

    # A later plan does not undo what is done; a pending row takes the new plan's action.
    again = expect(again, PLAN)
    assert again.rows["ecr.image"].status == "in_sync"
    assert again.rows["iam.role.pipeline"].planned == "create"

    again = fed([NodeStarted("iam.role.pipeline", "IAM role demo-pipeline", "update"),
                 NodeDone("iam.role.pipeline", "updated", "", 0.3),
                 NodeStarted("codepipeline.pipeline", "Pipeline demo", "create"),
                 NodeDone("codepipeline.pipeline", "created", "", 0.5),
                 RunFinished(True, 3, 0, 0, 1.0)], again)
    assert {n: r.status for n, r in again.rows.items()} == {
        "iam.role.pipeline": "updated", "ecr.image": "in_sync", "codepipeline.pipeline": "created"}


def test_image_build_and_push_attach_to_their_node() -> None:
    rows = fed([NodeStarted("ecr.image", "Image demo:latest", "create"),
                BuildStep(1, 2, "FROM scratch", node="ecr.image"),
                BuildLog("Step 1/2 : FROM scratch", node="ecr.image")], now=3.0)
    image = rows.rows["ecr.image"]
    assert image.message == "build step 1/2: FROM scratch"  # a build log line leaves the row as it was
    assert (image.image.step, image.image.steps, image.image.instruction) == (1, 2, "FROM scratch")

    rows = fed([BuildDone("sha256:0001", "demo:latest", node="ecr.image"),
                PushProgress("l1", "Pushing", 50, 100, node="ecr.image"),
                PushProgress("l2", "Pushing", 0, 300, node="ecr.image")], rows)
    assert rows.rows["ecr.image"].message == "pushing 2 layers: 12%"
    assert rows.rows["ecr.image"].image.built == "demo:latest"
    rows = fed([PushProgress("l1", "Pushed", 100, 100, node="ecr.image"),
                PushProgress("l2", "Pushed", 300, 300, node="ecr.image")], rows)
    assert rows.rows["ecr.image"].image.layers == (("l1", 100, 100), ("l2", 300, 300))
    assert rows.rows["ecr.image"].message == "pushing 2 layers: 100%"
    rows = fed([PushDone("1.dkr.ecr/demo", "latest", "sha256:" + "c" * 64, 400, False, node="ecr.image")], rows)
    assert rows.rows["ecr.image"].message == "pushed sha256:cccccccccccc"
    assert rows.rows["ecr.image"].status == "running" and rows.rows["ecr.image"].started == 3.0

    rows = fed([NodeDone("ecr.image", "created", "demo:latest", 2.0)], rows)
    assert (rows.rows["ecr.image"].status, rows.rows["ecr.image"].message) == ("created", "")
    # Image progress is the row's: a new start (a retry) counts its layers afresh.
    rows = fed([NodeStarted("ecr.image", "Image demo:latest", "create"),
                PushProgress("l3", "Pushing", 1, 1, node="ecr.image")], rows)
    assert rows.rows["ecr.image"].message == "pushing 1 layer: 100%"


def test_a_push_outside_a_run_still_has_its_row() -> None:
    """`bluegreen push`: no plan, no NodeStarted, events without a node."""
    rows = fed([BuildStep(1, 1, "FROM scratch"), PushDone("1.dkr.ecr/demo", "latest", "sha256:dd", 1, True)],
               Rows(), now=4.0)
    image = rows.rows[IMAGE_ROW]
    assert (image.status, image.started, image.message) == ("running", 4.0, "already in ECR sha256:dd")
    assert image.image.already


def test_other_events_change_nothing_and_changed_names_the_rows_that_did() -> None:
    rows = expect(Rows(), PLAN)
    assert reduce(rows, DiscoveryResult("subnets", 3, ""), 1.0) is rows
    after = reduce(rows, NodeStarted("ecr.image", "Image demo:latest", "check"), 1.0)
    assert [row.node for row in changed(rows, after)] == ["ecr.image"]
    assert changed(after, after) == []
