"""The wizard's steps, in order: the one list the step list, the titles' numbers and the
app's driver all read (a screen's index is its place here, never a number it states).

Screens are named as "module:Class" so that a step's module is imported only when it is
first shown (start-up time: `bench/wizard.py`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Nav(StrEnum):
    """What a step screen answers when dismissed; the driver decides what comes next.
    (A StrEnum: `Nav.NEXT == "next"`, so older callers reading strings still agree.)"""

    BACK = "back"
    NEXT = "next"
    QUIT = "quit"


@dataclass(frozen=True)
class Step:
    name: str  # as the step list shows it
    screen: str  # "module:Class"

    def load(self) -> type[Any]:
        module, name = self.screen.split(":")
        cls: type[Any] = getattr(importlib.import_module(module), name)
        return cls


STEPS: tuple[Step, ...] = (
    Step("Target", "screens.target:TargetScreen"),
    Step("Image", "screens.image:ImageScreen"),
    Step("Task", "screens.task:TaskScreen"),
    Step("AppSpec", "screens.appspec:AppSpecScreen"),
    Step("Source", "screens.source:SourceScreen"),
    Step("Network", "screens.network:NetworkScreen"),
    Step("Cluster", "screens.cluster:ClusterScreen"),
    Step("CodeDeploy", "screens.codedeploy:CodeDeployScreen"),
    Step("Pipeline", "screens.pipeline:PipelineScreen"),
    Step("Review", "screens.review:ReviewScreen"),
    Step("Provision", "screens.provision:ProvisionScreen"),
)

NAMES: tuple[str, ...] = tuple(step.name for step in STEPS)


def index_of(cls: type[Any]) -> int:
    """The place of a step screen class in STEPS (subclasses, e.g. a test's, take their base's)."""
    for klass in cls.__mro__:
        wanted = f"{klass.__module__}:{klass.__qualname__}"
        for index, step in enumerate(STEPS):
            if step.screen == wanted:
                return index
    raise LookupError(f"{cls.__name__} is not a wizard step (add it to screens.steps.STEPS)")
