"""What an action gets to do its job, and what it gives back.

An action provider is a function ``run(ctx) -> ActionOutcome`` that runs in a worker thread of
its own. It reads its configuration and input artifacts from the :class:`ActionContext`, calls
AWS through ``ctx.clients`` (the sandbox's front door), asks ``ctx.require`` before each thing
CodePipeline's role must be allowed to do, and either returns an :class:`ActionOutcome` or raises
:class:`ActionFailed` with the error CodePipeline would show in the action's ``errorDetails``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..artifacts import ArtifactStore
from ..authorize import CODEPIPELINE, Authorize
from ..frontdoor import FrontDoor
from ..model import ArtifactRef, Pin, Revision

# errorDetails codes (the failure types of CodePipeline's job API)
JOB_FAILED = "JobFailed"
CONFIGURATION_ERROR = "ConfigurationError"
PERMISSION_ERROR = "PermissionError"


class ActionFailed(Exception):
    """The action ends ``Failed`` with ``errorDetails`` {code, message}; what it learned before
    failing (e.g. the deployment id) is kept."""

    def __init__(
        self,
        code: str,
        message: str,
        external_id: str | None = None,
        external_url: str | None = None,
        summary: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.external_id = external_id
        self.external_url = external_url
        self.summary = summary


class ActionCancelled(Exception):
    """The action was abandoned (or the sandbox stops) while it waited: nothing to report."""


@dataclass
class ActionOutcome:
    summary: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    outputs: list[ArtifactRef] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    revision: Revision | None = None


@dataclass
class ActionContext:
    account_id: str
    region: str  # the action's region
    pipeline_name: str
    execution_id: str
    mode: str
    action_name: str
    configuration: dict[str, str]
    inputs: dict[str, ArtifactRef]  # input artifacts by name
    output_names: list[str]
    pin: Pin | None  # the revision the trigger fixed for this source action
    role_arn: str
    clients: FrontDoor
    store: ArtifactStore
    authorize: Authorize
    cancelled: threading.Event
    poll_interval: Callable[[], float]
    report: Callable[..., None]  # report(external_id=..., external_url=..., summary=...)

    def require(self, actions: Sequence[str], resource: str) -> None:
        """Fail the action as AWS does when the role may not do ``actions`` on ``resource``."""
        denied = self.authorize(self.role_arn, CODEPIPELINE, actions, resource)
        if denied is not None:
            raise ActionFailed(PERMISSION_ERROR, denied.message)

    def read_artifact(self, name: str) -> bytes | None:
        """The stored zip of input artifact ``name``; None when the action has no such input
        or the store no longer holds it."""
        ref = self.inputs.get(name)
        if ref is None:
            return None
        self.require(["s3:GetObject", "s3:GetObjectVersion"], f"arn:aws:s3:::{ref.bucket}/{ref.key}")
        try:
            return self.store.get(ref)
        except ClientError:
            return None

    def write_artifact(self, name: str, data: bytes) -> ArtifactRef:
        bucket = self.store.bucket
        self.require(["s3:PutObject"], f"arn:aws:s3:::{bucket}/*")
        try:
            return self.store.put(name, data)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ActionFailed(
                JOB_FAILED,
                f"Unable to put the artifact {name} in the artifact store bucket {bucket}: "
                f"{error.get('Code', '')}: {error.get('Message', '')}",
            ) from exc

    def wait(self, seconds: float) -> None:
        """Sleep, unless the action is abandoned meanwhile (then :class:`ActionCancelled`)."""
        if self.cancelled.wait(seconds):
            raise ActionCancelled


Provider = Callable[[ActionContext], ActionOutcome]


def client_error(exc: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))
