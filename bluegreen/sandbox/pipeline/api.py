"""The engine's state in CodePipeline's API shapes (GetPipelineState, GetPipelineExecution,
ListPipelineExecutions, ListActionExecutions), and the paging those lists share.

Only plain data goes in and JSON-ready dicts come out; the caller holds the engine's lock.
Optional members AWS leaves out when empty are left out here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..wire import AwsError
from .catalog import PipelineDefinition
from .model import ACTIVE, MODE_QUEUED, SUCCEEDED, ActionRun, Execution, PipelineRecord, Transition

MAX_RESULTS = 100  # the default and the largest page of both lists


# --- GetPipelineState --------------------------------------------------------------------------


def pipeline_state(definition: PipelineDefinition, record: PipelineRecord | None, account_id: str) -> dict[str, Any]:
    stages = []
    for stage in definition.declaration.get("stages") or []:
        name = str(stage["name"])
        out: dict[str, Any] = {
            "stageName": name,
            "inboundTransitionState": _transition(record.transition(name) if record else Transition()),
        }
        if record is not None:
            latest = record.find(record.latest_in_stage.get(name, ""))
            if latest is not None and name in latest.stages:
                out["latestExecution"] = _stage_execution(latest.execution_id, latest.stages[name].status)
            inbound = [
                e
                for e in record.executions
                if e.status in ACTIVE and e.waiting and e.stage_names[e.position] == name
            ]
            if inbound:
                out["inboundExecution"] = _stage_execution(inbound[0].execution_id, inbound[0].status)
                if definition.mode == MODE_QUEUED:
                    out["inboundExecutions"] = [_stage_execution(e.execution_id, e.status) for e in inbound]
        out["actionStates"] = [
            _action_state(definition, name, action, record, account_id) for action in stage.get("actions") or []
        ]
        stages.append(out)
    return {
        "pipelineName": definition.name,
        "pipelineVersion": definition.version,
        "stageStates": stages,
        "created": definition.created,
        "updated": definition.updated,
    }


def _transition(t: Transition) -> dict[str, Any]:
    out: dict[str, Any] = {"enabled": t.enabled}
    if t.changed_by is not None:
        out["lastChangedBy"] = t.changed_by
    if t.changed_at is not None:
        out["lastChangedAt"] = t.changed_at
    if t.reason is not None and not t.enabled:
        out["disabledReason"] = t.reason
    return out


def _stage_execution(execution_id: str, status: str) -> dict[str, Any]:
    return {"pipelineExecutionId": execution_id, "status": status, "type": "STANDARD"}


def _action_state(
    definition: PipelineDefinition,
    stage: str,
    action: dict[str, Any],
    record: PipelineRecord | None,
    account_id: str,
) -> dict[str, Any]:
    name = str(action["name"])
    out: dict[str, Any] = {"actionName": name}
    runs = [r for e in record.executions for r in e.history if r.stage == stage and r.name == name] if record else []
    if runs:
        latest = max(runs, key=lambda r: r.start_time)
        out["latestExecution"] = _latest_execution(latest)
    revised = [r for r in runs if r.status == SUCCEEDED and r.revision is not None]
    if revised:
        revision = max(revised, key=lambda r: r.start_time).revision
        assert revision is not None
        out["currentRevision"] = {
            "revisionId": revision.revision_id,
            "revisionChangeId": revision.change_id,
            "created": revision.created,
        }
        if revision.url:
            out["revisionUrl"] = revision.url
    url = entity_url(action, definition.region, account_id)
    if url:
        out["entityUrl"] = url
    return out


def _latest_execution(run: ActionRun) -> dict[str, Any]:
    out: dict[str, Any] = {
        "actionExecutionId": run.action_execution_id,
        "status": run.status,
        "lastStatusChange": run.last_update_time,
    }
    if run.summary is not None:
        out["summary"] = run.summary
    if run.external_id is not None:
        out["externalExecutionId"] = run.external_id
    if run.external_url is not None:
        out["externalExecutionUrl"] = run.external_url
    if run.error is not None:
        out["errorDetails"] = dict(run.error)
    return out


def entity_url(action: dict[str, Any], region: str, account_id: str) -> str | None:
    """The console link of the resource an action works on (the forms of AWS's examples where
    they show one; docs/sandbox-pipelines.md)."""
    provider = (action.get("actionTypeId") or {}).get("provider")
    config = action.get("configuration") or {}
    console = f"https://{region}.console.aws.amazon.com"
    if provider == "CodeDeployToECS":
        return f"{console}/codedeploy/home?#/applications/{config.get('ApplicationName', '')}"
    if provider == "S3":
        return "https://console.aws.amazon.com/s3/home?#"
    if provider == "CodeCommit":
        return (
            f"{console}/codesuite/codecommit/repositories/{config.get('RepositoryName', '')}/browse/refs/heads/"
            f"{config.get('BranchName', '')}?region={region}"
        )
    if provider == "ECR":
        return f"{console}/ecr/repositories/private/{account_id}/{config.get('RepositoryName', '')}?region={region}"
    return None


# --- executions --------------------------------------------------------------------------------


def _source_runs(ex: Execution) -> list[ActionRun]:
    """The latest successful run of each source action of the execution (its revisions)."""
    latest: dict[str, ActionRun] = {}
    for run in ex.history:
        if run.status == SUCCEEDED and run.revision is not None:
            latest[run.name] = run
    return list(latest.values())


def _trigger(ex: Execution) -> dict[str, str]:
    return {"triggerType": ex.trigger.trigger_type, "triggerDetail": ex.trigger.detail}


def _summary_and_url(revision: Any) -> dict[str, Any]:
    """A source revision's optional members (ExecutionSummary and ArtifactRevision alike)."""
    out: dict[str, Any] = {}
    if revision.summary:
        out["revisionSummary"] = revision.summary
    if revision.url:
        out["revisionUrl"] = revision.url
    return out


