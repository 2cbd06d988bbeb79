"""CodePipeline reads: the executions list, the pipeline's structure, and the stages and actions
of one execution (GetPipelineState for the latest, ListActionExecutions for an older one).
Plain functions over a boto3 client, run in a worker thread by the poller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bluegreen.watch.snapshot import ActionState, Execution, SourceRevision, StageState

DEPLOY_PROVIDERS = ("CodeDeployToECS", "CodeDeploy")
EXECUTIONS_LISTED = 10  # the newest few: the list the monitor shows, and the change detector


@dataclass(frozen=True)
class ActionDefinition:
    name: str
    provider: str
    run_order: int
    configuration: dict[str, str]


@dataclass(frozen=True)
class Definition:
    """The pipeline's structure (GetPipeline), kept until its version changes."""

    version: int
    stages: tuple[tuple[str, tuple[ActionDefinition, ...]], ...]

    def deploy_action(self) -> tuple[str, ActionDefinition] | None:
        for stage, actions in self.stages:
            for action in actions:
                if action.provider in DEPLOY_PROVIDERS:
                    return stage, action
        return None


def read_definition(codepipeline: Any, pipeline: str) -> Definition:
    answer = codepipeline.get_pipeline(name=pipeline)["pipeline"]
    stages = []
    for stage in answer.get("stages") or []:
        actions = tuple(
            ActionDefinition(
                name=str(a.get("name") or ""),
                provider=str((a.get("actionTypeId") or {}).get("provider") or ""),
                run_order=int(a.get("runOrder") or 1),
                configuration={str(k): str(v) for k, v in (a.get("configuration") or {}).items()},
            )
            for a in stage.get("actions") or [])
        stages.append((str(stage.get("name") or ""), actions))
    return Definition(int(answer.get("version") or 0), tuple(stages))


def read_executions(codepipeline: Any, pipeline: str) -> tuple[Execution, ...]:
    """The newest executions, newest first (durations are filled in when the snapshot is made)."""
    answer = codepipeline.list_pipeline_executions(pipelineName=pipeline, maxResults=EXECUTIONS_LISTED)
    return tuple(_execution(summary) for summary in answer.get("pipelineExecutionSummaries") or [])


def _execution(summary: dict[str, Any]) -> Execution:
    trigger = summary.get("trigger") or {}
    revisions = tuple(
        SourceRevision(action=str(r.get("actionName") or ""), revision_id=str(r.get("revisionId") or ""),
                       summary=str(r.get("revisionSummary") or ""), url=str(r.get("revisionUrl") or ""))
        for r in summary.get("sourceRevisions") or [])
    return Execution(
        id=str(summary.get("pipelineExecutionId") or ""),
        status=str(summary.get("status") or ""),
        trigger=str(trigger.get("triggerType") or ""),
        trigger_detail=str(trigger.get("triggerDetail") or ""),
        revisions=revisions,
        started=summary.get("startTime"),
        updated=summary.get("lastUpdateTime"),
        duration_s=None,
        status_summary=str(summary.get("statusSummary") or ""),
    )


def with_duration(execution: Execution, taken_at: datetime) -> Execution:
    from dataclasses import replace

    if execution.started is None:
        return execution
    running = execution.status in ("InProgress", "Stopping")
    end = taken_at if running or execution.updated is None else execution.updated
    return replace(execution, duration_s=max(0.0, (end - execution.started).total_seconds()))


@dataclass(frozen=True)
class LatestState:
    """GetPipelineState, read for the pipeline's latest execution."""

    version: int
    stages: tuple[StageState, ...]
    deployment_id: str  # the deploy action's latest deployment, whichever execution ran it
    deployment_execution: str  # the execution whose Deploy stage ran it


