"""The stack's load balancer URLs, for the monitor's live probe (one DescribeLoadBalancers)."""

from __future__ import annotations

from dataclasses import dataclass

from bluegreen.aws.errors import Meaning, meaning
from bluegreen.aws.session import AwsSession
from bluegreen.watch.snapshot import WatchTarget


@dataclass(frozen=True)
class StackUrls:
    production: str  # "" when the load balancer is not there (yet)
    test: str


def stack_urls(session: AwsSession, target: WatchTarget) -> StackUrls:
    """http://<DNS name>:<port>/ of the production and test listeners (blocking)."""
    try:
        found = session.client("elbv2").describe_load_balancers(Names=[target.load_balancer])["LoadBalancers"]
    except Exception as exc:
        if meaning(exc) is Meaning.NOT_FOUND:
            return StackUrls("", "")
        raise
    dns = str(found[0].get("DNSName") or "") if found else ""
    if not dns:
        return StackUrls("", "")
    return StackUrls(f"http://{dns}:{target.production_port}/", f"http://{dns}:{target.test_port}/")
