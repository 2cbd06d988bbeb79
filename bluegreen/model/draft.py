"""The config being edited in the wizard: field-by-field changes checked by the Config model.

A field is set by its file path (`task.cpu`, `loadBalancer.testPort`). The new value is
applied to a copy of the whole document and validated by the same `Config` model that
loads files, so the wizard can never accept what `bluegreen validate` would refuse; the
problems that concern the field are returned for display next to it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bluegreen.model.config import Config
from bluegreen.model.configfile import ConfigError, Problem, dump_text, from_data, to_data


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def concerns(problem: Problem, path: str) -> bool:
    """Whether a problem is about the field at `path` (or something inside it)."""
    return problem.path == path or problem.path.startswith(f"{path}.") or problem.path.startswith(f"{path}[")


@dataclass
class Draft:
    config: Config
    path: Path | None = None  # where it was opened from or last exported to
    dirty: bool = False  # changed since the last save
    listeners: list[Callable[[Config], None]] = field(default_factory=list)
    # Values the user typed that the model refused, by path: shown again on Back.
    pending: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, name: str = "my-app", region: str = "us-east-1") -> Draft:
        return cls(Config(name=name, region=region))

    def value(self, path: str) -> Any:
        if path in self.pending:
            return self.pending[path]
        return _get(to_data(self.config), path)

    def propose(self, changes: dict[str, Any]) -> tuple[Config | None, list[Problem]]:
        """The config with `changes` applied, or the problems they cause. Changes nothing."""
        data = copy.deepcopy(to_data(self.config))
        renamed = "name" in changes and changes["name"] != self.config.name
        moved = "region" in changes and changes["region"] != self.config.region
        if renamed or moved:
            # Derived names follow the new stack name, and the bucket names (which carry the
            # region) the new region; names the user set stay as they are.
            try:
                data = to_data(self.config.with_identity(
                    name=str(changes["name"]) if renamed else None,
                    region=str(changes["region"]) if moved else None))
            except Exception as exc:  # the new name or region itself is bad: validate it below
                del exc
        for path, value in changes.items():
            _set(data, path, value)
        try:
            return from_data(data), []
        except ConfigError as exc:
            return None, exc.problems

    def set(self, path: str, value: Any) -> list[Problem]:
        """Apply one field, with every earlier refused value (a cpu waiting for a memory
        that fits it); returns the problems (empty when all were accepted)."""
        config, problems = self.propose({**self.pending, path: value})
        if config is None:
            self.pending[path] = value
            return problems
        self.pending.clear()
        if config != self.config:
            self.config = config
            self.dirty = True
            for listener in self.listeners:
                listener(config)
        return []

    def replace(self, config: Config, path: Path | None) -> None:
        """Start over from another config (a file just opened): nothing refused waits, nothing
        is unsaved. Listeners hear of it as of any change."""
        self.config, self.path, self.dirty = config, path, False
        self.pending.clear()
        for listener in self.listeners:
            listener(config)

    def forget(self, path: str) -> bool:
        """Drop the refused value waiting at `path` (its field is hidden now: the S3 fields
        when the source is CodeCommit); True if there was one."""
        return self.pending.pop(path, None) is not None

    @property
    def problems(self) -> list[Problem]:
        """What still stops the draft from being valid (refused values waiting)."""
        if not self.pending:
            return []
        return self.propose(dict(self.pending))[1]

    def save(self, path: Path) -> None:
        from bluegreen.model.configfile import save

        save(self.config, path)
        self.path = path
        self.dirty = False

    def yaml(self) -> str:
        return dump_text(self.config)
