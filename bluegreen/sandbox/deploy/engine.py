"""The deployment engine: creates deployments, runs each in a worker thread, continues and stops
them, starts the rollback deployments their failures call for, and keeps them for the API.

One deployment per deployment group at a time (a second CreateDeployment is
``DeploymentLimitExceededException``, in AWS's words). Deployments live in memory: a sandbox
restarted with the same state directory has none (as with pipeline executions).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..clock import Clock
from ..pipeline.authorize import Authorize, allow_all
from ..wire import AwsError
from . import lifecycle, steps
from .appspec import AppSpec
from .context import Context, Shutdown
from .model import (
    CREATOR_ROLLBACK,
    DONE,
    ECS_EVENTS,
    FAILED,
    READY,
    ROLLBACK_EVENTS,
    SUCCEEDED,
    Deployment,
    GroupSnapshot,
    LifecycleEvent,
    Target,
    new_deployment_id,
)
from .ports import PublicApi, TaskSetControl

log = logging.getLogger("bluegreen.sandbox.deploy")

THREAD_NAME = "bluegreen-sandbox-deploy"
INSTALL_TIMEOUT = 60 * 60.0  # AWS seconds the replacement has to become healthy ("60 minutes")
READY_WAIT = "READY_WAIT"
TERMINATION_WAIT = "TERMINATION_WAIT"
STOP_PENDING = "Stopping Pending. Stopping to schedule commands in the deployment instances"


def not_found(deployment_id: str) -> AwsError:
    return AwsError(
        "DeploymentDoesNotExistException",
        f"The deployment {deployment_id} does not exist with the user or AWS account.",
    )


def already_completed(deployment_id: str) -> AwsError:
    return AwsError("DeploymentAlreadyCompletedException", f"The deployment {deployment_id} has already completed.")


class DeploymentEngine:
    def __init__(
        self,
        account_id: str,
        api: PublicApi,
        *,
        clock: Clock | None = None,
        task_sets: Callable[[], TaskSetControl | None] = lambda: None,
    ) -> None:
        self.account_id = account_id
        self.api = api
        self.clock = clock or Clock()
        self.task_sets = task_sets  # the ECS engine's task sets, looked up when a deployment needs them
        self.authorize: Authorize = allow_all  # the IAM evaluator replaces it
        self.install_timeout = INSTALL_TIMEOUT  # settable: tests shorten AWS's hour
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._deployments: dict[str, Deployment] = {}  # id -> deployment, in creation order
        self._threads: set[threading.Thread] = set()
        self.ctx = Context(
            account_id=account_id,
            clock=self.clock,
            api=api,
            task_sets=lambda: self.task_sets(),
            authorize=lambda: self.authorize,
            lock=self._lock,
            stopping=self._stopping,
            install_timeout=lambda: self.install_timeout,
        )

    # --- reading -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the engine still while the API renders its state."""
        with self._lock:
            yield

    def get(self, region: str, deployment_id: str) -> Deployment:
        """The deployment (of this region: another region's is not found); AWS's error if none."""
        with self._lock:
            d = self._deployments.get(deployment_id)
        if d is None or d.region != region:
            raise not_found(deployment_id)
        return d

    def find(self, region: str, deployment_id: str) -> Deployment | None:
        with self._lock:
            d = self._deployments.get(deployment_id)
        return d if d is not None and d.region == region else None

    def deployments(self, region: str) -> list[Deployment]:
        """The region's deployments, oldest first."""
        with self._lock:
            return [d for d in self._deployments.values() if d.region == region]

    def in_group(self, region: str, application: str, group: str) -> list[Deployment]:
        return [d for d in self.deployments(region) if (d.group.application, d.group.name) == (application, group)]

    def history(self, region: str, application: str, group: str) -> tuple[Deployment | None, Deployment | None]:
        """The group's last attempted and last successful deployments."""
        found = self.in_group(region, application, group)
        succeeded = [d for d in found if d.status == SUCCEEDED]
        return (found[-1] if found else None), (succeeded[-1] if succeeded else None)

    def refresh(self, d: Deployment) -> None:
        """Read the deployment's task sets' counts from ECS before it is shown."""
        steps.refresh(self.ctx, d)

    # --- creating ----------------------------------------------------------------------------

    def create(
        self,
        region: str,
        group: GroupSnapshot,
        revision: dict[str, Any],
        appspec: AppSpec,
        *,
        auto_rollback: dict[str, Any] | None = None,
        description: str | None = None,
        pass_roles: tuple[str, ...] = (),
    ) -> Deployment:
        with self._lock:
            if self._stopping.is_set():
                raise AwsError("InternalFailure", "The sandbox is stopping.", 500, sender=False)
            active = next((d for d in self.in_group(region, group.application, group.name) if d.active), None)
            if active is not None:
                raise AwsError(
                    "DeploymentLimitExceededException",
                    f"The Deployment Group '{group.name}' already has an active Deployment '{active.deployment_id}'",
                )
            _, last_good = self.history(region, group.application, group.name)
            d = Deployment(
                deployment_id=self._new_id(),
                region=region,
                group=group,
                revision=revision,
                appspec=appspec,
                create_time=self.ctx.now(),
                target=self._target(region, group, ECS_EVENTS),
                auto_rollback=dict(auto_rollback if auto_rollback is not None else group.auto_rollback),
                description=description,
                previous_revision=last_good.revision if last_good is not None else None,
                pass_roles=pass_roles,
            )
            self._deployments[d.deployment_id] = d
            self._start(d)
            return d

    def _new_id(self) -> str:
        while True:
            candidate = new_deployment_id()
            if candidate not in self._deployments:
                return candidate

    def _target(self, region: str, group: GroupSnapshot, events: tuple[str, ...]) -> Target:
        service = group.ecs_services[0] if group.ecs_services else {}
        cluster, name = str(service.get("clusterName", "")), str(service.get("serviceName", ""))
        return Target(
            target_id=f"{cluster}:{name}",
            target_arn=f"arn:aws:ecs:{region}:{self.account_id}:service/{cluster}/{name}",
            cluster=cluster,
            service=name,
            events=[LifecycleEvent(e) for e in events],
            last_updated=self.ctx.now(),
        )

    def _start(self, d: Deployment) -> None:
        thread = threading.Thread(target=self._work, args=(d,), name=THREAD_NAME, daemon=True)
        self._threads.add(thread)
        thread.start()

    def _work(self, d: Deployment) -> None:
        try:
            if lifecycle.run(self.ctx, d):
                rollback = self._rollback_of(d)
                lifecycle.run_rollback(self.ctx, rollback)
                with self._lock:
                    if rollback.status == SUCCEEDED:
                        d.rollback_info["rollbackMessage"] = (
                            f"Deployment {rollback.deployment_id} rolled back this deployment: "
                            "production traffic is on the original task set again.")
                    else:
                        d.rollback_info["rollbackMessage"] = f"The rollback deployment {rollback.deployment_id} failed."
        except Shutdown:
            pass  # the sandbox stops: the deployment stays where it is
        except Exception as exc:  # a bug, never a hung deployment
            log.exception("deployment %s failed", d.deployment_id)
            with self._lock:
                if d.status not in DONE:
                    d.status, d.error, d.complete_time = FAILED, ("INTERNAL_ERROR", str(exc)), self.ctx.now()
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _rollback_of(self, d: Deployment) -> Deployment:
        """The rollback deployment AWS creates for a failed or stopped one (a new deployment id,
        creator ``codeDeployRollback``; "Redeploy and roll back a deployment")."""
        with self._lock:
            target = self._target(d.region, d.group, ROLLBACK_EVENTS)
            target.task_sets = dict(d.target.task_sets)  # the same task sets, seen from both
            r = Deployment(
                deployment_id=self._new_id(),
                region=d.region,
                group=d.group,
                revision=d.previous_revision,
                appspec=None,
                create_time=self.ctx.now(),
                target=target,
                auto_rollback=dict(d.auto_rollback),
                creator=CREATOR_ROLLBACK,
                previous_revision=d.previous_revision,
                pass_roles=d.pass_roles,
                rolls_back=d,
                rollback_info={"rollbackTriggeringDeploymentId": d.deployment_id},
            )
            self._deployments[r.deployment_id] = r
            d.rollback_info = {
                "rollbackDeploymentId": r.deployment_id,
                "rollbackMessage": f"Deployment {r.deployment_id} is rolling back this deployment.",
            }
            return r

    # --- ContinueDeployment, StopDeployment ----------------------------------------------------

    def continue_deployment(self, region: str, deployment_id: str, wait_type: str = READY_WAIT) -> None:
        d = self.get(region, deployment_id)
        with self._lock:
            if d.status in DONE:
                raise already_completed(deployment_id)
            if wait_type == TERMINATION_WAIT:
                if not d.termination_wait_started:
                    raise AwsError(
                        "DeploymentIsNotInReadyStateException",
                        "The deployment is not waiting to terminate the original task set.",
                    )
                d.continue_termination = True
            else:
                if d.status != READY:
                    raise AwsError(
                        "DeploymentIsNotInReadyStateException",
                        "The deployment does not have a status of Ready and can't continue yet.",
                    )
                d.continue_ready = True
        d.wake.set()

    def stop_deployment(self, region: str, deployment_id: str, rollback: bool | None) -> tuple[str, str]:
        """StopDeployment: the run ends at its next wait point (hence ``Pending``); ``rollback``
        None means the deployment's auto-rollback on DEPLOYMENT_STOP_ON_REQUEST decides."""
        d = self.get(region, deployment_id)
        with self._lock:
            if d.status in DONE:
                raise already_completed(deployment_id)
            if not d.stop_requested:
                d.stop_requested = True
                d.stop_rollback = rollback if rollback is not None else d.rollback_enabled("DEPLOYMENT_STOP_ON_REQUEST")
        d.wake.set()
        return "Pending", STOP_PENDING

    # --- stopping ------------------------------------------------------------------------------

    def stop(self, timeout: float = 10.0) -> None:
        """The sandbox stops: every run ends at its next wait point; the threads are joined."""
        self._stopping.set()
        with self._lock:
            for d in self._deployments.values():
                d.wake.set()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
