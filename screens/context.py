"""What every wizard screen shares: the draft config, the AWS target once chosen, what
discovery found so far (kept so that going Back does not ask AWS again), the background
image build, and the facts one step leaves for another, each a typed field."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluegreen.aws.session import AwsSession, Identity
from bluegreen.aws.target import Connection
from bluegreen.images.job import ImageJob
from bluegreen.model.draft import Draft
from screens.lookups import Discoveries

if TYPE_CHECKING:
    from bluegreen.engine.stack import Plan


def _describe(exc: BaseException) -> str:
    # imported when an error happens: discovery pulls in the AWS modules (start-up time)
    from bluegreen.aws.discovery import describe_problem

    return describe_problem(exc)


@dataclass
class ImageFacts:
    """What the Image step leaves behind."""

    choice: str | None = None  # the table row the user picked (its row key)
    exposed_port: int | None = None  # the chosen image's port: the Task step prefills task.containerPort
    exposed_from: str | None = None  # where that port came from, for the Task step's note
    refreshed_for: int | None = None  # the build generation whose outcome the lists already show
    autopicked: bool = False  # the first Dockerfile was offered once: never again


@dataclass
class WizardContext:
    draft: Draft
    sandbox_requested: bool = True
    connection: Connection | None = None  # once the target answered; closing it stops our sandbox
    identity: Identity | None = None
    discovered: Discoveries = field(default_factory=Discoveries)
    image_job: ImageJob = field(default_factory=lambda: ImageJob(_describe))
    image: ImageFacts = field(default_factory=ImageFacts)
    task_port_set_by_user: bool = False  # the user typed a port: EXPOSE no longer overrides it
    source_type_chosen: bool = False  # the user picked the source type: never switch it for them
    subnet_choice: tuple[str, tuple[str, ...]] | None = None  # (VPC id, ticked ids): the table as left
    custom_shift: dict[str, Any] | None = None  # the last custom {type, percent, intervalMinutes}
    plan: Plan | None = None  # the Review step's last plan: the Provisioning step's tree starts from it
    # Every connection a worker opened, until the wizard closes: one that arrives after the
    # screen stopped listening (the user quit while a sandbox was starting) is still closed.
    _opened: list[Connection] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def base_dir(self) -> Path:
        """What relative paths in the config (image.context) are relative to: the config
        file's folder once there is one, else the working directory (as the CLI does)."""
        return self.draft.path.resolve().parent if self.draft.path else Path.cwd()

    @property
    def session(self) -> AwsSession | None:
        return self.connection.session if self.connection is not None else None

    def adopt(self, session: AwsSession | None, where: str = "") -> None:
        """Use a session made elsewhere (a test's sandbox; None: no target): nothing to stop
        when it closes."""
        self.disconnect()
        if session is not None:
            self.connection = Connection(session, where or f"endpoint {session.target.endpoint_url or 'AWS'}")

    def disconnect(self) -> None:
        """Forget the target; a sandbox this wizard started stops."""
        connection, self.connection, self.identity = self.connection, None, None
        if connection is not None:
            connection.close()

    def hold(self, connection: Connection) -> bool:
        """Called by the worker that opened `connection` (any thread). False, with the
        connection closed, when the wizard has already closed."""
        with self._lock:
            if not self._closed:
                self._opened.append(connection)
                return True
        connection.close()
        return False

    def close(self) -> None:
        self.image_job.abandon()  # a silent docker step must not hold the exit
        self.disconnect()
        with self._lock:
            self._closed, opened, self._opened = True, self._opened, []
        for connection in opened:
            connection.close()  # closing twice is harmless
