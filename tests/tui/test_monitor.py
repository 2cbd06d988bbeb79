"""The monitor screen, fed fixed snapshots (support.snapshots) through a scripted feed: the
executions table grows by row key, the lifecycle list and the traffic bar follow the snapshots,
the controls refuse with a reason, confirm, perform and report; notices stay quiet. SVG
snapshots at rest, mid-shift and after a failure (clock strings in UTC, probe answers fixed)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.monitor_feed import RecordingPerform, ScriptedFeed, offers
from support.pilot import SIZE, until
from support.snapshots import E1, E2, NEW, failed_moment, moment
from textual.app import App
from textual.widgets import Static
from textual.widgets._toast import Toast
from textual.widgets.data_table import RowKey

import tui.app
from bluegreen.aws.probe import Probe
from bluegreen.errors import Failed
from bluegreen.watch.controls import ControlKind
from bluegreen.watch.snapshot import Health, Snapshot, Wait, WaitKind
from screens.confirm import ConfirmScreen
from screens.monitor import MonitorScreen
from screens.widgets.control_keys import KEYS
from screens.widgets.executions_table import ExecutionsTable
from screens.widgets.lifecycle_list import LifecycleList
from screens.widgets.probe_line import ProbeLine
from screens.widgets.status_line import StatusLine
from screens.widgets.traffic_bar import TrafficBar
from screens.widgets.weights_chart import WeightsChart

URL = "http://demo-alb-1.us-east-1.elb.amazonaws.com:80/"


def answered(version: str) -> Probe:
    """A fixed probe answer: the page of `version`, in 12 ms."""
    return Probe(URL, True, f"HTTP 200 in 12 ms: sample-website {version}", 200, 12.0, f"sample-website {version}")


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Clock times are local: UTC here, so that every machine draws the same snapshot."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


class MonitorApp(App[None]):
    """An app that shows only the monitor, with the bluegreen app's styles."""

    CSS_PATH = str(Path(tui.app.__file__).with_name("app.tcss"))

    def __init__(self, screen: MonitorScreen) -> None:
        super().__init__()
        self.monitor = screen

    def on_mount(self) -> None:
        self.push_screen(self.monitor)


def monitor(feed: ScriptedFeed, perform: Any = None, **options: Any) -> MonitorApp:
    options.setdefault("probe_url", URL)
    options.setdefault("prober", lambda url, sandbox: answered("v2"))
    options.setdefault("probe_every", 3600)  # one GET, at mount: nothing moves during a test
    return MonitorApp(MonitorScreen(feed, offers, perform or RecordingPerform(), **options))


async def give(pilot: Any, feed: ScriptedFeed, *snapshots: Snapshot) -> None:
    """Hand snapshots to the screen and wait until it shows the last one."""
    feed.give(*snapshots)
    screen = pilot.app.monitor
    await until(pilot, lambda: screen.snapshot is snapshots[-1], 10, "the screen shows the last snapshot")
    await pilot.pause()


def toasts(app: App[Any]) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


def result(app: MonitorApp) -> str:
    return str(app.monitor.query_one("#result", Static).render())


# -- panels following the snapshots ---------------------------------------------------------


async def test_executions_table_gains_a_row_by_key_and_is_never_rebuilt() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(0))
        table = app.monitor.query_one(ExecutionsTable)
        assert table.row_order == [E1]
        first_row = table.rows[RowKey(E1)]

        await give(pilot, feed, moment(10))  # the push starts e2
        assert table.row_order == [E2, E1]  # newest first
        assert table.added == 2  # one row added, none added again
        assert table.rows[RowKey(E1)] is first_row  # e1's row is the same row
        assert table.get_cell(E2, "status").plain == "● InProgress"
        assert table.get_cell(E2, "source").plain == "v2@9b2c7e4 7d8e9f0"
        assert table.highlighted_id() == E2  # the snapshot now shows e2: the cursor follows

        await give(pilot, feed, moment(600))  # e2 ends: its cells change in place
        assert table.get_cell(E2, "status").plain == "✓ Succeeded"
        assert table.get_cell(E2, "duration").plain == "9m30s"  # 10 s to 580 s
        assert table.added == 2 and table.row_order == [E2, E1]


async def test_selecting_a_row_picks_the_execution_and_n_follows_the_newest_again() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(100))
        await pilot.press("down", "enter")
        assert feed.selected == [E1]
        assert feed.hurried == 1
        await pilot.press("n")
        assert feed.selected == [E1, None]


