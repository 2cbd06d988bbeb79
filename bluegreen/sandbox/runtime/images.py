"""Which image to pull, from where, with which credentials.

In the sandbox ``repositoryUri`` is ``<registry_host>/<repository>`` (the ECR handler rewrites
AWS's ``<account>.dkr.ecr.<region>.amazonaws.com`` host to the sandbox registry's), yet a task
definition written for AWS names the AWS host. Both name the same repository of the one sandbox
registry, so an ECR host is replaced by the registry host and the rest of the reference (path,
``:tag`` or ``@sha256:...``) is kept. Any other registry is never contacted: the sandbox only
talks to loopback; such an image runs only if the engine already has it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping

_ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")

RegistryAuth = Mapping[str, str] | Callable[[], Mapping[str, str]] | None
"""docker-py ``auth_config`` for the sandbox registry, or a callable giving a current one."""


def sandbox_reference(image: str, registry_host: str) -> str | None:
    """The reference to pull ``image`` by from the sandbox registry, or None when it names
    another registry (or none: a Docker Hub name)."""
    host, sep, rest = image.partition("/")
    if not sep or not rest:
        return None
    if host == registry_host or _same_loopback_port(host, registry_host):
        return f"{registry_host}/{rest}"
    if _ECR_HOST.match(host):
        return f"{registry_host}/{rest}"
    return None


def _same_loopback_port(host: str, registry_host: str) -> bool:
    """``localhost:P`` and ``127.0.0.1:P`` are the same registry."""
    name, _, port = host.rpartition(":")
    reg_name, _, reg_port = registry_host.rpartition(":")
    loopback = {"localhost", "127.0.0.1"}
    return bool(port) and port == reg_port and name in loopback and reg_name in loopback


def split_reference(reference: str) -> tuple[str, str]:
    """(repository, tag or digest) as the engine's pull API takes them; ``latest`` when the
    reference has neither, as ``docker pull`` does."""
    if "@" in reference:
        repository, digest = reference.split("@", 1)
        head, _, last = repository.rpartition("/")
        if ":" in last:  # repo:tag@digest: the digest wins
            repository = f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]
        return repository, digest
    head, _, last = reference.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (f"{head}/{name}" if head else name), tag
    return reference, "latest"


def local_reference(repository: str, tag_or_digest: str) -> str:
    sep = "@" if tag_or_digest.startswith("sha256:") else ":"
    return f"{repository}{sep}{tag_or_digest}"


def token_auth(token: str | Callable[[], str], registry_host: str) -> Callable[[], dict[str, str]]:
    """docker-py ``auth_config`` from an ECR authorization token (base64 of ``AWS:<password>``,
    what the sandbox's GetAuthorizationToken answers and its registry checks)."""

    def auth() -> dict[str, str]:
        raw = token() if callable(token) else token
        user, _, password = base64.b64decode(raw).decode().partition(":")
        return {"username": user, "password": password, "serveraddress": f"http://{registry_host}"}

    return auth


def resolve_auth(auth: RegistryAuth) -> dict[str, str] | None:
    if auth is None:
        return None
    return dict(auth() if callable(auth) else auth)
