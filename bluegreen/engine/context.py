"""What every resource node shares while a plan, apply or destroy runs.

The context carries the session, the config, the listener for progress events, and the
values nodes discover or create (ids and ARNs) so that their dependents can use them.
Resources are always found again by name and tag, never remembered across runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluegreen.aws.session import AwsSession
from bluegreen.events import Event, Listener, ignore
from bluegreen.model.config import Config
from renderers.refs import Refs


class Pending(Exception):
    """A value a node needs does not exist yet (its dependency will create it)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass
class Context:
    session: AwsSession
    config: Config
    on_event: Listener = ignore
    base_dir: Path = field(default_factory=Path.cwd)
    # Called with a node id after the node finished; tests raise from it to simulate a
    # crash at that point (resume tests).
    after_node: Callable[[str], None] = lambda node_id: None
    values: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def emit(self, event: Event) -> None:
        self.on_event(event)

    def put(self, **values: Any) -> None:
        with self._lock:
            self.values.update(values)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self.values.get(key, default)

    def need(self, key: str) -> Any:
        """The value, or `Pending` if the resource that provides it is not there yet."""
        with self._lock:
            if key not in self.values:
                raise Pending(key)
            return self.values[key]

    @property
    def stack(self) -> str:
        return self.config.name

    def refs(self) -> Refs:
        """Refs from what is known now; placeholders for what is not (yet)."""
        offline = Refs.offline(self.config, self.get("account_id", "<ACCOUNT_ID>"))
        known = {
            "vpc_id": self.get("vpc_id"),
            "subnet_ids": tuple(self.get("subnet_ids") or ()) or None,
            "alb_security_group_ids": (self.get("sg.alb"),) if self.get("sg.alb") else None,
            "task_security_group_ids": (self.get("sg.task"),) if self.get("sg.task") else None,
            "load_balancer_arn": self.get("lb.arn"),
            "blue_target_group_arn": self.get("tg.blue"),
            "green_target_group_arn": self.get("tg.green"),
            "production_listener_arn": self.get("listener.production"),
            "test_listener_arn": self.get("listener.test"),
            "image_uri": self.get("image.uri"),
        }
        return offline.with_values(**{k: v for k, v in known.items() if v is not None})
