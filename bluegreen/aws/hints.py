"""Turn an exception from a node into (AWS error code, message, likely fix)."""

from __future__ import annotations

import re

from bluegreen.aws.errors import Meaning, meaning
from bluegreen.aws.preflight import codecommit_closed
from bluegreen.errors import Failed, aws_error_code

RESUME = "fix the cause, then run 'bluegreen apply' again: it resumes where it stopped"


def explain(exc: BaseException, title: str) -> tuple[str, str, str]:
    if isinstance(exc, Failed):
        return "bluegreen", exc.message, exc.fix or RESUME
    code = aws_error_code(exc)
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")) or str(exc)
    means = meaning(exc)
    if means is Meaning.ACCESS_DENIED:
        action = re.search(r"perform: ([\w:-]+)", message)
        wanted = action.group(1) if action else "this call"
        if "iam:PassRole" in message:
            return code, f"{title}: {message}", (
                "your identity needs iam:PassRole on the stack's roles "
                "(arn:aws:iam::<account>:role/<stack>-*); ask your administrator for it")
        return code, f"{title}: {message}", (
            f"your identity may not {wanted}; ask your administrator for that permission, then "
            "re-run 'bluegreen apply'")
    if means is Meaning.THROTTLED:
        return code, f"{title}: AWS kept throttling our calls", "wait a minute; " + RESUME
    if codecommit_closed(message):
        return code, f"{title}: this account cannot create CodeCommit repositories", (
            "set source.type: s3 in the config to keep the source files in S3 instead")
    if means is Meaning.ROLE_NOT_READY or "cannot be assumed" in message:
        return code, f"{title}: {message}", (
            "IAM may still be spreading a new role (bluegreen retried for a while); " + RESUME)
    if isinstance(exc, TimeoutError):
        return "Timeout", f"{title}: {exc}", RESUME
    return code or type(exc).__name__, f"{title}: {message}", RESUME