def execution_summary(ex: Execution) -> dict[str, Any]:
    revisions = []
    for run in _source_runs(ex):
        assert run.revision is not None
        revisions.append({"actionName": run.name, "revisionId": run.revision.revision_id,
                          **_summary_and_url(run.revision)})
    out: dict[str, Any] = {
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status,
        "startTime": ex.start_time,
        "lastUpdateTime": ex.last_update_time,
        "sourceRevisions": revisions,
        "trigger": _trigger(ex),
        "executionMode": ex.mode,
        "executionType": "STANDARD",
    }
    if ex.stop_reason is not None:
        out["stopTrigger"] = {"reason": ex.stop_reason}
    return out


def pipeline_execution(ex: Execution) -> dict[str, Any]:
    revisions = []
    for run in _source_runs(ex):
        assert run.revision is not None
        for ref in run.outputs:
            revisions.append({
                "name": ref.name,
                "revisionId": run.revision.revision_id,
                "revisionChangeIdentifier": run.revision.change_id,
                "created": run.revision.created,
                **_summary_and_url(run.revision),
            })
    out: dict[str, Any] = {
        "pipelineName": ex.pipeline_name,
        "pipelineVersion": ex.pipeline_version,
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status,
        "artifactRevisions": revisions,
        "trigger": _trigger(ex),
        "executionMode": ex.mode,
        "executionType": "STANDARD",
    }
    if ex.variables:
        out["variables"] = [dict(v) for v in ex.variables]
    return out


def action_execution_detail(run: ActionRun) -> dict[str, Any]:
    decl = run.declaration
    config = {str(k): str(v) for k, v in (decl.get("configuration") or {}).items()}
    given: dict[str, Any] = {
        "actionTypeId": dict(decl.get("actionTypeId") or {}),
        "configuration": config,
        "resolvedConfiguration": dict(config),
        "region": run.region,
        "inputArtifacts": [_artifact(ref) for ref in run.inputs],
    }
    if decl.get("roleArn"):
        given["roleArn"] = decl["roleArn"]
    if decl.get("namespace"):
        given["namespace"] = decl["namespace"]
    result: dict[str, Any] = {}
    if run.external_id is not None:
        result["externalExecutionId"] = run.external_id
    if run.summary is not None:
        result["externalExecutionSummary"] = run.summary
    if run.external_url is not None:
        result["externalExecutionUrl"] = run.external_url
    if run.error is not None:
        result["errorDetails"] = dict(run.error)
    output: dict[str, Any] = {
        "outputArtifacts": [_artifact(ref) for ref in run.outputs],
        "outputVariables": dict(run.output_variables),
    }
    if result:
        output["executionResult"] = result
    return {
        "pipelineExecutionId": run.execution_id,
        "actionExecutionId": run.action_execution_id,
        "pipelineVersion": run.pipeline_version,
        "stageName": run.stage,
        "actionName": run.name,
        "startTime": run.start_time,
        "lastUpdateTime": run.last_update_time,
        "status": run.status,
        "input": given,
        "output": output,
    }


def _artifact(ref: Any) -> dict[str, Any]:
    return {"name": ref.name, "s3location": {"bucket": ref.bucket, "key": ref.key}}


# --- paging ------------------------------------------------------------------------------------


def page(items: list[Any], max_results: int | None, token: str | None, scope: str) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token of the next (tokens belong to one list: ``scope``)."""
    start = 0
    if token is not None:
        start = _offset(token, scope)
    size = max_results or MAX_RESULTS
    chunk = items[start : start + size]
    end = start + len(chunk)
    following = None
    if end < len(items):
        following = base64.urlsafe_b64encode(json.dumps({"s": scope, "o": end}).encode()).decode()
    return chunk, following


def _offset(token: str, scope: str) -> int:
    invalid = AwsError("InvalidNextTokenException", "The next token was invalid.")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("o"), int) or data["o"] < 0:
        raise invalid
    return int(data["o"])