async def test_lifecycle_list_advances_and_marks_the_current_event() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        lifecycle = app.monitor.query_one(LifecycleList)
        seen = []
        for now in (25, 35, 45, 150, 275):
            await give(pilot, feed, moment(now))
            seen.append(lifecycle.current_name)
        assert seen == ["BeforeInstall", "Install", "AfterInstall", "AllowTraffic", "AfterAllowTraffic"]
        assert "▶ AfterAllowTraffic" in lifecycle.text
        assert lifecycle.border_title == f"Deployment {NEW} · InProgress"

        await give(pilot, feed, moment(400))  # every event done; the termination wait runs
        assert lifecycle.current_name == ""
        assert "Termination wait: the original task set is kept 3m00s more · t: end it now" in " ".join(lifecycle.text.split())


async def test_traffic_bar_and_chart_follow_snapshot_traffic() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        bar = app.monitor.query_one(TrafficBar)
        chart = app.monitor.query_one(WeightsChart)
        expected = {0: "blue 0% · green 100%",  # at rest: the last deployment's green has it all
                    50: "blue 100% · green 0%", 100: "blue 75% · green 25%", 150: "blue 50% · green 50%",
                    210: "blue 25% · green 75%", 300: "blue 0% · green 100%"}
        for now, labels in expected.items():
            snapshot = moment(now)
            await give(pilot, feed, snapshot)
            assert bar.labels == labels
            blue, green = snapshot.traffic
            assert f"blue {blue:.0f}%" in str(bar.render()) and f"green {green:.0f}%" in str(bar.render())
        # the chart kept what it saw of the new deployment, a step per minute of the shift
        assert [green for _, green in chart.history.of(NEW)] == [0.0, 25.0, 50.0, 75.0, 100.0]
        assert chart.shown == NEW


# -- controls ------------------------------------------------------------------------------


async def test_a_disabled_control_says_why_and_does_nothing() -> None:
    feed, perform = ScriptedFeed(), RecordingPerform()
    app = monitor(feed, perform)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(100))  # shifting: nothing waits for a reroute
        await pilot.press("c")
        await pilot.pause()
        assert "Continue: no deployment is waiting for reroute" in toasts(app)
        await pilot.press("p")  # no on_push: this front end cannot push
        await pilot.pause()
        assert "not available in this monitor" in toasts(app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert perform.calls == []


async def test_a_confirmed_control_calls_perform_and_shows_its_answer() -> None:
    feed = ScriptedFeed()
    perform = RecordingPerform("Termination wait of d-NEW2EXAMPLE ended: the original task set is being removed")
    app = monitor(feed, perform)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(300))
        await pilot.press("x")  # asked, then cancelled: nothing happens
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await pilot.pause()
        assert perform.calls == []

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert "End the termination wait of d-NEW2EXAMPLE now" in str(confirm.query_one(Static).render())
        await pilot.click("#yes")
        await until(pilot, lambda: "✓" in result(app), 10, "the answer")
        assert perform.calls == [(300, ControlKind.END_WAIT)]
        assert "Termination wait of d-NEW2EXAMPLE ended" in result(app)
        assert feed.hurried == 1  # the next poll comes now, to show the effect


async def test_a_failed_control_shows_message_and_fix() -> None:
    feed = ScriptedFeed()
    perform = RecordingPerform(error=Failed("CodeDeploy refused to stop d-NEW2EXAMPLE: it already succeeded",
                                            "nothing to stop; start a new execution to deploy again"))
    app = monitor(feed, perform)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(300))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        await until(pilot, lambda: "✗" in result(app), 10, "the failure")
        said = result(app)
        assert "Roll back failed: CodeDeploy refused to stop d-NEW2EXAMPLE: it already succeeded" in said
        assert "fix: nothing to stop; start a new execution to deploy again" in said
        assert perform.calls == [(300, ControlKind.ROLLBACK)]
        assert app.is_running  # the monitor goes on


async def test_push_goes_to_the_front_end() -> None:
    feed = ScriptedFeed()
    pushed: list[str] = []

    seen: list[str] = []

    async def on_push(progress: Callable[[str], None]) -> str:
        progress("build step 1/7")
        await asyncio.to_thread(progress, "pushing layer 3 of 3")  # the engine's thread says so too
        seen.append(result(app))
        pushed.append("demo:latest")
        return "pushed demo:latest (sha256:9b2c7e4): the pipeline starts"

    app = monitor(feed, on_push=on_push)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await give(pilot, feed, moment(0))
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        await until(pilot, lambda: "✓" in result(app), 10, "the push's answer")
        assert pushed == ["demo:latest"]
        assert seen == ["⠿ Push: pushing layer 3 of 3"]  # progress showed while it pushed
        assert "pushed demo:latest" in result(app)


