"""The live monitor of one stack: what a person on call keeps open during a blue/green deployment.

    MonitorScreen(feed, offers, perform, *, probe_url="", sandbox=False, on_push=None)

- `feed` polls the stack (the watch core's `Poller` fits): `run(on_snapshot, stop)` calls
  `on_snapshot` with every new `Snapshot` until `stop` is set, `select(execution_id | None)`
  picks the execution whose stages and deployment are shown (None: the newest), `hurry()` asks
  for the next poll now.
- `offers(snapshot)` says which controls the snapshot allows (`bluegreen.watch.controls.offers`);
  `perform(snapshot, kind)` does one and answers a line (`functools.partial(controls.perform,
  session)`); it raises `bluegreen.errors.Failed` when AWS refuses.
- `probe_url` is GET every `probe_every` seconds in a thread (`bluegreen.aws.probe.probe`, with
  `sandbox` as it wants it); "" probes nothing.
- `on_push(progress)` builds and pushes a new image for the PUSH key, calling `progress(text)` (from
  any thread) for each step, and answers a line; None: the key
  says a push is not available here.

The most important facts sit on top and never scroll: the health word, the traffic split and its
history, the probe, the deployment's lifecycle with what waits for a person. The details below
(executions, task sets and targets, stages, service events, logs) scroll at small sizes.

A notice or an unreadable part is a dim line, never a modal; a control's answer or failure is a
line under the status (and a toast); polling that breaks is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bluegreen.aws.probe import Probe, probe
from bluegreen.errors import Failed
from bluegreen.watch.controls import ControlKind, Offer
from bluegreen.watch.snapshot import Snapshot, WaitKind
from screens.confirm import ConfirmScreen
from screens.widgets.control_keys import KEYS, ControlKeys
from screens.widgets.executions_table import ExecutionsTable
from screens.widgets.health_panel import HealthPanel
from screens.widgets.lifecycle_list import LifecycleList
from screens.widgets.log_tail import LogTail
from screens.widgets.probe_line import ProbeLine
from screens.widgets.service_events import ServiceEvents
from screens.widgets.stage_timeline import StageTimeline
from screens.widgets.status_line import StatusLine
from screens.widgets.traffic_bar import TrafficBar
from screens.widgets.weights_chart import WeightsChart


class Feed(Protocol):
    async def run(self, on_snapshot: Callable[[Snapshot], None], stop: asyncio.Event) -> None: ...

    def select(self, execution_id: str | None) -> None: ...

    def hurry(self) -> None: ...


Offers = Callable[[Snapshot], Sequence[Offer]]
Perform = Callable[[Snapshot, ControlKind], Awaitable[str]]
Push = Callable[[Callable[[str], None]], Awaitable[str]]  # on_push(progress): progress lines from any thread
Prober = Callable[[str, bool], Probe]

FOOTER_WORDS = {ControlKind.START: "Start", ControlKind.CONTINUE: "Continue", ControlKind.END_WAIT: "End wait",
                ControlKind.STOP: "Stop", ControlKind.ROLLBACK: "Roll back", ControlKind.RETRY: "Retry",
                ControlKind.PUSH: "Push"}
NO_PUSH = "pushing an image is not available in this monitor: run `bluegreen push` in a shell"
RETRY_POLL_S = 10.0
NARROW = 110  # columns: below, the detail panels stack (monitor.tcss)


class Polled(Message):
    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class ProbeAnswered(Message):
    def __init__(self, answer: Probe) -> None:
        super().__init__()
        self.answer = answer


class MonitorScreen(Screen[None]):
    """See the module doc. Escape dismisses it (with None); what follows is the front end's."""

    CSS_PATH = "monitor.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"control('{kind.value}')", FOOTER_WORDS[kind]) for kind, key in KEYS.items()),
        Binding("n", "newest", "Newest", show=False),  # said where it matters: on a pinned execution
        Binding("escape", "close", "Close"),
        Binding("f1", "help", "Help"),
    ]

    def __init__(self, feed: Feed, offers: Offers, perform: Perform, *, probe_url: str = "",
                 sandbox: bool = False, on_push: Push | None = None, probe_every: float = 3.0,
                 prober: Prober = probe) -> None:
        super().__init__()
        self.feed, self.offers, self.perform, self.on_push = feed, offers, perform, on_push
        self.probe_url, self.sandbox, self.probe_every, self.prober = probe_url, sandbox, probe_every, prober
        self.snapshot: Snapshot | None = None
        self.offered: tuple[Offer, ...] = ()
        self.acting: ControlKind | None = None  # a control being performed: one at a time
        self.stop = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield StatusLine(id="status")
        yield Static("", id="result")
        with Horizontal(id="top"):
            with Vertical(id="traffic", classes="panel"):
                yield TrafficBar(id="bar")
                yield WeightsChart(id="chart")
                yield ProbeLine(self.probe_url, id="probe")
            yield LifecycleList(id="lifecycle", classes="panel")
        with VerticalScroll(id="details"):
            with Horizontal(id="middle"):
                yield ExecutionsTable(id="executions", classes="panel")
                yield HealthPanel(id="health", classes="panel")
            with Horizontal(id="lower"):
                yield StageTimeline(id="stages", classes="panel")
                yield ServiceEvents(id="events", classes="panel")
            yield LogTail(id="logs", classes="panel")
        yield ControlKeys(id="keys")
        yield Footer(compact=True)  # every control key fits 100 columns

    def on_mount(self) -> None:
        self.query_one("#traffic").border_title = "Production traffic"
        self.sub_title = "monitor"
        self.query_one(ExecutionsTable).focus()
        self.poll()
        self.start_probe()

    def on_unmount(self) -> None:
        self.stop.set()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    # -- snapshots -----------------------------------------------------------------

    def deliver(self, snapshot: Snapshot) -> None:
        """The feed's callback: a message, so it may come from any thread."""
        self.post_message(Polled(snapshot))

    @work(group="feed", exit_on_error=False)
    async def poll(self) -> None:
        try:
            await self.feed.run(self.deliver, self.stop)
        except Exception as exc:  # the poller broke (not one part of a poll): say so, try again
            self.query_one(StatusLine).problem(f"polling stopped ({type(exc).__name__}: {exc}); "
                                               f"trying again in {RETRY_POLL_S:.0f} s")
            self.set_timer(RETRY_POLL_S, self.poll)

    def on_polled(self, message: Polled) -> None:
        self.show(message.snapshot)

    def show(self, snapshot: Snapshot) -> None:
        """Draw one snapshot on every panel."""
        self.snapshot = snapshot
        self.sub_title = f"{snapshot.target.stack} · monitor"
        try:
            self.offered = tuple(self.offers(snapshot))
        except Exception as exc:  # a bug in the rules must not take the monitor down
            self.offered = ()
            self.say(Text(f"controls unavailable: {type(exc).__name__}: {exc}", style="yellow"))
        deployment, now = snapshot.deployment, snapshot.taken_at
        with self.app.batch_update():
            self.query_one(StatusLine).show(snapshot)
            self.query_one(TrafficBar).show(snapshot)
            chart = self.query_one(WeightsChart)
            if deployment is not None:
                chart.record(deployment.id, now, snapshot.traffic[1])
            chart.show(deployment.id if deployment is not None else None)
            self.query_one(LifecycleList).show(deployment, now, self.wait_hint())
            self.query_one(ExecutionsTable).show(snapshot.executions, snapshot.selected)
            self.query_one(HealthPanel).show(snapshot)
            self.query_one(StageTimeline).show(snapshot.stages, snapshot.selected, now)
            self.query_one(ServiceEvents).show(snapshot.service)
            self.query_one(LogTail).show(snapshot.logs, snapshot.target.log_group)
            self.query_one(ControlKeys).show(self.offered, self.unavailable())

    def wait_hint(self) -> str:
        """The key that ends what the deployment waits for, when the snapshot allows it."""
        wait = self.snapshot.deployment.wait if self.snapshot and self.snapshot.deployment else None
        if wait is None:
            return ""
        kind = ControlKind.CONTINUE if wait.kind is WaitKind.READY else ControlKind.END_WAIT
        offer = self.offer(kind)
        if offer is None or not offer.enabled:
            return ""
        return f"{KEYS[kind]}: {'reroute now' if kind is ControlKind.CONTINUE else 'end it now'}"

    # -- executions ----------------------------------------------------------------

    @on(DataTable.RowSelected, "#executions")
    def pick(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.feed.select(str(event.row_key.value))
            self.feed.hurry()

    def action_newest(self) -> None:
        self.feed.select(None)
        self.feed.hurry()
        self.say(Text("showing the newest execution again", style="dim"))

    # -- the probe -----------------------------------------------------------------

    def start_probe(self) -> None:
        if self.probe_url and self.is_attached:
            self.run_probe()

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def run_probe(self) -> None:
        try:
            answer = self.prober(self.probe_url, self.sandbox)
        except Exception as exc:  # probe() answers its own failures; anything else is said, not raised
            answer = Probe(self.probe_url, False, f"probe failed: {type(exc).__name__}: {exc}")
        self.post_message(ProbeAnswered(answer))

    def on_probe_answered(self, message: ProbeAnswered) -> None:
        self.query_one(ProbeLine).answered(message.answer)
        self.set_timer(self.probe_every, self.start_probe)  # the next GET only after this one ended

    # -- controls ------------------------------------------------------------------

    def offer(self, kind: ControlKind) -> Offer | None:
        return next((o for o in self.offered if o.kind is kind), None)

    def unavailable(self) -> dict[ControlKind, str]:
        """Controls this front end cannot do, whatever the snapshot allows."""
        return {} if self.on_push is not None else {ControlKind.PUSH: NO_PUSH}

    def say(self, line: Text) -> None:
        result = self.query_one("#result", Static)
        result.update(line)
        result.set_class(bool(line.plain), "-shown")

    def refuse(self, why: str) -> None:
        self.notify(why, severity="warning")

    def action_control(self, kind_value: str) -> None:
        kind = ControlKind(kind_value)
        snapshot = self.snapshot
        offer = self.offer(kind)
        label = offer.label if offer is not None else FOOTER_WORDS[kind]
        if snapshot is None:
            self.refuse(f"{label}: not yet, the first poll has not answered")
        elif kind in self.unavailable():
            self.refuse(self.unavailable()[kind].capitalize())
        elif offer is None:
            self.refuse(f"{label}: not offered for this stack")
        elif not offer.enabled:
            self.refuse(f"{label}: {offer.why_not or 'not possible now'}")
        elif self.acting is not None:
            self.refuse(f"{label}: wait until {FOOTER_WORDS[self.acting].lower()} has answered")
        else:
            def answer(yes: bool | None) -> None:
                if yes:
                    self.act(offer, snapshot)

            self.app.push_screen(ConfirmScreen(offer.confirm, yes=offer.label, no="Cancel"), answer)

    @work(group="control", exit_on_error=False)
    async def act(self, offer: Offer, snapshot: Snapshot) -> None:
        self.acting = offer.kind
        self.say(Text(f"⠿ {offer.label}…", style="yellow"))
        try:
            if offer.kind is ControlKind.PUSH:
                assert self.on_push is not None  # unavailable() refused the key without it
                line = await self.on_push(self.push_progress)
            else:
                line = await self.perform(snapshot, offer.kind)
        except Failed as exc:
            text = Text(f"✗ {offer.label} failed: {exc.message}", style="bold red")
            if exc.fix:
                text.append(f" · fix: {exc.fix}", style="yellow")
            self.say(text)
            self.notify(str(exc), title=f"{offer.label} failed", severity="error")
        except Exception as exc:  # a bug, not an AWS refusal: said in full, the monitor goes on
            self.say(Text(f"✗ {offer.label} failed: {type(exc).__name__}: {exc}", style="bold red"))
            self.notify(f"{type(exc).__name__}: {exc}", title=f"{offer.label} failed", severity="error")
        else:
            self.say(Text(f"✓ {line}", style="green"))
            self.notify(line, title=offer.label)
        finally:
            self.acting = None
            self.feed.hurry()

    def push_progress(self, text: str) -> None:
        """A step of the push (build step, layer pushed), from the push's thread or this one."""
        line = Text(f"⠿ Push: {text}", style="yellow")
        try:
            asyncio.get_running_loop()  # only the app's own thread runs a loop here
        except RuntimeError:
            self.app.call_from_thread(self.say, line)
        else:
            self.say(line)

    def action_help(self) -> None:
        from screens.help import MONITOR_HELP, HelpScreen

        self.app.push_screen(HelpScreen(MONITOR_HELP))

    def action_close(self) -> None:
        self.dismiss(None)
