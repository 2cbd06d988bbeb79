"""Getting a task's images into the engine, from the sandbox registry only.

Always pulls, as the ECS agent does by default (a tag may have moved since the last task), with
the sandbox registry's credentials. Remembers the references it created (absent before its first
pull) so that closing the runtime removes exactly those and never a tag the user made, such as
the one ``bluegreen push`` leaves on the pushed image.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from .engine import ClientPool, explanation
from .images import RegistryAuth, local_reference, resolve_auth, sandbox_reference, split_reference

log = logging.getLogger("bluegreen.sandbox.runtime")


class PullFailed(Exception):
    """``reason`` is the container's ECS-style reason (CannotPullContainerError: ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pulled:
    reference: str  # what to create the container from
    digest: str | None  # the registry's manifest digest (ECS's imageDigest), when known
    owned: bool  # the runtime created this reference in the engine


class ImagePuller:
    def __init__(self, pool: ClientPool, registry_host: str, auth: RegistryAuth) -> None:
        self._pool = pool
        self._registry_host = registry_host
        self._auth = auth
        self._lock = threading.Lock()
        self._ref_locks: dict[str, threading.Lock] = {}
        self._owned: set[str] = set()

    def pull(self, image: str) -> Pulled:
        """Raises :class:`PullFailed` with the reason a task's container gets."""
        mapped = sandbox_reference(image, self._registry_host)
        if mapped is None:
            return self._local_only(image)
        repository, tag = split_reference(mapped)
        reference = local_reference(repository, tag)
        with self._lock:
            ref_lock = self._ref_locks.setdefault(reference, threading.Lock())
        with ref_lock:  # one pull per reference at a time: ownership is decided once
            with self._pool.client() as client:
                existed = _image(client, reference) is not None
                try:
                    for line in client.api.pull(
                        repository, tag=tag, stream=True, decode=True, auth_config=resolve_auth(self._auth)
                    ):
                        if isinstance(line, dict) and line.get("error"):
                            raise PullFailed(_pull_reason(str(line["error"])))
                except PullFailed:
                    raise
                except Exception as exc:  # docker.errors.APIError and connection errors
                    raise PullFailed(_pull_reason(explanation(exc))) from None
                found = _image(client, reference)
            with self._lock:
                if not existed:
                    self._owned.add(reference)
                owned = reference in self._owned
        return Pulled(reference, _digest(found, repository), owned)

    def _local_only(self, image: str) -> Pulled:
        with self._pool.client() as client:
            found = _image(client, image)
        if found is None:
            # the sandbox's own words, not the engine's: nothing was asked of any registry
            raise PullFailed(
                f"CannotPullContainerError: pull access denied for {image}: the sandbox pulls only from "
                f"its own registry ({self._registry_host}) and the image is not in the local Docker engine"
            )
        return Pulled(image, None, False)

    def remove_owned(self) -> None:
        """Untag what the runtime pulled; an image a container still uses stays."""
        with self._lock:
            owned, self._owned = sorted(self._owned), set()
        for reference in owned:
            try:
                with self._pool.client() as client:
                    client.images.remove(reference)
            except Exception as exc:  # in use, or removed by someone else: not ours to force
                log.debug("kept image %s: %s", reference, explanation(exc))

    def is_owned(self, reference: str) -> bool:
        with self._lock:
            return reference in self._owned


def _pull_reason(engine_says: str) -> str:
    # the ECS agent on EC2 relays the engine's error in this form
    return f"CannotPullContainerError: Error response from daemon: {engine_says}"


def _image(client: Any, reference: str) -> dict[str, Any] | None:
    import docker

    try:
        found: dict[str, Any] = client.api.inspect_image(reference)
        return found
    except docker.errors.ImageNotFound:
        return None


def _digest(image: dict[str, Any] | None, repository: str) -> str | None:
    for entry in (image or {}).get("RepoDigests") or []:
        name, _, digest = str(entry).partition("@")
        if name == repository:
            return digest
    return None


def untag(pool: ClientPool, references: set[str]) -> None:
    """Best effort: the sweep's removal of references a dead sandbox pulled."""
    for reference in sorted(references):
        with contextlib.suppress(Exception), pool.client() as client:
            client.images.remove(reference)
