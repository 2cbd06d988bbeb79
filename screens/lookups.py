"""What the wizard found out from AWS and this machine, kept per lookup so that Back and
Next do not ask again. A lookup is a kind and, for some kinds, an argument (the subnets of
*this* VPC). Written from worker threads, read on the screen's thread: a lock guards it.
Tests and snapshots fill it up front with fixed records.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    DOCKERFILES = "dockerfiles"
    LOCAL_IMAGES = "local_images"
    ECR_REPOSITORIES = "ecr_repositories"
    ECR_IMAGES = "ecr_images"  # argument: the repository name
    ROLES = "roles"
    CODECOMMIT_REPOSITORIES = "codecommit_repositories"
    VPCS = "vpcs"
    SUBNETS = "subnets"  # argument: the VPC id
    SECURITY_GROUPS = "security_groups"  # argument: the VPC id
    CLUSTERS = "clusters"
    CODEDEPLOY_APPLICATIONS = "codedeploy_applications"
    PIPELINES = "pipelines"


@dataclass(frozen=True)
class Key:
    kind: Kind
    argument: str = ""

    def __str__(self) -> str:  # names the worker that looks it up
        return f"discovery.{self.kind}:{self.argument}" if self.argument else f"discovery.{self.kind}"


class Discoveries:
    """Lookup results by Key; a result is the list of records the lookup returned."""

    def __init__(self, known: Mapping[Key, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._found: dict[Key, Any] = dict(known or {})

    def get(self, key: Key) -> Any | None:
        """The result, or None when it was never looked up (or failed)."""
        with self._lock:
            return self._found.get(key)

    def knows(self, key: Key) -> bool:
        return self.get(key) is not None

    def put(self, key: Key, value: Any) -> None:
        with self._lock:
            self._found[key] = value

    def update(self, known: Mapping[Key, Any]) -> None:
        with self._lock:
            self._found.update(known)

    def of_kind(self, kind: Kind) -> list[tuple[str, Any]]:
        """(argument, result) of every lookup of one kind done so far (e.g. subnets of each VPC)."""
        with self._lock:
            return [(key.argument, value) for key, value in self._found.items() if key.kind is kind]
