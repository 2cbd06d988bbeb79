"""FilterLogEvents' filter patterns for unstructured events: terms.

CloudWatch Logs' "Filter pattern syntax": terms are matched case-sensitively anywhere in the
message; every term must appear (``ERROR Exception``); a double-quoted term is one exact phrase
(``"Connection refused"``); ``-term`` excludes events that contain it; ``?a ?b`` matches events
with any of those terms. An empty pattern matches every event. JSON (``{ $.level = ... }``),
space-delimited (``[ip, user, ...]``) and regular-expression (``%...%``) patterns are not built:
the sandbox says so instead of matching wrongly.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ...wire import AwsError


@dataclass(frozen=True)
class TermPattern:
    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    def matches(self, message: str) -> bool:
        if any(term in message for term in self.excluded):
            return False
        if self.any_of and not any(term in message for term in self.any_of):
            return False
        return all(term in message for term in self.required)


def parse(pattern: str | None) -> TermPattern:
    text = (pattern or "").strip()
    if not text:
        return TermPattern()
    if text[0] in "{[%":
        raise AwsError(
            "NotImplemented",
            "The bluegreen sandbox filters log events with term patterns only (terms, \"exact phrases\", "
            "-excluded, ?any); JSON, space-delimited and regular-expression patterns are not supported.",
            501, sender=False)
    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote: its words as plain terms
        words = text.replace('"', " ").split()
    required, excluded, any_of = [], [], []
    for word in words:
        if word.startswith("?") and len(word) > 1:
            any_of.append(word[1:])
        elif word.startswith("-") and len(word) > 1:
            excluded.append(word[1:])
        else:
            required.append(word)
    return TermPattern(tuple(required), tuple(excluded), tuple(any_of))
