"""Pure helpers of `bluegreen.images.build_push`: the Docker engine's JSON streams turned into lines, and
push errors turned into messages with a fix. No I/O, no docker-py: unit-testable anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from bluegreen.errors import Failed

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]{12,64})$")

Kind = Literal["text", "error", "image_id"]


def clean(text: str) -> str:
    """One output line without colour codes, carriage returns or trailing blanks."""
    return _ANSI.sub("", text).replace("\r", "").rstrip()


def iter_lines(chunks: Iterable[dict[str, Any]]) -> Iterator[tuple[Kind, str]]:
    """The decoded chunks of ``APIClient.build`` as whole lines.

    The engine splits lines across chunks ("Step 1/3 : FROM x" then "\\n"), so text is buffered up
    to each newline. Yields ("text", line) for every non-empty line, ("image_id", id) from the
    ``aux`` record (or a "Successfully built" line), and ("error", message) for an error record,
    after flushing the pending text.
    """
    pending = ""
    image_id = ""
    for chunk in chunks:
        if chunk.get("error") or chunk.get("errorDetail"):
            if pending.strip():
                yield "text", clean(pending)
            pending = ""
            detail = chunk.get("errorDetail") or {}
            yield "error", clean(str(chunk.get("error") or detail.get("message") or "unknown error"))
            continue
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])
            yield "image_id", image_id
        text = chunk.get("stream")
        if not isinstance(text, str):
            continue
        pending += text
        *lines, pending = pending.split("\n")
        for raw in lines:
            line = clean(raw)
            if not line:
                continue
            built = _BUILT.match(line)
            if built and not image_id:
                image_id = built[1]
                yield "image_id", image_id
            yield "text", line
    if pending.strip():
        yield "text", clean(pending)


_AUTH = ("no basic auth credentials", "unauthorized", "authentication required",
         "authorization token is invalid", "authorization token has expired", "denied:")
_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "dial tcp",
                "context deadline exceeded", "network is unreachable")


def classify_push_error(message: str, uri: str, tag: str, region: str) -> Failed:
    """A push error line from the engine as one message naming the cause and the fix.

    Never includes credentials: the engine's error text does not carry the token.
    """
    text = message.strip()
    low = text.lower()
    host, _, name = uri.partition("/")
    if "name unknown" in low or "name_unknown" in low or "does not exist in the registry" in low:
        return Failed(
            f"the ECR repository {name!r} does not exist in {region} (the registry said: {text})",
            "run 'bluegreen apply -f <config>' first (it creates the repository)",
        )
    if "not authorized to perform" in low or "accessdenied" in low:
        return Failed(
            f"the registry {host} refused the push: your AWS identity lacks an ECR permission ({text})",
            "allow ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, "
            "ecr:CompleteLayerUpload and ecr:PutImage on the repository (e.g. the managed policy "
            "AmazonEC2ContainerRegistryPowerUser)",
        )
    if any(word in low for word in _AUTH):
        return Failed(
            f"the registry {host} refused the ECR authorization token ({text})",
            "push again to get a fresh token (tokens last 12 hours); check that the AWS credentials "
            "and region are those of the account that owns the repository, and that they allow "
            "ecr:GetAuthorizationToken",
        )
    if "tag invalid" in low or "immutable" in low or "already exists" in low:
        return Failed(
            f"the tag {tag!r} already exists in the immutable repository {name!r} ({text})",
            "push under a new tag (--tag), or make the repository's tags MUTABLE",
        )
    if "server gave http response to https client" in low:
        return Failed(
            f"the Docker engine expects HTTPS from the registry {host}, which speaks plain HTTP",
            f"add {host!r} to 'insecure-registries' in the engine's daemon.json, or use a loopback "
            "address (127.0.0.1), which the engine allows over HTTP",
        )
    if any(word in low for word in _UNREACHABLE):
        return Failed(
            f"the Docker engine cannot reach the registry {host} ({text})",
            "check the network (or that the sandbox is still running), then push again",
        )
    return Failed(f"the push of {uri}:{tag} failed: {text}", "read the registry's message above, then "
                  "push again")
