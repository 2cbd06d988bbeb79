"""The monitor screen on a replayed deployment, to look at it as a user would (no AWS):

    PYTHONPATH=tests python -m support.monitor_demo [--every 1.0] [--failed]

The feed cycles through `support.snapshots.story()` (or the failed deployment); the controls are
the stand-ins of `support.monitor_feed` (their answers are made up); the probe GETs a small HTTP
server on 127.0.0.1 that answers "sample-website v1" or "v2" in the shown traffic split, through
the real `bluegreen.aws.probe.probe`. ctrl+q quits.
"""

from __future__ import annotations

import argparse
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from textual.app import App

from bluegreen.watch.snapshot import Snapshot
from screens.monitor import MonitorScreen
from support.monitor_feed import CyclingFeed, RecordingPerform, offers
from support.snapshots import failed_moment, story


class FakeSite:
    """Answers v1 or v2 with the green share of the snapshot last shown."""

    def __init__(self) -> None:
        self.green = 0.0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                version = "v2" if random.random() * 100 < site.green else "v1"
                body = f"<html><title>sample-website {version}</title></html>".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


class DemoApp(App[None]):
    CSS_PATH = "../../tui/app.tcss"

    def __init__(self, snapshots: list[Snapshot], every: float) -> None:
        super().__init__()
        self.site = FakeSite()
        feed = CyclingFeed(snapshots, every)
        original = feed.run

        async def run(on_snapshot: Any, stop: Any) -> None:
            def seen(snapshot: Snapshot) -> None:
                self.site.green = snapshot.traffic[1]
                on_snapshot(snapshot)

            await original(seen, stop)

        feed.run = run  # type: ignore[method-assign]
        self.monitor = MonitorScreen(feed, offers, RecordingPerform("the demo performed it (no AWS call)", delay=1),
                                     probe_url=self.site.url, sandbox=True)

    def on_mount(self) -> None:
        self.push_screen(self.monitor, lambda _: self.exit())

    def on_unmount(self) -> None:
        self.site.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=1.0, help="seconds between snapshots")
    parser.add_argument("--failed", action="store_true", help="show the failed deployment")
    args = parser.parse_args()
    snapshots = [failed_moment()] if args.failed else story()
    DemoApp(snapshots, args.every).run()


if __name__ == "__main__":
    main()
