"""Errors a user can cause or fix, each carrying the message and the fix to print.

The CLI turns `Failed` into exit 1 and `BadInput` into exit 2; the TUI shows both where
they happened. Anything else reaching a front end is a bug (traceback with --debug).
"""

from __future__ import annotations


class Failed(Exception):
    """The operation failed for a reason outside the input (AWS said no, engine down...)."""

    exit_code = 1

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if not self.fix:
            return self.message
        fix = self.fix if self.fix[-1:] in ".?!" else f"{self.fix}."
        return f"{self.message}. Fix: {fix}"


class BadInput(Failed):
    """The input (a flag, a field, a config naming something that does not exist) is wrong."""

    exit_code = 2


def aws_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("AccessDenied", ...); "" for anything else.
    Read from the exception's response, so callers need not import botocore."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""
