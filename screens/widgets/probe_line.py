"""The load balancer's URL and what it answered last: status, latency and which version (the
page's title), plus how the last answers split between versions, which is what a person
watching a shift wants to see move.

The GETs themselves are made by the screen (in a thread: `bluegreen.aws.probe.probe` blocks);
this widget only keeps and draws the answers.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from rich.text import Text
from textual.widget import Widget

from bluegreen.aws.probe import Probe

KEEP = 10  # answers counted in the tally
TIMES = "\u00d7"  # the multiplication sign: "v2 x7" reads as a name


class ProbeLine(Widget):
    """`answered(probe)` after each GET; the URL is given once (`url`)."""

    DEFAULT_CSS = """
    ProbeLine { height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.last: Probe | None = None
        self.recent: deque[str] = deque(maxlen=KEEP)

    def answered(self, probe: Probe) -> None:
        self.last = probe
        self.recent.append(probe.answered_by if probe.ok else "no answer" if probe.status is None
                           else f"HTTP {probe.status}")
        self.refresh()

    def tally(self) -> str:
        """'last 10: v1 (times 3) · v2 (times 7)' with a multiplication sign; words every answer
        shares (the site's name) are left out."""
        counts = Counter(self.recent)
        if not counts:
            return ""
        names = dict(zip(counts, distinct(list(counts)), strict=True))
        parts = [f"{names[who]} {TIMES}{n}" for who, n in sorted(counts.items())]
        return f"last {len(self.recent)}: " + " · ".join(parts)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self.url:
            text.append("no load balancer URL given: nothing is probed", style="dim")
            return text
        text.append("GET ", style="dim")
        text.append(self.url)
        tally = self.tally()
        if len(self.recent) > 1:
            text.append(f"   {tally}", style="dim")
        text.append("\n")
        if self.last is None:
            text.append("⠿ first GET in progress…", style="yellow")
        elif self.last.ok:
            text.append(f"✓ HTTP {self.last.status}", style="bold green")
            if self.last.latency_ms is not None:
                text.append(f" in {self.last.latency_ms:.0f} ms")
            text.append(": ")
            text.append(self.last.answered_by, style="bold")
        else:
            text.append(f"✗ {self.last.text}", style="bold red")
        return text


def distinct(answers: list[str]) -> list[str]:
    """The answers without the leading words they all share ("sample-website v1" -> "v1")."""
    if len(answers) < 2:
        return answers
    split = [answer.split(" ") for answer in answers]
    shared = 0
    while all(len(words) > shared + 1 for words in split) and len({words[shared] for words in split}) == 1:
        shared += 1
    return [" ".join(words[shared:]) for words in split]
