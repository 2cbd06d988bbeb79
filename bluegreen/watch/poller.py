"""The poller: reads a stack's pipeline, deployment, load balancer, service and logs into
Snapshots, as often as the stack's state calls for and within a call budget (pacing.py,
docs/monitor.md).

A poll reads only the parts that are due, in three steps because each needs the one before:
the executions list with the independent parts (listeners, target health, service, stopped
tasks, logs) at once; then the selected execution's stages; then the deployment its deploy
action names. Parts that did not change are not read again: the executions list is the change
detector for the stages, a finished deployment is kept for good, a stopped task is described
once. Each part keeps its last value when a read fails; a throttled read slows every part down
(with jitter) and shows a notice, any other failure is one line in `errors`. No AWS answer makes
`poll()` raise.

The poller has its own AWS session with botocore's standard retries and at most 2 attempts: it
must see throttling to slow down, not sit through ten adaptive retries, and every attempt counts
against AWS's buckets and the poller's meter.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bluegreen.aws.errors import Meaning, meaning
from bluegreen.aws.session import AwsSession
from bluegreen.errors import aws_error_code
from bluegreen.watch import fetch_deploy, fetch_ecs, fetch_elb, fetch_pipeline
from bluegreen.watch.fetch_deploy import ACTIVE_STATUSES, ENDED_STATUSES, Routing
from bluegreen.watch.fetch_logs import LogTail
from bluegreen.watch.fetch_pipeline import Definition
from bluegreen.watch.health import RUNNING, health_of
from bluegreen.watch.meter import CallMeter
from bluegreen.watch.pacing import Mode, Pacer, Part, StepPredictor
from bluegreen.watch.snapshot import (
    Deployment,
    Execution,
    ListenerWeights,
    LogLine,
    ServiceState,
    Snapshot,
    StageState,
    StoppedTask,
    TargetCounts,
    WatchTarget,
)

if TYPE_CHECKING:
    from bluegreen.aws.target import Connection

HURRY_S = 20.0  # after hurry(): read at least at the active pace this long
INDEPENDENT = (Part.EXECUTIONS, Part.LISTENERS, Part.TARGETS, Part.SERVICE, Part.STOPPED, Part.LOGS)
INSTALLING_S = 4.0  # green's task set is starting: see it running soon
DEPLOYMENT_ENDED_S = 2.0  # a deployment ended: look at its execution then
STAGES_RUNNING_S = 3.0  # an execution runs and no deployment does: its stages are the news
DEPLOY_STARTING_S = 2.0  # a deploy action that runs but names no deployment yet: look again soon
INFO_EVERY = 3  # while a deployment runs, GetDeployment every 3rd read unless its target changed
TARGET_ENDED = frozenset({"Succeeded", "Failed", "Skipped"})


def _one_line(exc: BaseException) -> str:
    code = aws_error_code(exc)
    if code:
        message = str((getattr(exc, "response", {}).get("Error") or {}).get("Message") or "")
        text = f"{code}: {message}" if message else code
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 240 else text[:237] + "..."


class _Tracked:
    """One deployment's last answers; kept for good once the deployment has ended."""

    def __init__(self) -> None:
        self.info: dict[str, Any] | None = None
        self.target: dict[str, Any] | None = None
        self.reads = 0
        self.signature: Any = None
        self.final = False  # ended, and read once more after ending: nothing will change


