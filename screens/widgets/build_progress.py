"""The widgets that show the background image build and push (`bluegreen.images.job`).

The job is one per wizard (`context.image_job`) and runs in a thread of its own, so the build
goes on while the user moves through the next steps. The widgets and screens watching it get
a `BuildUpdated` nudge (coalesced: a burst of log lines costs one refresh) and read the events
they have not shown yet. A screen that mounts later (Back to the Image step) replays them all.

`BuildProgress` is the full view (build steps, a bar per pushed layer, the log in a collapsible
pane, each error under the phase it happened in); `BuildStatusLine` is the one-line summary the
later steps show.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Collapsible, Log, ProgressBar, Static

from bluegreen.events import BuildDone, BuildLog, BuildStep, Event, PushDone, PushProgress
from bluegreen.images.job import ImageJob, Snapshot
from screens.context import WizardContext

LOG_LINES = 5000  # the log pane keeps the last lines only; the job keeps every event


class BuildUpdated(Message):
    """Something new happened in the build job; read it with `ImageJob.snapshot`."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BuildUpdated)


def watch_job(job: ImageJob, pump: MessagePump) -> Callable[[], None]:
    """Nudge `pump` with BuildUpdated on every change of the job (from the build's thread:
    post_message is thread-safe); returns what stops it."""

    def nudge() -> None:
        pump.post_message(BuildUpdated())

    job.watch(nudge)
    return lambda: job.unwatch(nudge)


# -- views ------------------------------------------------------------------------------


def size_text(n: int) -> str:
    """Bytes as a person reads them (decimal units, as the registry and docker report them)."""
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


class _Watching:
    """Mixin: watch the job while mounted, redraw from the events on each nudge."""

    job: ImageJob
    unwatch: Callable[[], None]

    def on_mount(self) -> None:
        self.unwatch = watch_job(self.job, self)  # type: ignore[arg-type]
        self.refresh_from_job()

    def on_unmount(self) -> None:
        self.unwatch()

    def on_build_updated(self, message: BuildUpdated) -> None:
        message.stop()
        self.refresh_from_job()

    def refresh_from_job(self) -> None:
        raise NotImplementedError


