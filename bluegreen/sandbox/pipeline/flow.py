"""How executions move through a pipeline's stages: stage locks, execution modes, stop, retry.

Pure state changes on a :class:`~.model.PipelineRecord` (the caller holds the engine's lock and
runs the actions :func:`advance` returns). The rules are CodePipeline's (User Guide, "How
pipeline executions work"; docs/sandbox-pipelines.md):

- a stage holds one execution at a time (SUPERSEDED and QUEUED modes); an execution that
  finished a stage leaves it and waits in front of the next one (an *inbound* execution);
- SUPERSEDED: a newer execution arriving in front of a stage replaces the one waiting there,
  which ends ``Superseded`` (executions are superseded only between stages);
- QUEUED: executions waiting in front of a stage enter it one by one, oldest first;
- PARALLEL: no stage is locked, executions run independently;
- in a stage, actions run by ``runOrder`` (the same runOrder together); a failed action fails
  the stage once the others of its group have finished, and a failure or a stop unlocks it;
- a disabled inbound transition holds executions in front of its stage.
"""

from __future__ import annotations

from typing import Any

from ..wire import AwsError
from .model import (
    ABANDONED,
    ACTIVE,
    FAILED,
    IN_PROGRESS,
    MODE_PARALLEL,
    MODE_QUEUED,
    MODE_SUPERSEDED,
    STOPPED,
    STOPPING,
    SUCCEEDED,
    SUPERSEDED,
    ActionRun,
    Execution,
    PipelineRecord,
    StageRun,
)

BROKEN = (FAILED, ABANDONED)


def advance(record: PipelineRecord, now: float) -> list[ActionRun]:
    """Move every active execution as far as it can go; returns the action runs to start."""
    launch: list[ActionRun] = []
    moved = True
    while moved:  # one change can free another execution (an unlocked stage)
        moved = False
        for execution in list(record.executions):
            changed, started = _step(record, execution, now)
            moved = moved or changed
            launch.extend(started)
    return launch


def enqueue(record: PipelineRecord, execution: Execution, now: float) -> None:
    """A new execution waits in front of the first stage (and may supersede one waiting there)."""
    execution.position, execution.waiting = 0, True
    execution.last_update_time = now
    record.executions.append(execution)
    _supersede(record, execution, now)


def _step(record: PipelineRecord, ex: Execution, now: float) -> tuple[bool, list[ActionRun]]:
    if ex.status not in ACTIVE:
        return False, []
    names = ex.stage_names
    stage = names[ex.position]
    if ex.waiting:
        if ex.status == STOPPING:  # an inbound execution stops where it waits
            _end(ex, STOPPED, now)
            return True, []
        if not _may_enter(record, ex, stage):
            return False, []
        _enter(record, ex, stage, now)
        return True, []
    run = ex.stages[stage]
    actions = list(run.current.values())
    running = [a for a in actions if a.status == IN_PROGRESS]
    if ex.status == STOPPING:
        if running:  # stop and wait: the actions in progress finish first
            return False, []
        run.status = STOPPED
        _release(record, ex, stage)
        _end(ex, STOPPED, now)
        return True, []
    if any(a.status in BROKEN for a in actions):
        if running:
            return False, []
        run.status = FAILED
        _release(record, ex, stage)
        _end(ex, FAILED, now)
        return True, []
    if running:
        return False, []
    pending = [a for a in _declared_actions(ex, stage) if a["name"] not in run.current]
    if pending:
        first = min(_run_order(a) for a in pending)
        started = [_new_run(ex, stage, a, now) for a in pending if _run_order(a) == first]
        for action_run in started:
            run.current[action_run.name] = action_run
            ex.history.append(action_run)
        ex.last_update_time = now
        return True, started
    run.status = SUCCEEDED
    _release(record, ex, stage)
    if ex.position + 1 >= len(names):
        _end(ex, SUCCEEDED, now)
    else:
        ex.position += 1
        ex.waiting = True
        ex.last_update_time = now
        _supersede(record, ex, now)
    return True, []


def _may_enter(record: PipelineRecord, ex: Execution, stage: str) -> bool:
    if not record.transition(stage).enabled:
        return False
    if ex.mode == MODE_PARALLEL:
        return True
    if record.locks.get(stage):
        return False
    if ex.mode == MODE_QUEUED:  # first come, first served
        for other in record.executions:
            if other is ex:
                return True
            if other.status in ACTIVE and other.waiting and other.position == ex.position:
                return False
    return True


def _enter(record: PipelineRecord, ex: Execution, stage: str, now: float) -> None:
    ex.waiting = False
    ex.stages[stage] = StageRun(stage)
    ex.last_update_time = now
    if ex.mode != MODE_PARALLEL:
        record.locks[stage] = ex.execution_id
    record.latest_in_stage[stage] = ex.execution_id


