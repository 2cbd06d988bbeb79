"""One run per stack at a time: a lock that AWS holds, so two machines see it too.

The lock is an SSM parameter, `/bluegreen/<stack>/lock`, created with `Overwrite=False`: SSM
refuses to create a parameter that exists (`ParameterAlreadyExists`), so exactly one of two
runs that race for it gets it (docs/reliability.md). Its value says who holds it and since
when; the run that has to stop says so. A holder that crashed leaves it behind: `bluegreen
unlock -f F` removes it after showing whose it was. The parameter carries the stack tag.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from bluegreen.aws.errors import Meaning, is_not_found, meaning
from bluegreen.aws.session import AwsSession
from bluegreen.errors import Failed, aws_error_code
from bluegreen.model.config import TAG_KEY, Config


@dataclass(frozen=True)
class Holder:
    who: str  # user@host
    pid: int
    operation: str  # apply | destroy
    started: str  # ISO 8601, UTC

    def describe(self) -> str:
        return f"{self.operation} by {self.who} (pid {self.pid}) since {self.started}"


def parameter_name(config: Config) -> str:
    return f"/bluegreen/{config.name}/lock"


def me(operation: str) -> Holder:
    return Holder(f"{getpass.getuser()}@{socket.gethostname()}", os.getpid(), operation,
                  datetime.now(UTC).replace(microsecond=0).isoformat())


def acquire(session: AwsSession, config: Config, operation: str) -> Holder:
    """Take the stack's lock, or fail naming who holds it."""
    holder = me(operation)
    ssm = session.client("ssm")
    try:
        ssm.put_parameter(Name=parameter_name(config), Value=json.dumps(asdict(holder)), Type="String",
                          Overwrite=False, Description=f"bluegreen: stack {config.name} is being changed",
                          Tags=[{"Key": TAG_KEY, "Value": config.name}])
    except Exception as exc:
        if aws_error_code(exc) == "ParameterAlreadyExists":
            other = current(session, config)
            busy = other.describe() if other else "another run"
            raise Failed(f"stack {config.name} is locked: {busy}",
                         f"wait for that run to end; if it crashed, 'bluegreen unlock -f <config>' "
                         f"removes its lock ({parameter_name(config)} in SSM)") from None
        if meaning(exc) is Meaning.ACCESS_DENIED:
            raise Failed(f"cannot take the stack's lock ({parameter_name(config)} in SSM Parameter Store): "
                         "access denied",
                         f"allow ssm:PutParameter, ssm:GetParameter, ssm:DeleteParameter and "
                         f"ssm:AddTagsToResource on parameter/bluegreen/{config.name}/lock") from None
        raise
    return holder


def current(session: AwsSession, config: Config) -> Holder | None:
    """Who holds the lock now, or None."""
    try:
        value = session.client("ssm").get_parameter(Name=parameter_name(config))["Parameter"]["Value"]
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise
    try:
        data = json.loads(value)
        return Holder(str(data["who"]), int(data["pid"]), str(data["operation"]), str(data["started"]))
    except (ValueError, KeyError, TypeError):
        return Holder("an unknown holder", 0, "a run", "an unknown time")  # not written by us


def release(session: AwsSession, config: Config, holder: Holder) -> None:
    """Give the lock back, if it is still ours (a user may have broken it meanwhile)."""
    if current(session, config) == holder:
        _delete(session, config)


def break_lock(session: AwsSession, config: Config) -> Holder | None:
    """Remove the lock whoever holds it; the holder it had, or None when there was none."""
    holder = current(session, config)
    if holder is not None:
        _delete(session, config)
    return holder


def _delete(session: AwsSession, config: Config) -> None:
    try:
        session.client("ssm").delete_parameter(Name=parameter_name(config))
    except Exception as exc:
        if not is_not_found(exc):
            raise
