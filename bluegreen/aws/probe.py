"""One HTTP GET of the stack's load balancer: did it answer, how fast, and which version.

The end of the seed procedure ("open the load balancer's URL"), for the wizard's Provision
screen and `bluegreen apply`'s summary alike. "Which version" is what the page calls itself:
its `<title>` (the sample site's is "sample-website v2"), else the first words of the body.

Against the sandbox only loopback addresses are real: a name that is not one (a sandbox that
makes up AWS-style DNS names) is never resolved, since resolving it would send the name to a
public resolver.
"""

from __future__ import annotations

import html
import ipaddress
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT = 3.0  # seconds: a check must never hold a screen or a command up for long
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass(frozen=True)
class Probe:
    url: str
    ok: bool  # answered 2xx or 3xx
    text: str  # one line: what happened
    status: int | None = None
    latency_ms: float | None = None
    answered_by: str = ""  # the page's title, or the start of its body


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def probe(url: str, sandbox: bool, timeout: float = TIMEOUT) -> Probe:
    """GET `url` (blocking: run it in a thread from a UI)."""
    import urllib.error
    import urllib.request

    if sandbox and not is_loopback(url):
        host = urlsplit(url).hostname or ""
        return Probe(url, False, f"not reachable: {host} is not a loopback address, and the sandbox's "
                                 "load balancers only exist on this machine (no request sent)")
    # No proxy: a corporate proxy would answer for the load balancer (or refuse loopback).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    started = time.monotonic()
    try:
        with opener.open(urllib.request.Request(url, method="GET"), timeout=timeout) as answer:
            body = answer.read(4096)
            elapsed = (time.monotonic() - started) * 1000
            who = _answered_by(body)
            return Probe(url, True, f"HTTP {answer.status} in {elapsed:.0f} ms: {who}", answer.status, elapsed, who)
    except urllib.error.HTTPError as exc:
        elapsed = (time.monotonic() - started) * 1000
        who = _answered_by(exc.read(4096) if exc.fp else b"")
        return Probe(url, False, f"HTTP {exc.code} {exc.reason}: {who}", exc.code, elapsed, who)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        hint = "" if sandbox else (" (a new load balancer takes a few minutes before its name resolves and its "
                                   "targets pass health checks: check again shortly)")
        return Probe(url, False, f"not reachable: {reason}{hint}")


def _answered_by(body: bytes) -> str:
    title = _TITLE.search(body)
    if title:
        text = html.unescape(title.group(1).decode("utf-8", "replace"))
    else:
        text = re.sub(r"<[^>]+>", " ", body[:400].decode("utf-8", "replace"))
    flat = " ".join(text.split())
    return (flat[:100] + "…") if len(flat) > 100 else (flat or "(empty body)")