class BuildProgress(_Watching, Vertical):
    DEFAULT_CSS = """
    BuildProgress { height: auto; display: none; margin: 1 0 0 0; }
    BuildProgress.-active { display: block; }
    BuildProgress .phase { height: 1; }
    BuildProgress .phase-name { width: 8; text-style: bold; }
    BuildProgress .phase-text { width: 1fr; padding: 0 0 0 1; }
    BuildProgress ProgressBar { width: auto; }
    BuildProgress .error { color: $error; display: none; }
    BuildProgress .error.-shown { display: block; }
    BuildProgress #layers { height: auto; padding: 0 0 0 2; }
    BuildProgress .layer { height: 1; }
    BuildProgress .layer-id { width: 14; color: $text-muted; }
    BuildProgress .layer-status { width: 1fr; color: $text-muted; padding: 0 0 0 1; }
    BuildProgress #result { height: auto; }
    BuildProgress Collapsible { margin: 0; padding: 0; }
    BuildProgress Log { height: 12; }
    """

    def __init__(self, context: WizardContext, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job = context.image_job
        self.generation = -1
        self.seen = 0  # events already shown
        self.step_pair = (0, 0)
        self.layer_rows: dict[str, tuple[ProgressBar, Static]] = {}
        self.log_count = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="what")
        with Horizontal(classes="phase", id="build-phase"):
            yield Static("Build", classes="phase-name")
            yield ProgressBar(total=None, show_eta=False, id="build-bar")
            yield Static("", id="build-text", classes="phase-text")
        yield Static("", id="build-error", classes="error")
        with Horizontal(classes="phase", id="push-phase"):
            yield Static("Push", classes="phase-name")
            yield ProgressBar(total=None, show_eta=False, id="push-bar")
            yield Static("", id="push-text", classes="phase-text")
        yield Vertical(id="layers")
        yield Static("", id="push-error", classes="error")
        yield Static("", id="result")
        with Collapsible(title="Build log", collapsed=True, id="log-pane"):
            yield Log(max_lines=LOG_LINES, id="log")

    def refresh_from_job(self) -> None:
        snap = self.job.snapshot(self.seen)
        if snap.generation != self.generation:  # a new build: start from a clean view
            self.reset(snap.generation)
            snap = self.job.snapshot(0)
        self.set_class(snap.phase != "idle", "-active")
        self.query_one("#what", Static).update(f"[b]{snap.what}[/b]" if snap.what else "")
        lines: list[str] = []
        for event in snap.events:
            self.apply(event, lines)
        self.seen += len(snap.events)
        if lines:
            self.query_one("#log", Log).write_lines(lines)
            self.log_count += len(lines)
            self.query_one("#log-pane", Collapsible).title = f"Build log ({self.log_count} lines)"
        self.show_state(snap)

    def reset(self, generation: int) -> None:
        self.generation, self.seen, self.step_pair, self.log_count = generation, 0, (0, 0), 0
        self.layer_rows.clear()
        self.query_one("#layers", Vertical).remove_children()
        self.query_one("#log", Log).clear()
        for bar in self.query(ProgressBar):
            bar.update(total=None, progress=0)
        for name in ("#build-text", "#push-text", "#result", "#build-error", "#push-error"):
            self.query_one(name, Static).update("")

    def apply(self, event: Event, lines: list[str]) -> None:
        if isinstance(event, BuildLog):
            lines.append(event.line)
        elif isinstance(event, BuildStep):
            self.step_pair = (event.step, event.total)
            self.query_one("#build-bar", ProgressBar).update(total=event.total, progress=event.step - 1)
            self.query_one("#build-text", Static).update(f"step {event.step}/{event.total}  {event.text}")
        elif isinstance(event, BuildDone):
            bar = self.query_one("#build-bar", ProgressBar)
            bar.update(total=bar.total or 1, progress=bar.total or 1)
            self.query_one("#build-text", Static).update(f"[green]✓[/green] built {event.image_id[:19]}")
        elif isinstance(event, PushProgress):
            self.show_layer(event)
        elif isinstance(event, PushDone):
            bar = self.query_one("#push-bar", ProgressBar)
            bar.update(total=1, progress=1)
            what = "already in ECR, nothing to push" if event.skipped else f"pushed {size_text(event.size)}"
            self.query_one("#push-text", Static).update(f"[green]✓[/green] {what}")

    def show_layer(self, event: PushProgress) -> None:
        row = self.layer_rows.get(event.layer)
        if row is None:
            bar = ProgressBar(total=None, show_eta=False, show_percentage=True)
            status = Static("", classes="layer-status")
            self.query_one("#layers", Vertical).mount(
                Horizontal(Static(event.layer[:12], classes="layer-id"), bar, status, classes="layer"))
            row = self.layer_rows[event.layer] = (bar, status)
        bar, status = row
        if event.total:
            bar.update(total=event.total, progress=event.current)
        elif event.status in ("Pushed", "Layer already exists") or event.status.startswith("Mounted"):
            bar.update(total=1, progress=1)
        sizes = f"  {size_text(event.current)}/{size_text(event.total)}" if event.total else ""
        status.update(f"{event.status}{sizes}")
        done = sum(1 for b, _ in self.layer_rows.values() if b.total and b.progress >= b.total)
        push = self.query_one("#push-bar", ProgressBar)
        push.update(total=len(self.layer_rows), progress=done)
        self.query_one("#push-text", Static).update(f"{done}/{len(self.layer_rows)} layers")

    def show_state(self, snap: Snapshot) -> None:
        # A phase shows once it has begun: a local image is only pushed; a failed build never is.
        reached = snap.error_phase if snap.phase in ("failed", "cancelled") else snap.phase
        self.query_one("#build-phase").display = reached == "build" or self.step_pair != (0, 0)
        self.query_one("#push-phase").display = reached in ("push", "done") or bool(self.layer_rows)
        if reached == "build" and self.step_pair == (0, 0):
            self.query_one("#build-text", Static).update("starting the build…")
        build_error = self.query_one("#build-error", Static)
        push_error = self.query_one("#push-error", Static)
        for widget in (build_error, push_error):
            widget.set_class(False, "-shown")
        result = self.query_one("#result", Static)
        if snap.phase == "failed":
            # under the phase it happened in: the push, else the build (or what came before it)
            target = push_error if snap.error_phase == "push" else build_error
            target.update(f"✗ {snap.error}")
            target.set_class(True, "-shown")
            result.update("")
        elif snap.phase == "repository":
            result.update("checking the ECR repository…")
        elif snap.phase == "cancelled":
            result.update("[yellow]stopped[/yellow]")
        elif snap.phase == "done" and snap.result is not None:
            digest = snap.result.digest.split(":", 1)[-1][:12]
            result.update(f"[green]✓ in ECR:[/green] {snap.result.repository_uri}:{snap.result.tag}  "
                          f"[dim]digest {digest}[/dim]")
        else:
            result.update("")


class BuildStatusLine(_Watching, Static):
    """One line for the later steps: how the background build is doing."""

    DEFAULT_CSS = """
    BuildStatusLine { height: auto; display: none; color: $text-muted; margin: 1 0 0 0; }
    BuildStatusLine.-active { display: block; }
    """

    def __init__(self, context: WizardContext, id: str | None = "build-status") -> None:
        super().__init__("", id=id)
        self.job = context.image_job
        self.seen = 0
        self.generation = -1
        self.last = ""

    def refresh_from_job(self) -> None:
        snap = self.job.snapshot(self.seen)
        if snap.generation != self.generation:
            self.generation, self.seen, self.last = snap.generation, 0, ""
            snap = self.job.snapshot(0)
        self.seen += len(snap.events)
        for event in snap.events:
            if isinstance(event, BuildStep):
                self.last = f"step {event.step}/{event.total}"
            elif isinstance(event, PushProgress | BuildDone):
                self.last = "pushing"
        self.set_class(snap.phase != "idle", "-active")
        text = {
            "repository": "checking the ECR repository…",
            "build": f"building ({self.last or 'starting'})…",
            "push": "pushing to ECR…",
            "done": "[green]✓ pushed to ECR[/green]",
            "failed": "[red]✗ failed[/red] (step 1 says why)",
            "cancelled": "stopped",
        }.get(snap.phase, "")
        self.update(f"Image: {text}" if text else "")
