"""The pipeline engine: starts executions, runs their actions, stops and retries them.

All state lives in :class:`~.model.PipelineRecord` objects guarded by one lock; :mod:`.flow`
decides what moves, this module runs what :func:`.flow.advance` says should start (each action
in a worker thread, :mod:`.workers`) and feeds the results back. Executions start from
CreatePipeline (:meth:`PipelineEngine.on_created`), StartPipelineExecution (:meth:`start`) and
EventBridge rules (:meth:`on_event`, the event bus's ``pipeline_start_hook``).

``time_scale`` divides every wait of the engine (the deploy action's polling interval); the
sandbox's front door, :mod:`.frontdoor`, carries every AWS call the actions make.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..services.events.bus import PipelineStartRequest
from ..wire import AwsError
from . import flow
from .actions import PROVIDERS, ActionCancelled, ActionContext, ActionFailed, ActionOutcome, Provider
from .actions.base import JOB_FAILED
from .artifacts import ArtifactStore, store_location
from .authorize import EVENTS, Authorize, allow_all
from .catalog import Catalog, MotoCatalog, PipelineDefinition
from .frontdoor import FrontDoor
from .model import (
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    ActionRun,
    Execution,
    Pin,
    PipelineRecord,
    Trigger,
    new_id,
)
from .triggers import event_pins
from .workers import Workers

log = logging.getLogger("bluegreen.sandbox.pipeline")

# How often the deploy action asks CodeDeploy how its deployment is doing, at time scale 1 (AWS
# does not document its interval; docs/sandbox-pipelines.md).
POLL_SECONDS = 10.0
MIN_POLL_SECONDS = 0.02


def not_found(account_id: str, name: str) -> AwsError:
    return AwsError("PipelineNotFoundException", f"Account '{account_id}' does not have a pipeline with name '{name}'")


class PipelineEngine:
    def __init__(
        self, account_id: str, endpoint_url: str, catalog: Catalog | None = None, time_scale: float = 1.0
    ) -> None:
        self.account_id = account_id
        self.catalog: Catalog = catalog or MotoCatalog(account_id)
        self.clients = FrontDoor(endpoint_url)
        self.authorize: Authorize = allow_all  # the IAM evaluator replaces it
        self.time_scale = time_scale  # settable at run time: the next wait uses it
        self.providers: dict[tuple[str, str, str], Provider] = dict(PROVIDERS)
        # who starts an execution by API call or by creating the pipeline (the sandbox's callers
        # are the account's root: it has no users)
        self.caller_arn = f"arn:aws:iam::{account_id}:root"
        self._lock = threading.RLock()
        self._records: dict[tuple[str, str], PipelineRecord] = {}
        self._workers = Workers()
        self._stopping = threading.Event()

    # --- reading -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the engine still while the API renders its state."""
        with self._lock:
            yield

    def record(self, region: str, name: str) -> PipelineRecord | None:
        return self._records.get((region, name))

    def definition(self, region: str, name: str) -> PipelineDefinition:
        found = self.catalog.get(region, name)
        if found is None:
            raise not_found(self.account_id, name)
        return found

    def poll_interval(self) -> float:
        return max(MIN_POLL_SECONDS, POLL_SECONDS / max(self.time_scale, 1e-9))

    # --- starting ----------------------------------------------------------------------------

    def start(
        self,
        region: str,
        name: str,
        trigger: Trigger,
        pins: dict[str, Pin] | None = None,
        variables: Sequence[dict[str, str]] = (),
        token: str | None = None,
    ) -> str:
        definition = self.definition(region, name)
        with self._lock:
            record = self._records.setdefault((region, name), PipelineRecord(region, name))
            if token is not None and token in record.request_tokens:
                return record.request_tokens[token]  # the same request again: the same execution
            now = time.time()
            execution = Execution(
                execution_id=new_id(),
                pipeline_name=name,
                region=region,
                definition=definition.declaration,
                pipeline_version=definition.version,
                mode=definition.mode,
                trigger=trigger,
                start_time=now,
                pins=dict(pins or {}),
                variables=_resolve_variables(definition.declaration, variables),
            )
            flow.enqueue(record, execution, now)
            if token is not None:
                record.request_tokens[token] = execution.execution_id
            launch = flow.advance(record, now)
        self._launch(record, launch)
        return execution.execution_id

    def on_created(self, region: str, name: str) -> None:
        """CreatePipeline starts an execution at once (trigger ``CreatePipeline``)."""
        try:
            self.start(region, name, Trigger("CreatePipeline", self.caller_arn))
        except AwsError:  # deleted again already
            log.debug("pipeline %s vanished before its first execution", name)

    def on_event(self, request: PipelineStartRequest) -> None:
        """An EventBridge rule's target is the pipeline: start it with the event's revision,
        as EventBridge does with the target's role (trigger ``CloudWatchEvent``, detail the
        rule's ARN)."""
        parts = request.pipeline_arn.split(":")
        if len(parts) < 6:
            return
        region, name = parts[3], parts[5]
        denied = self.authorize(
            request.role_arn or "", EVENTS, ["codepipeline:StartPipelineExecution"], request.pipeline_arn
        )
        if denied is not None:  # EventBridge counts a failed invocation; nothing starts
            log.info("rule %s may not start pipeline %s: %s", request.rule_name, name, denied.message)
            return
        definition = self.catalog.get(region, name)
        if definition is None:
            return
        rule_region = str(request.event.get("region") or region)
        rule_arn = f"arn:aws:events:{rule_region}:{self.account_id}:rule/{request.rule_name}"
        pins = event_pins(definition.declaration, request.event, definition.mode)
        with contextlib.suppress(AwsError):
            self.start(region, name, Trigger("CloudWatchEvent", rule_arn), pins)

    # --- control -----------------------------------------------------------------------------

    def stop_execution(self, region: str, name: str, execution_id: str, abandon: bool, reason: str | None) -> None:
        with self._lock:
            record = self._records.get((region, name))
            execution = record.find(execution_id) if record else None
            if record is None or execution is None:
                raise AwsError(
                    "PipelineExecutionNotStoppableException",
                    f"Pipeline execution {execution_id} does not exist in pipeline {name}.",
                )
            now = time.time()
            for run in flow.request_stop(execution, abandon, reason, now):
                run.cancelled.set()
            launch = flow.advance(record, now)
        self._launch(record, launch)

    def retry_stage(self, region: str, name: str, stage: str, execution_id: str, mode: str) -> None:
        definition = self.definition(region, name)
        if stage not in [s.get("name") for s in definition.declaration.get("stages") or []]:
            raise AwsError("StageNotFoundException", f"Stage {stage} does not exist in pipeline {name}.")
        with self._lock:
            record = self._records.get((region, name))
            execution = record.find(execution_id) if record else None
            if record is None or execution is None:
                raise AwsError(
                    "StageNotRetryableException",
                    f"Pipeline execution {execution_id} does not exist in pipeline {name}.",
                )
            now = time.time()
            flow.retry(record, execution, stage, mode, now)
            launch = flow.advance(record, now)
        self._launch(record, launch)

    def set_transition(self, region: str, name: str, stage: str, enabled: bool, reason: str | None) -> None:
        definition = self.definition(region, name)
        if stage not in [s.get("name") for s in definition.declaration.get("stages") or []]:
            raise AwsError("StageNotFoundException", f"Stage {stage} does not exist in pipeline {name}.")
        with self._lock:
            record = self._records.setdefault((region, name), PipelineRecord(region, name))
            transition = record.transition(stage)
            transition.enabled = enabled
            transition.reason = reason
            transition.changed_by = self.caller_arn
            transition.changed_at = time.time()
            launch = flow.advance(record, transition.changed_at)
        self._launch(record, launch)

    def forget(self, region: str, name: str) -> None:
        """DeletePipeline: its executions end where they are (their workers are told to stop)."""
        with self._lock:
            record = self._records.pop((region, name), None)
        if record is not None:
            _cancel_all(record)

    def stop(self) -> None:
        """The sandbox stops: every action is told to stop waiting, every worker is joined."""
        self._stopping.set()
        with self._lock:
            records = list(self._records.values())
        for record in records:
            _cancel_all(record)
        self._workers.close()
        self.clients.close()

    # --- running actions ---------------------------------------------------------------------

    def _launch(self, record: PipelineRecord, runs: list[ActionRun]) -> None:
        for run in runs:
            execution = record.find(run.execution_id)
            if execution is not None:
                self._workers.start(functools.partial(self._run, record, execution, run))

    def _run(self, record: PipelineRecord, execution: Execution, run: ActionRun) -> None:
        type_id = run.declaration.get("actionTypeId") or {}
        key = (str(type_id.get("category")), str(type_id.get("owner")), str(type_id.get("provider")))
        provider = self.providers.get(key)
        try:
            if provider is None:
                raise ActionFailed(
                    JOB_FAILED, f"The bluegreen sandbox does not run {key[1]} {key[2]} {key[0]} actions."
                )
            outcome: ActionOutcome | ActionFailed = provider(self._context(execution, run))
        except ActionCancelled:
            return
        except ActionFailed as failed:
            outcome = failed
        except Exception as exc:
            if self._stopping.is_set():
                return  # the sandbox went away under the call
            log.exception("pipeline action %s failed unexpectedly", run.name)
            outcome = ActionFailed(JOB_FAILED, f"The action failed in the sandbox: {exc}")
        self._finish(record, execution, run, outcome)

    def _context(self, execution: Execution, run: ActionRun) -> ActionContext:
        decl = run.declaration
        bucket = store_location(execution.definition, run.region)
        return ActionContext(
            account_id=self.account_id,
            region=run.region,
            pipeline_name=execution.pipeline_name,
            execution_id=execution.execution_id,
            mode=execution.mode,
            action_name=run.name,
            configuration={str(k): str(v) for k, v in (decl.get("configuration") or {}).items()},
            inputs={ref.name: ref for ref in run.inputs},
            output_names=[str(o["name"]) for o in decl.get("outputArtifacts") or []],
            pin=execution.pins.get(run.name),
            role_arn=str(decl.get("roleArn") or execution.role_arn),
            clients=self.clients,
            store=ArtifactStore(self.clients, run.region, bucket, execution.pipeline_name),
            authorize=self._authorize,
            cancelled=run.cancelled,
            poll_interval=self.poll_interval,
            report=functools.partial(self._report, run),
        )

    def _authorize(self, role_arn: str, principal: str, actions: Sequence[str], resource: str) -> AwsError | None:
        # looked up at each call, so an evaluator wired in later applies to running actions too
        return self.authorize(role_arn, principal, actions, resource)

    def _report(self, run: ActionRun, **fields: Any) -> None:
        with self._lock:
            if run.status != IN_PROGRESS:
                return
            for key in ("external_id", "external_url", "summary"):
                if key in fields:
                    setattr(run, key, fields[key])
            run.last_update_time = time.time()

    def _finish(
        self, record: PipelineRecord, execution: Execution, run: ActionRun, outcome: ActionOutcome | ActionFailed
    ) -> None:
        with self._lock:
            if run.status != IN_PROGRESS:  # abandoned meanwhile: its result no longer counts
                return
            now = time.time()
            if isinstance(outcome, ActionFailed):
                run.status = FAILED
                run.error = {"code": outcome.code, "message": outcome.message}
                run.summary = outcome.summary if outcome.summary is not None else run.summary
                run.external_id = outcome.external_id or run.external_id
                run.external_url = outcome.external_url or run.external_url
            else:
                run.status = SUCCEEDED
                run.summary = outcome.summary
                run.external_id = outcome.external_id or run.external_id
                run.external_url = outcome.external_url or run.external_url
                run.outputs = list(outcome.outputs)
                run.output_variables = dict(outcome.variables)
                run.revision = outcome.revision
                execution.artifacts.update({ref.name: ref for ref in outcome.outputs})
            run.last_update_time = now
            launch = flow.advance(record, now)
        self._launch(record, launch)


def _cancel_all(record: PipelineRecord) -> None:
    for execution in record.executions:
        for run in execution.history:
            run.cancelled.set()


def _resolve_variables(declaration: dict[str, Any], given: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Pipeline-level variables (V2): the values given to StartPipelineExecution over the
    declared defaults."""
    values = {str(v["name"]): str(v.get("defaultValue", "")) for v in declaration.get("variables") or []}
    values.update({str(v["name"]): str(v["value"]) for v in given})
    return [{"name": k, "resolvedValue": v} for k, v in values.items()]