async def test_throttling_and_unread_parts_show_quietly() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        snapshot = moment(100, notices=("AWS is throttling: polling every 12 s",))
        snapshot = replace(snapshot, errors=("logs: AccessDeniedException on FilterLogEvents",))
        await give(pilot, feed, snapshot)
        quiet = app.monitor.query_one(StatusLine).quiet_text
        assert "AWS is throttling: polling every 12 s" in quiet
        assert "not read: logs: AccessDeniedException on FilterLogEvents" in quiet
        assert app.screen is app.monitor and toasts(app) == ""  # no modal, no toast
        assert app.monitor.query_one(TrafficBar).labels == "blue 75% · green 25%"  # the rest is shown


async def test_a_broken_feed_is_said_not_raised() -> None:
    class Broken(ScriptedFeed):
        async def run(self, on_snapshot: Callable[[Snapshot], None], stop: Any) -> None:
            raise RuntimeError("lost the event loop's thread")

    app = monitor(Broken())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        status = app.monitor.query_one(StatusLine)
        await until(pilot, lambda: "polling stopped" in status.quiet_text)
        assert "(RuntimeError: lost the event loop's thread); trying again in 10 s" in status.quiet_text
        assert app.is_running


async def test_ready_wait_says_the_key_that_reroutes() -> None:
    feed = ScriptedFeed()
    app = monitor(feed)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        base = moment(75)
        assert base.deployment is not None
        wait = Wait(WaitKind.READY, moment(375).taken_at, 300.0, "STOP_DEPLOYMENT", base.taken_at)
        waiting = replace(base, health=Health.WAITING, deployment=replace(base.deployment, wait=wait))
        await give(pilot, feed, waiting)
        text = " ".join(app.monitor.query_one(LifecycleList).text.split())
        assert ("Green is ready; production traffic waits for continue: the deployment stops in 5m00s unless "
                "continued · c: reroute now") in text
        assert "WAITING FOR YOU" in app.monitor.query_one(StatusLine).main_text


# -- the probe -----------------------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[str]:
    """A page on 127.0.0.1 that calls itself sample-website v2."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><head><title>sample-website v2</title></head></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_probe_gets_the_url_again_and_again_in_a_thread(site: str) -> None:
    from bluegreen.aws.probe import probe

    feed = ScriptedFeed()
    app = monitor(feed, probe_url=site, sandbox=True, prober=probe, probe_every=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        line = app.monitor.query_one(ProbeLine)
        await until(pilot, lambda: len(line.recent) >= 3, 20, "three answers")
        assert line.last is not None and line.last.ok and line.last.answered_by == "sample-website v2"
        assert "✓ HTTP 200" in str(line.render())
        assert line.tally().startswith("last ") and "sample-website v2 \u00d7" in line.tally()


# -- snapshots -----------------------------------------------------------------------------


def monitor_snapshot(*snapshots: Snapshot, live: str = "v2") -> tuple[MonitorApp, Callable[[Any], Any]]:
    """The monitor after `snapshots`, its one probe answered by version `live`."""
    feed = ScriptedFeed()
    app = monitor(feed, prober=lambda url, sandbox: answered(live))

    async def run_before(pilot: Any) -> None:
        await give(pilot, feed, *snapshots)
        await until(pilot, lambda: app.monitor.query_one(ProbeLine).last is not None)
        await pilot.pause()

    return app, run_before


def test_monitor_at_rest_snapshot(snap_compare: Any) -> None:
    app, run_before = monitor_snapshot(moment(0), live="v1")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def mid_shift() -> list[Snapshot]:
    """From the push to 25/75 on the third minute of a linear shift, a snapshot every 10 s."""
    return [moment(now) for now in range(0, 221, 10)]


def test_monitor_mid_shift_snapshot(snap_compare: Any) -> None:
    app, run_before = monitor_snapshot(*mid_shift())
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_monitor_mid_shift_small_terminal_snapshot(snap_compare: Any) -> None:
    app, run_before = monitor_snapshot(*mid_shift())
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_monitor_after_failure_snapshot(snap_compare: Any) -> None:
    app, run_before = monitor_snapshot(*[moment(now) for now in range(0, 31, 10)], failed_moment(), live="v1")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_names_every_control_with_its_key_and_command() -> None:
    # the help table is written by hand: it must not drift from the keys and the CLI
    from screens.help import MONITOR_KEYS
    from tui.cli_watch import STEERING

    helped = {key: command for key, _, _, command in MONITOR_KEYS}
    assert {key: helped.get(key) for key in KEYS.values()} == {
        key: ("bluegreen push" if kind is ControlKind.PUSH else f"bluegreen deploy {kind.value}")
        for kind, key in KEYS.items()}
    assert [name for name, _ in STEERING] == [k.value for k in KEYS if k is not ControlKind.PUSH]