def read_latest(codepipeline: Any, pipeline: str, definition: Definition, selected: str) -> LatestState:
    """Stages of the latest execution `selected`: a stage whose latest execution is another one
    (not reached yet, in a QUEUED pipeline) shows no status."""
    answer = codepipeline.get_pipeline_state(name=pipeline)
    states = {str(s.get("stageName") or ""): s for s in answer.get("stageStates") or []}
    stages = []
    deployment_id, deployment_execution = "", ""
    for name, actions in definition.stages:
        state = states.get(name) or {}
        latest = state.get("latestExecution") or {}
        this_one = latest.get("pipelineExecutionId") == selected
        by_name = {str(a.get("actionName") or ""): a for a in state.get("actionStates") or []}
        shown = []
        for action in actions:
            run = (by_name.get(action.name) or {}).get("latestExecution") or {}
            if action.provider in DEPLOY_PROVIDERS and str(run.get("externalExecutionId") or "").startswith("d-"):
                deployment_id = str(run["externalExecutionId"])
                deployment_execution = str(latest.get("pipelineExecutionId") or "")
            shown.append(_action_state(name, action, run if this_one else {}))
        status = str(latest.get("status") or "") if this_one else ""
        inbound = (state.get("inboundTransitionState") or {}).get("enabled", True)
        stages.append(StageState(name=name, status=status, actions=tuple(shown), inbound_enabled=bool(inbound),
                                 retryable=status == "Failed"))
    return LatestState(int(answer.get("pipelineVersion") or definition.version), tuple(stages), deployment_id,
                       deployment_execution)


def _action_state(stage: str, action: ActionDefinition, run: dict[str, Any]) -> ActionState:
    error = run.get("errorDetails") or {}
    return ActionState(
        stage=stage, name=action.name, provider=action.provider, run_order=action.run_order,
        status=str(run.get("status") or ""), started=None, updated=run.get("lastStatusChange"),
        summary=str(run.get("summary") or ""), error=str(error.get("message") or ""),
        external_id=str(run.get("externalExecutionId") or ""),
        external_url=str(run.get("externalExecutionUrl") or ""),
    )


def read_execution_stages(codepipeline: Any, pipeline: str, definition: Definition, execution_id: str,
                          ended: bool = True) -> tuple[StageState, ...]:
    """Stages of any execution, from its action executions (an older execution, picked);
    `ended`: the execution has ended (a stage it left half run was stopped, not running)."""
    details: list[dict[str, Any]] = []
    for page in codepipeline.get_paginator("list_action_executions").paginate(
            pipelineName=pipeline, filter={"pipelineExecutionId": execution_id}):
        details += page.get("actionExecutionDetails") or []
    # a retried action ran more than once in this execution: the newest run counts
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for detail in details:
        key = (str(detail.get("stageName") or ""), str(detail.get("actionName") or ""))
        known = newest.get(key)
        if known is None or _started(detail) >= _started(known):
            newest[key] = detail
    stages = []
    for name, actions in definition.stages:
        shown = []
        for action in actions:
            ran = newest.get((name, action.name))
            shown.append(_action_from_detail(name, action, ran) if ran else _action_state(name, action, {}))
        stages.append(StageState(name=name, status=_stage_status([a.status for a in shown], ended),
                                 actions=tuple(shown)))
    return tuple(stages)


def _started(detail: dict[str, Any]) -> float:
    start = detail.get("startTime")
    return start.timestamp() if isinstance(start, datetime) else 0.0


def _action_from_detail(stage: str, action: ActionDefinition, detail: dict[str, Any]) -> ActionState:
    result = (detail.get("output") or {}).get("executionResult") or {}
    error = result.get("errorDetails") or {}
    status = str(detail.get("status") or "")
    summary = str(result.get("externalExecutionSummary") or "")
    return ActionState(
        stage=stage, name=action.name, provider=action.provider, run_order=action.run_order, status=status,
        started=detail.get("startTime"), updated=detail.get("lastUpdateTime"), summary=summary,
        error=str(error.get("message") or (summary if status == "Failed" else "")),
        external_id=str(result.get("externalExecutionId") or ""),
        external_url=str(result.get("externalExecutionUrl") or ""),
    )


def _stage_status(statuses: list[str], ended: bool) -> str:
    """A stage's status in an older execution, from its actions (ListActionExecutions has none
    of its own): the worst one that ran; a stage whose actions did not all run is still running,
    or was stopped if its execution ended."""
    ran = [s for s in statuses if s]
    if not ran:
        return ""
    for status in ("InProgress", "Failed", "Abandoned"):
        if status in ran:
            return "Stopped" if status == "Abandoned" else status
    if len(ran) == len(statuses):
        return "Succeeded"
    return "Stopped" if ended else "InProgress"


def deployment_of(stages: tuple[StageState, ...]) -> str:
    """The deployment id the stages' deploy action reported ("" if it has not run)."""
    for stage in stages:
        for action in stage.actions:
            if action.provider in DEPLOY_PROVIDERS and action.external_id.startswith("d-"):
                return action.external_id
    return ""