def _release(record: PipelineRecord, ex: Execution, stage: str) -> None:
    if record.locks.get(stage) == ex.execution_id:
        del record.locks[stage]


def _end(ex: Execution, status: str, now: float) -> None:
    ex.status = status
    ex.last_update_time = now


def _supersede(record: PipelineRecord, ex: Execution, now: float) -> None:
    """SUPERSEDED mode: of the executions waiting in front of the same stage, the newest stays."""
    if ex.mode != MODE_SUPERSEDED:
        return
    order = {id(e): i for i, e in enumerate(record.executions)}
    for other in record.executions:
        if other is ex or other.status not in ACTIVE or not other.waiting or other.position != ex.position:
            continue
        older, _ = (other, ex) if order[id(other)] < order[id(ex)] else (ex, other)
        _end(older, SUPERSEDED, now)
        if older is ex:
            return


def _declared_actions(ex: Execution, stage: str) -> list[dict[str, Any]]:
    return [dict(a) for a in ex.stage_declaration(stage).get("actions") or []]


def _run_order(action: dict[str, Any]) -> int:
    return int(action.get("runOrder") or 1)


def _new_run(ex: Execution, stage: str, action: dict[str, Any], now: float) -> ActionRun:
    names = [str(a.get("name")) for a in action.get("inputArtifacts") or []]
    return ActionRun(
        execution_id=ex.execution_id,
        stage=stage,
        name=str(action["name"]),
        declaration=dict(action),
        pipeline_version=ex.pipeline_version,
        region=str(action.get("region") or ex.region),
        start_time=now,
        last_update_time=now,
        inputs=[ex.artifacts[n] for n in names if n in ex.artifacts],
    )


# --- stop and retry ----------------------------------------------------------------------------


def request_stop(ex: Execution, abandon: bool, reason: str | None, now: float) -> list[ActionRun]:
    """StopPipelineExecution: the execution turns ``Stopping``; with ``abandon`` its actions in
    progress are ``Abandoned`` at once (returned, so their workers can be told). The caller then
    calls :func:`advance`, which ends it ``Stopped`` once nothing runs."""
    if ex.status not in ACTIVE:
        raise AwsError(
            "PipelineExecutionNotStoppableException",
            f"Unable to stop pipeline execution {ex.execution_id} of pipeline {ex.pipeline_name}: "
            f"its status is {ex.status}.",
        )
    if ex.status == STOPPING and not abandon:
        raise AwsError(
            "DuplicatedStopRequestException",
            f"Pipeline execution {ex.execution_id} of pipeline {ex.pipeline_name} is already stopping.",
        )
    ex.status = STOPPING
    ex.last_update_time = now
    ex.abandon = ex.abandon or abandon
    if reason is not None:
        ex.stop_reason = reason
    abandoned: list[ActionRun] = []
    if ex.waiting:
        return abandoned
    run = ex.stages[ex.stage_names[ex.position]]
    run.status = STOPPING
    if abandon:
        for action_run in run.current.values():
            if action_run.status == IN_PROGRESS:
                action_run.status = ABANDONED
                action_run.last_update_time = now
                abandoned.append(action_run)
    return abandoned


def retry(record: PipelineRecord, ex: Execution, stage: str, mode: str, now: float) -> None:
    """RetryStageExecution of the stage where ``ex`` failed or stopped: FAILED_ACTIONS runs its
    failed (and abandoned) actions again, ALL_ACTIONS every action from the first runOrder."""
    names = ex.stage_names
    run = ex.stages.get(stage)
    if (
        ex.status not in (FAILED, STOPPED)
        or run is None
        or ex.waiting
        or names[ex.position] != stage
        or run.status not in (FAILED, STOPPED)
    ):
        raise AwsError(
            "StageNotRetryableException",
            f"Stage {stage} of pipeline {ex.pipeline_name} cannot be retried for pipeline execution "
            f"{ex.execution_id}: it has no failed or stopped actions in that execution.",
        )
    if ex.mode != MODE_PARALLEL and (
        record.latest_in_stage.get(stage) != ex.execution_id or record.locks.get(stage) not in (None, ex.execution_id)
    ):
        raise AwsError(
            "NotLatestPipelineExecutionException",
            f"Pipeline execution {ex.execution_id} is not the latest execution in stage {stage} of "
            f"pipeline {ex.pipeline_name}.",
        )
    if mode == "ALL_ACTIONS":
        run.current.clear()
    else:
        for name in [n for n, a in run.current.items() if a.status in BROKEN]:
            del run.current[name]
    run.status = IN_PROGRESS
    ex.status = IN_PROGRESS
    ex.abandon = False
    ex.stop_reason = None
    ex.last_update_time = now
    if ex.mode != MODE_PARALLEL:
        record.locks[stage] = ex.execution_id
    record.latest_in_stage[stage] = ex.execution_id
