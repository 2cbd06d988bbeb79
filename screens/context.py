"""What every wizard screen shares: the draft config, the AWS target once chosen, and the
discovery results fetched so far (kept so that going Back does not ask AWS again)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluegreen.aws.session import AwsSession, Identity
from bluegreen.aws.target import Connection
from bluegreen.model.draft import Draft

STEPS = ("Target", "Image", "Task", "AppSpec", "Source", "Network", "Cluster", "CodeDeploy", "Pipeline",
         "Review", "Provision")


@dataclass
class WizardContext:
    draft: Draft
    sandbox_requested: bool = True
    connection: Connection | None = None  # once the target answered; closing it stops our sandbox
    identity: Identity | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    build_events: list[Any] = field(default_factory=list)  # background image build/push

    @property
    def base_dir(self) -> Path:
        """What relative paths in the config (image.context) are relative to: the config
        file's folder once there is one, else the working directory (as the CLI does)."""
        return self.draft.path.resolve().parent if self.draft.path else Path.cwd()

    def remember(self, key: str, value: Any) -> Any:
        with self.lock:
            self.cache[key] = value
        return value

    def recall(self, key: str) -> Any:
        with self.lock:
            return self.cache.get(key)

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

    def close(self) -> None:
        self.disconnect()
