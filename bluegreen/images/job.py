"""One background image build and push, as state a front end can watch: no UI in here.

The wizard starts it from the Image step and the user goes on to the next steps while it
runs, so it lives as long as the wizard (one per wizard) and runs in a daemon thread of its
own: a docker build step may be silent for minutes, and nothing should wait for it when the
wizard closes (`abandon()`). Every event is kept; watchers are plain callables told that
something changed, and read what they have not shown yet with `snapshot(since)`.

The ECR repository must exist to receive the push. Making it is the engine's business (its
node tags it as apply would), so the caller passes `ensure_repository` in: this layer does
not import the engine. Nor AWS discovery: how an error reads is given as `describe`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bluegreen.errors import Failed
from bluegreen.events import BuildDone, BuildLog, Event, PushDone, PushProgress

if TYPE_CHECKING:
    from bluegreen.aws.session import AwsSession
    from bluegreen.model.config import Config

Phase = Literal["idle", "repository", "build", "push", "done", "failed", "cancelled"]
RUNNING: tuple[Phase, ...] = ("repository", "build", "push")


class _Abandoned(Exception):
    """The wizard closed: stop reading the build's stream."""


@dataclass(frozen=True)
class Snapshot:
    generation: int  # bumps on every start, so a view knows to clear itself
    phase: Phase
    error: str
    error_phase: Phase  # the phase the error happened in
    what: str  # e.g. "my-app:latest from examples/sample-website/Dockerfile"
    result: PushDone | None
    events: list[Event]  # the events from the index asked for


class ImageJob:
    def __init__(self, describe: Callable[[BaseException], str] = str) -> None:
        self.describe = describe  # an error as one line (AWS code and likely cause)
        self.lock = threading.Lock()
        self.generation = 0
        self.phase: Phase = "idle"
        self.error = ""
        self.error_phase: Phase = "idle"
        self.what = ""
        self.result: PushDone | None = None
        self.events: list[Event] = []
        self.watchers: list[Callable[[], None]] = []
        self.abandoned: set[int] = set()  # builds whose wizard closed: their thread stops at its next line

    @property
    def running(self) -> bool:
        return self.phase in RUNNING

    def watch(self, nudge: Callable[[], None]) -> None:
        with self.lock:
            self.watchers.append(nudge)

    def unwatch(self, nudge: Callable[[], None]) -> None:
        with self.lock:
            if nudge in self.watchers:
                self.watchers.remove(nudge)

    def snapshot(self, since: int = 0) -> Snapshot:
        with self.lock:
            return Snapshot(self.generation, self.phase, self.error, self.error_phase, self.what,
                            self.result, list(self.events[since:]))

    # -- running ---------------------------------------------------------------------

    def start(self, session: AwsSession, config: Config, base_dir: Path, *, what: str,
              ensure_repository: Callable[[], bool], image_id: str | None = None) -> bool:
        """Build and push `config.image` (or push the local image `image_id`) in the background,
        after `ensure_repository()` (True when it created the repository). False if one runs."""
        with self.lock:
            if self.running:
                return False
            self.generation += 1
            generation = self.generation
            self.phase, self.error, self.error_phase, self.what, self.result = "repository", "", "idle", what, None
            self.events.clear()
        self._nudge()

        def run() -> None:
            self._run(session, config, base_dir, image_id, ensure_repository, generation)

        threading.Thread(target=run, name="bluegreen-image-build", daemon=True).start()
        return True

    def abandon(self) -> None:
        """The wizard is closing: the running build is left to its daemon thread, which stops
        at its next event; the job says "cancelled" at once."""
        with self.lock:
            if not self.running:
                return
            self.abandoned.add(self.generation)
        self._finish("cancelled", "")

    def _run(self, session: AwsSession, config: Config, base_dir: Path, image_id: str | None,
             ensure_repository: Callable[[], bool], generation: int) -> None:
        from bluegreen.images import build_push as images

        def on_event(event: Event) -> None:
            if generation in self.abandoned:
                raise _Abandoned  # stops reading the engine's stream
            self._emit(event)

        try:
            if ensure_repository():
                on_event(BuildLog(f"created the ECR repository {config.image.repository}"))
            if image_id is None:
                self._set_phase("build")
                images.build_and_push(session, config, on_event=on_event, base_dir=base_dir)
            else:
                self._set_phase("push")
                images.push(session, config, image_id, on_event=on_event)
        except _Abandoned:
            pass
        except Failed as exc:
            self._finish("failed", str(exc), generation)
        except Exception as exc:  # AWS or engine errors, as one line with their code
            self._finish("failed", self.describe(exc), generation)

    def _emit(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)
            if isinstance(event, BuildDone | PushProgress):
                self.phase = "push"
            elif isinstance(event, PushDone):
                self.phase, self.result = "done", event
        self._nudge()

    def _set_phase(self, phase: Phase) -> None:
        with self.lock:
            self.phase = phase
        self._nudge()

    def _finish(self, phase: Phase, error: str, generation: int | None = None) -> None:
        with self.lock:
            if generation is not None and generation in self.abandoned:
                return
            self.error_phase = self.phase
            self.phase, self.error = phase, error
        self._nudge()

    def _nudge(self) -> None:
        with self.lock:
            watchers = list(self.watchers)
        for nudge in watchers:
            try:
                nudge()
            except Exception:  # a view that went away (its App closed) must not stop the build
                continue
