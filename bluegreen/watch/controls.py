"""The controls of a deployment, as the monitor's keys and `bluegreen deploy ...` offer them:
which ones the current snapshot allows, what each will do (the confirmation text), and doing it.

Contract (implemented by the watch core): `offers(snapshot) -> tuple[Offer, ...]` (one per
ControlKind, enabled or not with the reason) and `async perform(session, snapshot, kind) -> str`
(a one-line result; AWS refusals become bluegreen.errors.Failed with the fix).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ControlKind(enum.StrEnum):
    START = "start"  # StartPipelineExecution
    CONTINUE = "continue"  # ContinueDeployment READY_WAIT: reroute traffic now
    END_WAIT = "end-wait"  # ContinueDeployment TERMINATION_WAIT: remove the old task set now
    STOP = "stop"  # StopDeployment autoRollbackEnabled=False
    ROLLBACK = "rollback"  # StopDeployment autoRollbackEnabled=True
    RETRY = "retry"  # RetryStageExecution FAILED_ACTIONS of the failed stage
    PUSH = "push"  # build and push a new image (the engine's push): the front end does it


@dataclass(frozen=True)
class Offer:
    kind: ControlKind
    enabled: bool
    label: str  # short, for the footer and help: "Continue"
    confirm: str  # what will happen, in a sentence, for the confirmation dialog
    why_not: str = ""  # when disabled: why ("no deployment is waiting for reroute")
