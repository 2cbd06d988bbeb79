"""CodePipeline: moto stores pipelines; the sandbox refuses, before moto sees them, the ones AWS
refuses, and its pipeline engine (:mod:`bluegreen.sandbox.pipeline`) runs them.

:class:`CodePipelineChecks`:

- ``CreatePipeline``/``UpdatePipeline`` whose ``roleArn`` cannot be assumed by
  ``codepipeline.amazonaws.com``: ``InvalidStructureException: CodePipeline is not authorized to
  perform AssumeRole on role ...``;
- an ECR source action for a repository that does not exist: ``InvalidActionDeclarationException``
  (AWS's exact wording for this one is not documented).

:class:`CodePipelineExecutions` answers the execution operations from the engine
(StartPipelineExecution, StopPipelineExecution, RetryStageExecution, GetPipelineState,
GetPipelineExecution, ListPipelineExecutions, ListActionExecutions, Disable/EnableStageTransition),
starts an execution when moto has created a pipeline, and ends the executions of a deleted one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..clients import MotoClients
from ..pipeline import PipelineEngine
from ..pipeline import api as render
from ..pipeline.model import SUCCEEDED, Trigger
from ..pipeline.triggers import override_pins
from ..wire import AwsError, AwsRequest, Response, json_response
from .common import Handler, Params, error_code, json_body_or_none
from .iam import trusts

_EXECUTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class CodePipelineChecks(Handler):
    def __init__(self, clients: MotoClients) -> None:
        self.clients = clients

    def handle(self, req: AwsRequest) -> Response | None:
        if req.operation not in ("CreatePipeline", "UpdatePipeline"):
            return None
        body = json_body_or_none(req)
        pipeline = body.get("pipeline") if body else None
        if not isinstance(pipeline, dict):
            return None
        role = pipeline.get("roleArn")
        if isinstance(role, str) and role:
            self._check_role(role)
        for stage in pipeline.get("stages") or []:
            for action in (stage.get("actions") or []) if isinstance(stage, dict) else []:
                if isinstance(action, dict):
                    self._check_action(action, req.region)
        return None

    def _check_role(self, role_arn: str) -> None:
        denied = AwsError(
            "InvalidStructureException",
            f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}",
        )
        if ":role/" not in role_arn:
            raise denied
        name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.clients.get("iam").get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if error_code(exc) in ("NoSuchEntity", "ValidationError"):
                raise denied from exc
            raise
        if role.get("Arn") != role_arn or not trusts(
            role.get("AssumeRolePolicyDocument"), "codepipeline.amazonaws.com"
        ):
            raise denied

    def _check_action(self, action: dict[str, Any], region: str | None) -> None:
        type_id = action.get("actionTypeId") or {}
        if not isinstance(type_id, dict):
            return
        if type_id.get("category") != "Source" or type_id.get("provider") != "ECR":
            return
        config = action.get("configuration") or {}
        repo = config.get("RepositoryName") if isinstance(config, dict) else None
        if not isinstance(repo, str):
            return
        try:
            self.clients.for_region(region).get("ecr").describe_repositories(repositoryNames=[repo])
        except ClientError as exc:
            if error_code(exc) != "RepositoryNotFoundException":
                raise
            raise AwsError(
                "InvalidActionDeclarationException",
                f"Action configuration for action '{action.get('name')}' is not valid: the repository "
                f"with name '{repo}' does not exist in the registry with id '{self.clients.account_id}'",
            ) from exc


class CodePipelineExecutions(Handler):
    """The execution operations, answered from the engine's state in AWS's shapes."""

    def __init__(self, engine: PipelineEngine, default_region: str) -> None:
        self.engine = engine
        self.default_region = default_region
        # Not the handler's ``_ops``: an operation listed there counts as "owned" and the router
        # then checks only value types. CodePipeline answers a broken constraint of these
        # operations with the model's ValidationException, which is the router's full check.
        self._answers: dict[str, Callable[[str, Params], dict[str, Any]]] = {
            "StartPipelineExecution": self.start_pipeline_execution,
            "StopPipelineExecution": self.stop_pipeline_execution,
            "RetryStageExecution": self.retry_stage_execution,
            "GetPipelineState": self.get_pipeline_state,
            "GetPipelineExecution": self.get_pipeline_execution,
            "ListPipelineExecutions": self.list_pipeline_executions,
            "ListActionExecutions": self.list_action_executions,
            "DisableStageTransition": self.disable_stage_transition,
            "EnableStageTransition": self.enable_stage_transition,
        }

    def handle(self, req: AwsRequest) -> Response | None:
        answer = self._answers.get(req.operation or "")
        if answer is None:
            return None
        return json_response(req, answer(req.region or self.default_region, Params(req.json_body())))

    def after(self, req: AwsRequest, resp: Response) -> Response:
        if resp.status != 200 or req.operation not in ("CreatePipeline", "DeletePipeline"):
            return resp
        body = json_body_or_none(req) or {}
        region = req.region or self.default_region
        if req.operation == "CreatePipeline":
            name = (body.get("pipeline") or {}).get("name")
            if isinstance(name, str):
                self.engine.on_created(region, name)
        elif isinstance(body.get("name"), str):
            self.engine.forget(region, body["name"])
        return resp

    # --- starting, stopping, retrying --------------------------------------------------------

    def start_pipeline_execution(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("name", "ValidationException")
        definition = self.engine.definition(region, name)
        pins = override_pins(definition.declaration, p.items("sourceRevisions"))
        execution_id = self.engine.start(
            region,
            name,
            Trigger("StartPipelineExecution", self.engine.caller_arn),
            pins,
            p.items("variables"),
            p.text("clientRequestToken"),
        )
        return {"pipelineExecutionId": execution_id}

    def stop_pipeline_execution(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("pipelineName", "ValidationException")
        execution_id = _execution_id(p, "pipelineExecutionId")
        self.engine.definition(region, name)
        self.engine.stop_execution(region, name, execution_id, p.flag("abandon"), p.text("reason"))
        return {"pipelineExecutionId": execution_id}

    def retry_stage_execution(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("pipelineName", "ValidationException")
        stage = p.required_text("stageName", "ValidationException")
        execution_id = _execution_id(p, "pipelineExecutionId")
        mode = p.required_text("retryMode", "ValidationException")
        self.engine.retry_stage(region, name, stage, execution_id, mode)
        return {"pipelineExecutionId": execution_id}

    def disable_stage_transition(self, region: str, p: Params) -> dict[str, Any]:
        self._transition(region, p, False, p.text("reason"))
        return {}

    def enable_stage_transition(self, region: str, p: Params) -> dict[str, Any]:
        self._transition(region, p, True, None)
        return {}

    def _transition(self, region: str, p: Params, enabled: bool, reason: str | None) -> None:
        """Inbound: into the stage. Outbound: out of it, which is into the next stage (the
        state shows inbound transitions only); the last stage has nothing after it."""
        name = p.required_text("pipelineName", "ValidationException")
        stage = p.required_text("stageName", "ValidationException")
        if p.text("transitionType") == "Outbound":
            names = [str(s.get("name")) for s in self.engine.definition(region, name).declaration.get("stages") or []]
            if stage in names and names.index(stage) + 1 < len(names):
                stage = names[names.index(stage) + 1]
            elif stage in names:
                return
        self.engine.set_transition(region, name, stage, enabled, reason)

    # --- reading -----------------------------------------------------------------------------

    def get_pipeline_state(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("name", "ValidationException")
        definition = self.engine.definition(region, name)
        with self.engine.reading():
            return render.pipeline_state(definition, self.engine.record(region, name), self.engine.account_id)

    def get_pipeline_execution(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("pipelineName", "ValidationException")
        execution_id = _execution_id(p, "pipelineExecutionId")
        self.engine.definition(region, name)
        with self.engine.reading():
            record = self.engine.record(region, name)
            execution = record.find(execution_id) if record else None
            if execution is None:
                raise _execution_missing(execution_id, name)
            return {"pipelineExecution": render.pipeline_execution(execution)}

    def list_pipeline_executions(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("pipelineName", "ValidationException")
        self.engine.definition(region, name)
        wanted = ((p.body.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
        with self.engine.reading():
            record = self.engine.record(region, name)
            executions = list(reversed(record.executions)) if record else []
            if wanted is not None:
                executions = [
                    e for e in executions if wanted in e.stages and e.stages[wanted].status == SUCCEEDED
                ]
            chunk, following = render.page(
                executions, p.integer("maxResults"), p.text("nextToken"), f"executions/{region}/{name}"
            )
            out: dict[str, Any] = {"pipelineExecutionSummaries": [render.execution_summary(e) for e in chunk]}
        if following:
            out["nextToken"] = following
        return out

    def list_action_executions(self, region: str, p: Params) -> dict[str, Any]:
        name = p.required_text("pipelineName", "ValidationException")
        self.engine.definition(region, name)
        filters = p.body.get("filter") or {}
        latest_filter = filters.get("latestInPipelineExecution") or {}
        execution_id = filters.get("pipelineExecutionId") or latest_filter.get("pipelineExecutionId")
        with self.engine.reading():
            record = self.engine.record(region, name)
            executions = record.executions if record else []
            if execution_id is not None:
                executions = [e for e in executions if e.execution_id == execution_id]
                if not executions:
                    raise _execution_missing(str(execution_id), name)
            runs = [run for e in executions for run in e.history]
            if latest_filter.get("startTimeRange") == "Latest":
                newest: dict[tuple[str, str], Any] = {}
                for run in runs:
                    newest[(run.stage, run.name)] = run
                runs = list(newest.values())
            runs.sort(key=lambda r: r.start_time, reverse=True)
            chunk, following = render.page(
                runs,
                p.integer("maxResults"),
                p.text("nextToken"),
                f"actions/{region}/{name}/{json.dumps(filters, sort_keys=True)}",
            )
            out: dict[str, Any] = {"actionExecutionDetails": [render.action_execution_detail(r) for r in chunk]}
        if following:
            out["nextToken"] = following
        return out


def _execution_id(p: Params, key: str) -> str:
    value = p.required_text(key, "ValidationException")
    if not _EXECUTION_ID.match(value):
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        )
    return value


def _execution_missing(execution_id: str, name: str) -> AwsError:
    return AwsError(
        "PipelineExecutionNotFoundException",
        f"Pipeline Execution with id {execution_id} does not exist in pipeline {name}",
    )