class Poller:
    def __init__(self, session: AwsSession, target: WatchTarget, *, clock: Callable[[], float] = time.monotonic,
                 aws_time_scale: float = 1.0, concurrency: int = 4, rng: random.Random | None = None,
                 pace_speed: float | None = None) -> None:
        """`aws_time_scale`: how much faster than AWS the endpoint runs CodeDeploy's minutes (the
        sandbox's --time-scale; 1 on AWS), for the time left in waits and the traffic steps."""
        self.target = target
        where = session.target if session.target.region else replace(session.target, region=session.region)
        self.session = AwsSession(where, concurrency=concurrency, retry_mode="standard", max_attempts=2)
        self.meter = CallMeter(clock)
        self.session.on_call(self.meter.hook, "before-send")
        # watching a faster sandbox faster (docs/monitor.md); pace_speed=1 keeps AWS's pace (benchmarks)
        self.pacer = Pacer(clock, self.meter, rng, speed=aws_time_scale if pace_speed is None else pace_speed)
        self.aws_time_scale = aws_time_scale
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._selected: str | None = None
        self._generation = 0
        self._hurry_until = -math.inf
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # last known values, part by part
        self._pipeline_exists = True
        self._definition: Definition | None = None
        self._executions: tuple[Execution, ...] = ()
        self._detector: Any = None
        self._stages: tuple[StageState, ...] = ()
        self._stages_for: str | None = None
        self._old_stages: dict[str, tuple[StageState, ...]] = {}  # of ended executions: final
        self._current_id = ""  # the deploy action's latest deployment, else the group's newest
        self._shown_id = ""  # the selected execution's deployment
        self._group_asked: Any = object()  # the detector value when the group's newest was last asked
        self._tracked: dict[str, _Tracked] = {}
        self._routing: dict[str, Routing] = {}
        self._balancer: fetch_elb.Balancer | None = None
        self._balancer_lock = threading.Lock()
        self._listeners: tuple[ListenerWeights, ...] = ()
        self._listeners_read_at: float | None = None
        self._health: tuple[TargetCounts, ...] = ()
        self._service: fetch_ecs.ServiceRead | None = None
        self._stopped: dict[str, StoppedTask] = {}
        self._logs = LogTail()
        self._log_lines: tuple[LogLine, ...] = ()
        self._errors: dict[Part, str] = {}
        self._throttled = False

    @classmethod
    def on(cls, connection: Connection, target: WatchTarget) -> Poller:
        """A poller on a connection's target, told its time scale (blocking: on the sandbox,
        one health request asks for it)."""
        return cls(connection.session, target, aws_time_scale=connection.aws_time_scale())

    # -- steering ------------------------------------------------------------------------------

    def select(self, execution_id: str | None) -> None:
        """Show this execution's stages and deployment (None: always the newest)."""
        if execution_id != self._selected:
            self._selected = execution_id
            self.pacer.force((Part.STAGES, Part.DEPLOYMENT))
            self._poke()

    def hurry(self) -> None:
        """Poll again now, and at the active pace for a while (after a control, a push)."""
        self._hurry_until = self._clock() + HURRY_S
        self.pacer.hurry(HURRY_S)
        self.pacer.force((Part.EXECUTIONS, Part.STAGES, Part.DEPLOYMENT, Part.LISTENERS))
        if self.pacer.mode is Mode.IDLE:
            self.pacer.set_mode(Mode.ACTIVE)
        self._poke()

    @property
    def interval_s(self) -> float:
        return self.pacer.next_poll_in()

    def _poke(self) -> None:
        if self._wake is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- the loop ------------------------------------------------------------------------------

    async def run(self, on_snapshot: Callable[[Snapshot], None], stop: asyncio.Event) -> None:
        """Poll until `stop` is set, handing each snapshot to `on_snapshot`; the next poll starts
        only after the last one finished, when a part is due, or at once after hurry()/select()."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            while not stop.is_set():
                self._wake.clear()
                on_snapshot(await self.poll())
                waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                try:
                    await asyncio.wait(waits, timeout=self.pacer.next_poll_in(), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiting in waits:
                        waiting.cancel()
        finally:
            self._wake = None
            self._loop = None

    async def poll(self) -> Snapshot:
        """One poll: read what is due, return the snapshot."""
        if self._clock() < self._hurry_until and self.pacer.mode is Mode.IDLE:
            self.pacer.set_mode(Mode.ACTIVE)
        due = self.pacer.due()
        self._throttled = False
        gate = asyncio.Semaphore(self._concurrency)
        detector = self._detector
        await asyncio.gather(*(self._read(part, gate) for part in INDEPENDENT if part in due))
        if self._detector != detector:
            due |= {Part.STAGES, Part.DEPLOYMENT}  # the executions changed: what they show may have
        if Part.STAGES in due:
            before = (self._current_id, self._shown_id)
            await self._read(Part.STAGES, gate)
            if (self._current_id, self._shown_id) != before:
                due.add(Part.DEPLOYMENT)
            if self._deploy_starting():
                self.pacer.soon((Part.STAGES,), DEPLOY_STARTING_S)
            elif self._executions and self._executions[0].status in RUNNING and not self._deployment_active():
                self.pacer.soon((Part.STAGES,), STAGES_RUNNING_S, urgent=False)
        if Part.DEPLOYMENT in due:
            was_active, steps = self._deployment_active(), self._lifecycle_signature()
            await self._read(Part.DEPLOYMENT, gate)
            if self._lifecycle_signature() != steps:
                # a lifecycle event moved: green's targets and the service's counts change with
                # it, and showing them a period late beside the new event misleads
                self.pacer.soon((Part.TARGETS, Part.SERVICE), 0.0, urgent=False)
                if Part.LISTENERS not in due:
                    # and the traffic moves with it (AllowTraffic ends at 100%): read in this
                    # poll, so a snapshot never shows the termination wait beside 75/25
                    await self._read(Part.LISTENERS, gate)
            if was_active and not self._deployment_active():
                # the deployment ended: its pipeline action ends next, and the execution with it
                self.pacer.soon((Part.EXECUTIONS, Part.STAGES), DEPLOYMENT_ENDED_S)
            elif self._installing():
                # green is starting: traffic may move as soon as it is healthy (no ready wait)
                self.pacer.soon((Part.DEPLOYMENT,), INSTALLING_S, urgent=False)
        snapshot = self._snapshot()
        self._set_mode()
        if self._throttled:
            self.pacer.throttled()
        else:
            self.pacer.calm()
        # the pace a person reads (how often the part this mode exists for is read), not the
        # time to the next poll, which a part brought forward can make 0.2 s for a moment
        return replace(snapshot, interval_s=self.pacer.pace_s(), notices=self._notices())

    async def _read(self, part: Part, gate: asyncio.Semaphore) -> None:
        reader = getattr(self, f"_read_{part.value}")
        failed = True
        async with gate:
            try:
                await asyncio.to_thread(reader)
                self._errors.pop(part, None)
                failed = False
            except Exception as exc:  # an AWS answer (or no answer): keep the last value
                if meaning(exc) is Meaning.THROTTLED:
                    self._throttled = True
                else:
                    self._errors[part] = _one_line(exc)
            finally:
                self.pacer.done(part, failed)

    # -- the parts (each runs in a worker thread) ----------------------------------------------

    def _client(self, service: str) -> Any:
        return self.session.client(service)

    def _read_executions(self) -> None:
        try:
            executions = fetch_pipeline.read_executions(self._client("codepipeline"), self.target.pipeline)
        except Exception as exc:
            if aws_error_code(exc) != "PipelineNotFoundException":
                raise
            self._pipeline_exists, self._executions, self._detector = False, (), None
            self._definition, self._stages, self._current_id, self._shown_id = None, (), "", ""
            return
        self._pipeline_exists = True
        self._executions = executions
        self._detector = tuple((e.id, e.status, e.updated) for e in executions)

    def _selected_id(self) -> str | None:
        ids = [e.id for e in self._executions]
        if self._selected in ids:
            return self._selected
        return ids[0] if ids else None

    def _read_stages(self) -> None:
        if not self._pipeline_exists:
            return
        codepipeline = self._client("codepipeline")
        if self._definition is None:
            self._definition = fetch_pipeline.read_definition(codepipeline, self.target.pipeline)
        selected = self._selected_id()
        newest = self._executions[0].id if self._executions else ""
        latest = fetch_pipeline.read_latest(codepipeline, self.target.pipeline, self._definition, selected or "")
        if latest.version != self._definition.version:  # the pipeline was edited: new structure
            self._definition = fetch_pipeline.read_definition(codepipeline, self.target.pipeline)
            latest = fetch_pipeline.read_latest(codepipeline, self.target.pipeline, self._definition, selected or "")
        self._current_id = latest.deployment_id or self._current_id
        if selected is None or selected == newest:
            self._stages, self._stages_for = latest.stages, selected
            self._shown_id = fetch_pipeline.deployment_of(latest.stages)
            return
        stages = self._old_stages.get(selected)
        if stages is None:
            ended = next(e for e in self._executions if e.id == selected).status not in RUNNING
            stages = fetch_pipeline.read_execution_stages(codepipeline, self.target.pipeline, self._definition,
                                                          selected, ended)
            if ended:
                self._old_stages[selected] = stages  # an ended execution's stages do not change
        self._stages, self._stages_for = stages, selected
        self._shown_id = fetch_pipeline.deployment_of(stages)

    def _deploy_starting(self) -> bool:
        return any(a.provider in fetch_pipeline.DEPLOY_PROVIDERS and a.status == "InProgress" and not a.external_id
                   for stage in self._stages for a in stage.actions)

    def _deployment_active(self) -> bool:
        tracked = self._tracked.get(self._current_id)
        return tracked is not None and str((tracked.info or {}).get("status") or "") in ACTIVE_STATUSES

    def _lifecycle_signature(self) -> tuple[tuple[str, str], ...]:
        tracked = self._tracked.get(self._current_id)
        events = (tracked.target or {}).get("lifecycleEvents") or [] if tracked is not None else []
        return tuple((str(e.get("lifecycleEventName")), str(e.get("status"))) for e in events)

    def _installing(self) -> bool:
        tracked = self._tracked.get(self._current_id)
        events = (tracked.target or {}).get("lifecycleEvents") or [] if tracked is not None else []
        return any(e.get("lifecycleEventName") == "Install" and e.get("status") == "InProgress" for e in events)

    def _read_deployment(self) -> None:
        codedeploy = self._client("codedeploy")
        if not self._current_id and self._pipeline_exists and self._group_asked != self._detector:
            self._group_asked = self._detector
            self._current_id = fetch_deploy.read_group_latest(codedeploy, self.target.application,
                                                             self.target.deployment_group)
        wanted = [self._current_id, self._shown_id]
        for deployment_id in dict.fromkeys(d for d in wanted if d):
            self._follow(codedeploy, deployment_id)
        current = self._tracked.get(self._current_id)
        rollback = str(((current.info or {}).get("rollbackInfo") or {}).get("rollbackDeploymentId") or "") \
            if current is not None else ""
        if rollback:
            self._follow(codedeploy, rollback, with_target=False)
        config = str(((current.info if current else None) or {}).get("deploymentConfigName") or "")
        if config and config not in self._routing and current is not None and not current.final:
            self._routing[config] = fetch_deploy.read_routing(codedeploy, config)

    def _follow(self, codedeploy: Any, deployment_id: str, with_target: bool = True) -> None:
        """Read what may have changed of one deployment. While it runs, its target (lifecycle,
        task sets) changes first: GetDeployment follows when the target changed, and every
        INFO_EVERY reads. In a wait the target stands still and the deployment's status is what
        ends it: GetDeployment every read, the target when the status moved. After a control
        (hurry) both, every read."""
        tracked = self._tracked.setdefault(deployment_id, _Tracked())
        if tracked.final:
            return  # a deployment that ended does not change
        tracked.reads += 1
        periodic = tracked.reads % INFO_EVERY == 1
        old_status = str((tracked.info or {}).get("status") or "")
        ended_before = old_status in ENDED_STATUSES
        target_id = f"{self.target.cluster}:{self.target.service}"
        if not with_target:
            tracked.info = fetch_deploy.read_info(codedeploy, deployment_id)
        elif self.pacer.mode is Mode.WAITING and not self.pacer.hurrying and tracked.info is not None \
                and tracked.target is not None:
            tracked.info = fetch_deploy.read_info(codedeploy, deployment_id)
            if periodic or ended_before or str(tracked.info.get("status") or "") != old_status:
                tracked.target = fetch_deploy.read_target(codedeploy, deployment_id, target_id)
        else:
            tracked.target = fetch_deploy.read_target(codedeploy, deployment_id, target_id)
            signature = _signature(tracked.target)
            changed, tracked.signature = signature != tracked.signature, signature
            if tracked.info is None or tracked.target is None or periodic or changed or ended_before \
                    or self.pacer.hurrying:
                tracked.info = fetch_deploy.read_info(codedeploy, deployment_id)
        ended = str(tracked.info.get("status") or "") in ENDED_STATUSES
        target_done = not with_target or str((tracked.target or {}).get("status") or "") in TARGET_ENDED
        tracked.final = ended and (ended_before or target_done)

    def _ensure_balancer(self) -> fetch_elb.Balancer:
        with self._balancer_lock:  # listeners and target health, read at once, both need it
            if self._balancer is None:
                self._balancer = fetch_elb.resolve(self._client("elbv2"), self.target.load_balancer,
                                                   (self.target.blue_target_group, self.target.green_target_group))
            return self._balancer

    def _read_listeners(self) -> None:
        balancer = self._ensure_balancer()
        before = self._clock()
        listeners = fetch_elb.read_listeners(self._client("elbv2"), balancer.arn, self.target.production_port,
                                             self.target.test_port)
        old = next((lst.weights for lst in self._listeners if lst.role == "production"), None)
        new = next((lst.weights for lst in listeners if lst.role == "production"), None)
        predictor = self.pacer.predictor
        if predictor is not None and old is not None and new != old and self._listeners_read_at is not None:
            predictor.observe(self._listeners_read_at, self._clock())
        self._listeners, self._listeners_read_at = listeners, before

    def _read_targets(self) -> None:
        self._health = fetch_elb.read_targets(self._client("elbv2"), self._ensure_balancer().groups)

    def _read_service(self) -> None:
        self._service = fetch_ecs.read_service(self._client("ecs"), self.target.cluster, self.target.service)

    def _read_stopped(self) -> None:
        self._stopped = fetch_ecs.read_stopped(self._client("ecs"), self.target.cluster, self.target.service,
                                               self._stopped)

    def _read_logs(self) -> None:
        if self.target.log_group:
            self._log_lines = self._logs.read(self._client("logs"), self.target.log_group)

    # -- the snapshot --------------------------------------------------------------------------

    def _deployment(self, deployment_id: str, taken_at: datetime) -> Deployment | None:
        tracked = self._tracked.get(deployment_id)
        if tracked is None or tracked.info is None:
            return None
        made = fetch_deploy.build(tracked.info, tracked.target, taken_at, self.aws_time_scale)
        definitions = self._service.task_definitions if self._service is not None else {}
        if not definitions:
            return made
        task_sets = tuple(replace(ts, task_definition=definitions.get(ts.id, ts.task_definition))
                          for ts in made.task_sets)
        green = next((ts.task_definition for ts in task_sets if ts.label == "Green"), "")
        return replace(made, task_sets=task_sets, task_definition=green or made.task_definition)

    def _rollback_active(self) -> bool:
        current = self._tracked.get(self._current_id)
        rollback = str(((current.info or {}).get("rollbackInfo") or {}).get("rollbackDeploymentId") or "") \
            if current is not None else ""
        tracked = self._tracked.get(rollback) if rollback else None
        return tracked is not None and tracked.info is not None and tracked.info.get("status") in ACTIVE_STATUSES

    def _snapshot(self) -> Snapshot:
        taken_at = datetime.now(UTC)
        self._generation += 1
        executions = tuple(fetch_pipeline.with_duration(e, taken_at) for e in self._executions)
        selected = self._selected_id()
        current = self._deployment(self._current_id, taken_at) if self._current_id else None
        shown = self._deployment(self._shown_id, taken_at) if self._shown_id else current
        service: ServiceState | None = None
        if self._service is not None:
            service = replace(self._service.state, stopped_tasks=fetch_ecs.newest_stopped(self._stopped))
        health = health_of(pipeline_exists=self._pipeline_exists, executions=executions, current=current,
                           rollback_active=self._rollback_active())
        return Snapshot(
            target=self.target, taken_at=taken_at, health=health, executions=executions, selected=selected,
            stages=self._stages if self._stages_for == selected else (), deployment=shown,
            listeners=self._listeners, targets=self._health, service=service, logs=self._log_lines,
            errors=tuple(f"{part.value}: {message}" for part, message in self._errors.items()),
            generation=self._generation, calls_per_minute=float(self.meter.in_last()),
        )

    def _notices(self) -> tuple[str, ...]:
        if self.pacer.backoff > 1 or self._throttled:
            return (f"AWS is throttling reads; polling every {self.pacer.pace_s():.0f} s",)
        return ()

    # -- the mode ------------------------------------------------------------------------------

    def _set_mode(self) -> None:
        mode = self._mode()
        if mode is Mode.SHIFTING and self.pacer.predictor is None:
            self.pacer.set_mode(mode)
            self.pacer.predictor = self._predictor()
        else:
            self.pacer.set_mode(mode)

    def _mode(self) -> Mode:
        if self._rollback_active():
            return Mode.SHIFTING
        current = self._deployment(self._current_id, datetime.now(UTC)) if self._current_id else None
        if current is not None and current.status in ACTIVE_STATUSES:
            if current.wait is not None:
                return Mode.WAITING
            events = {e.name: e.status for e in current.lifecycle}
            green = any(t.label == "Green" and t.desired > 0 for t in current.task_sets)
            # from green's task set on (Install ends once it is healthy) to the end of AllowTraffic
            # the weights may move at any moment: with no ready wait, traffic moves right after Install
            if (events.get("Install") == "Succeeded" or (events.get("Install") == "InProgress" and green)) \
                    and events.get("AllowTraffic") in ("Pending", "InProgress"):
                return Mode.SHIFTING
            return Mode.ACTIVE
        if (self._executions and self._executions[0].status in RUNNING) or self._clock() < self._hurry_until:
            return Mode.ACTIVE
        return Mode.IDLE

    def _predictor(self) -> StepPredictor:
        if self._rollback_active():
            return StepPredictor(None, 1)  # a rollback moves traffic back at once
        tracked = self._tracked.get(self._current_id)
        config = str(((tracked.info if tracked else None) or {}).get("deploymentConfigName") or "")
        routing = self._routing.get(config)
        if routing is None:
            return StepPredictor()
        interval = routing.interval_minutes * 60 / self.aws_time_scale if routing.interval_minutes else None
        return StepPredictor(interval, routing.steps)


def _signature(target: dict[str, Any] | None) -> Any:
    if not target:
        return None
    events = tuple((e.get("lifecycleEventName"), e.get("status")) for e in target.get("lifecycleEvents") or [])
    sets = tuple((t.get("taskSetLabel"), t.get("status"), t.get("trafficWeight"))
                 for t in target.get("taskSetsInfo") or [])
    return target.get("status"), events, sets
