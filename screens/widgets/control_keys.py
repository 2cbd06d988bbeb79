"""One line of the deployment controls: the keys the current snapshot allows, with their labels,
then the others (pressing one of those says why not). The footer lists every key; this line
says which of them do something now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.widget import Widget

from bluegreen.watch.controls import ControlKind, Offer

# ControlKind -> key, in the order the line (and the footer) shows them
KEYS: dict[ControlKind, str] = {
    ControlKind.START: "s",
    ControlKind.CONTINUE: "c",
    ControlKind.END_WAIT: "t",
    ControlKind.STOP: "x",
    ControlKind.ROLLBACK: "r",
    ControlKind.RETRY: "y",
    ControlKind.PUSH: "p",
}


class ControlKeys(Widget):
    """`show(offers, unavailable)`: `unavailable` maps a kind to why this front end cannot do it."""

    DEFAULT_CSS = """
    ControlKeys { height: 1; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.offers: tuple[Offer, ...] = ()
        self.unavailable: Mapping[ControlKind, str] = {}

    def show(self, offers: Sequence[Offer], unavailable: Mapping[ControlKind, str]) -> None:
        self.offers, self.unavailable = tuple(offers), unavailable
        self.refresh()

    def enabled(self, kind: ControlKind) -> bool:
        offer = next((o for o in self.offers if o.kind is kind), None)
        return offer is not None and offer.enabled and kind not in self.unavailable

    def render(self) -> Text:
        """'now: x Stop  r Roll back   not now: s c t y p (a key says why)'."""
        if not self.offers:
            return Text("controls: waiting for the first poll", style="dim")
        ordered = sorted(self.offers, key=lambda o: list(KEYS).index(o.kind))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("now: ", style="bold")
        possible = [offer for offer in ordered if self.enabled(offer.kind)]
        for offer in possible:
            text.append(f" {KEYS[offer.kind]} ", style="bold reverse")
            text.append(f" {offer.label}  ")
        if not possible:
            text.append("nothing to steer  ", style="dim")
        others = [KEYS[offer.kind] for offer in ordered if not self.enabled(offer.kind)]
        if others:
            text.append(f" not now: {' '.join(others)} (pressing one says why)", style="dim")
        return text
