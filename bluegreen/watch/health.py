"""The one word for a stack's state (snapshot.Health), by the rules docs/monitor.md lists, first
match wins:

1. missing: the pipeline does not exist;
2. waiting: the current deployment is in a ready wait of the STOP_DEPLOYMENT option, which
   needs someone to continue it (else it stops when the wait runs out);
3. deploying: the newest execution is in progress or stopping, or a deployment of the group is
   active (created, queued, in progress, baking, ready: the termination wait included), or a
   rollback deployment moves traffic back;
4. failed: the newest execution that ended (Superseded and Cancelled ones are skipped: they
   were replaced, not failed) ended Failed or Stopped; with no such execution, the current
   deployment ended Failed or Stopped;
5. idle: anything else (the last run succeeded, or nothing ever ran).
"""

from __future__ import annotations

from bluegreen.watch.fetch_deploy import ACTIVE_STATUSES
from bluegreen.watch.snapshot import Deployment, Execution, Health

RUNNING = frozenset({"InProgress", "Stopping"})
REPLACED = frozenset({"Superseded", "Cancelled"})
BAD_ENDS = frozenset({"Failed", "Stopped"})


def health_of(*, pipeline_exists: bool, executions: tuple[Execution, ...], current: Deployment | None,
              rollback_active: bool = False) -> Health:
    if not pipeline_exists:
        return Health.MISSING
    if current is not None and current.status in ACTIVE_STATUSES and current.wait is not None \
            and current.wait.needs_person:
        return Health.WAITING
    if executions and executions[0].status in RUNNING:
        return Health.DEPLOYING
    if (current is not None and current.status in ACTIVE_STATUSES) or rollback_active:
        return Health.DEPLOYING
    ended = next((e for e in executions if e.status not in REPLACED and e.status not in RUNNING), None)
    if ended is not None:
        return Health.FAILED if ended.status in BAD_ENDS else Health.IDLE
    if current is not None and current.status in BAD_ENDS:
        return Health.FAILED
    return Health.IDLE
