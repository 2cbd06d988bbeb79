"""What every wizard screen shares: the draft config, the AWS target once chosen, and the
discovery results fetched so far (kept so that going Back does not ask AWS again)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluegreen.model.draft import Draft

STEPS = ("Target", "Image", "Task", "AppSpec", "Source", "Network", "Cluster", "CodeDeploy", "Pipeline",
         "Review", "Provision")


@dataclass
class WizardContext:
    draft: Draft
    sandbox_requested: bool = True
    session: Any = None  # bluegreen.aws.session.AwsSession once the target is confirmed
    identity: Any = None  # bluegreen.aws.session.Identity
    sandbox: Any = None  # bluegreen.sandbox.server.SandboxHandle when we started one
    sandbox_error: str = ""
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

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
