"""Pipeline definitions as moto stores them (CreatePipeline / UpdatePipeline stay moto's).

The engine reads a pipeline's declaration when an execution starts (the execution keeps that
copy: an update does not change an execution under way) and when it describes the pipeline's
state (the current declaration).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..services.common import moto_backend


@dataclass(frozen=True)
class PipelineDefinition:
    name: str
    region: str
    arn: str
    declaration: dict[str, Any]
    version: int
    created: float
    updated: float

    @property
    def mode(self) -> str:
        return str(self.declaration.get("executionMode") or "SUPERSEDED")


class Catalog(Protocol):
    def get(self, region: str, name: str) -> PipelineDefinition | None:
        """The pipeline's current definition, or None when there is no such pipeline."""


class MotoCatalog:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def get(self, region: str, name: str) -> PipelineDefinition | None:
        try:
            backend = moto_backend("codepipeline", self.account_id, region)
        except KeyError:  # a region moto does not serve
            return None
        pipeline = backend.pipelines.get(name)
        if pipeline is None:
            return None
        declaration = copy.deepcopy(pipeline.pipeline)
        meta = pipeline.metadata
        return PipelineDefinition(
            name=name,
            region=region,
            arn=str(meta["pipelineArn"]),
            declaration=declaration,
            version=int(declaration.get("version") or 1),
            created=_seconds(meta.get("created")),
            updated=_seconds(meta.get("updated")),
        )


def _seconds(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0
