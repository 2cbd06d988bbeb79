"""`bluegreen serve`: the app in a real headless Chromium, through textual-serve.

The browser test starts `bluegreen serve` on a free loopback port (its own process group) serving
a real app, opens the page, clicks Start, and reads xterm.js's own buffer (the terminal draws on a
canvas: its text is read from the Terminal object on the page's heap, found over the DevTools
protocol). Browser, server and app processes are ended even when the test fails.

The page serves the monitor of a stack applied on the test sandbox (`bluegreen watch -f F
--sandbox`), as `bluegreen serve -f F --sandbox` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.headless_chromium import CdpError, HeadlessChromium, Page

from tui.cli import main
from tui.serve import is_loopback, page_url, served_command

# A text the monitor shows once it has polled the stack the browser test serves.
FIRST_SCREEN = "pipeline served"

# never through a proxy: this test's HTTP goes to 127.0.0.1 only
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# The terminal's visible lines, from the Terminal object xterm.js keeps (window.__found.terminal)
READ_SCREEN = """(() => {
  const term = window.__found.terminal, buffer = term.buffer.active, lines = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
})()"""


# --- the command line, without a browser -----------------------------------------------------------


def test_served_command_lines(tmp_path: Path) -> None:
    config = tmp_path / "bluegreen.yaml"
    assert served_command(None, True, None, None, ["bluegreen"]) == ["bluegreen", "wizard", "--sandbox"]
    assert served_command(None, False, None, None, ["bluegreen"]) == ["bluegreen", "wizard", "--sandbox"]  # as bare bluegreen
    assert served_command(config, False, "dev", "eu-west-1", ["bluegreen"]) == [
        "bluegreen", "watch", "-f", str(config.resolve()), "--profile", "dev", "--region", "eu-west-1"]
    assert served_command(config, True, None, None, ["bluegreen"]) == [
        "bluegreen", "watch", "-f", str(config.resolve()), "--sandbox"]
    assert Path(served_command(None, True, None, None)[0]).name == "bluegreen"  # this installation's


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.1", "example.com", ""))
    assert page_url("::1", 8000) == "http://[::1]:8000" and page_url("127.0.0.1", 8) == "http://127.0.0.1:8"


def test_refusals_exit_2_with_the_flag_the_rule_and_the_fix(tmp_path: Path) -> None:
    runner = CliRunner()
    public = runner.invoke(main, ["serve", "--host", "0.0.0.0"])
    assert public.exit_code == 2
    (line,) = public.output.strip().splitlines()
    assert "--host 0.0.0.0 is not a loopback address" in line and "--public" in line
    assert "Fix: serve on --host 127.0.0.1" in line

    profile = runner.invoke(main, ["serve", "--profile", "dev"])
    assert profile.exit_code == 2 and "go with -f F" in profile.output

    missing = runner.invoke(main, ["serve", "-f", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "none.yaml" in missing.output


def test_a_taken_port_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"error: cannot listen on http://127.0.0.1:{port}: Address already in use. "
                                     "Fix: pick another --port.")


def test_help_lists_serve() -> None:
    listing = CliRunner().invoke(main, ["--help"]).output
    assert "serve " in listing and "in a browser" in listing
    assert "--public" in CliRunner().invoke(main, ["serve", "--help"]).output


# --- in a browser -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _group_members(pgid: int) -> list[int]:
    """Processes of a process group (from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@contextlib.contextmanager
def serving(arguments: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`bluegreen serve ARGS` on a free loopback port until the page answers; stopped with Ctrl-C
    (SIGINT) afterwards, and whatever is left of its process group killed."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from tui.cli import main; main()", "serve", "--port", str(port), *arguments],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"bluegreen serve exited: {log.read_text(errors='replace')[-2000:]}"
            with contextlib.suppress(OSError), _OPENER.open(url + "/", timeout=2) as answer:
                if answer.status == 200:
                    break
            assert time.monotonic() < deadline, "bluegreen serve did not answer within 60 s"
            time.sleep(0.1)
        yield url, process
    finally:
        _stop(process)


def _interrupt(process: subprocess.Popen[bytes], limit_s: float = 20) -> bool:
    """Ctrl-C (SIGINT) for serve; True once it exited, waited for without being reaped (so its
    process group id stays its own until ``_stop``)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C for serve, then SIGKILL for anything left in its group, then reap it."""
    if process.returncode is not None:
        return
    _interrupt(process)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


async def _wait_for(page: Page, expression: str, what: str, limit_s: float) -> Any:
    """Poll a JavaScript expression until it is truthy: a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + limit_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await page.evaluate(expression)
        except CdpError as exc:  # the page is navigating (Start reloads it): its context is gone
            last = exc
        else:
            if last:
                return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {limit_s:g} s (last: {last!r})")


@pytest.mark.browser
async def test_the_monitor_runs_in_a_headless_chromium(chromium: str, sandbox: Any, tmp_path: Path) -> None:
    from support.engine import put_tiny_image, run_apply, session_for, stack_config

    from bluegreen.model.configfile import dump_text

    config = stack_config("served")
    session = session_for(sandbox)
    put_tiny_image(session)
    applied, _ = await asyncio.to_thread(run_apply, session, config)
    assert applied.ok
    config_file = tmp_path / "bluegreen.yaml"
    config_file.write_text(dump_text(config))
    env = {**os.environ, "BLUEGREEN_SANDBOX_URL": sandbox.endpoint_url}
    log = tmp_path / "serve.log"
    with serving(["-f", str(config_file), "--sandbox"], env, log) as (url, process):
        async with HeadlessChromium.start(tmp_path / "profile", chromium) as browser:
            page = await browser.page()
            # ?delay shows textual-serve's Start button instead of starting at once: press it
            await page.goto(url + "/?delay=1")
            await _wait_for(page, "(() => { const b = document.querySelector('#start');"
                                  " return b !== null && getComputedStyle(b).display !== 'none'; })()",
                            "the Start button", 30)
            await page.click("#start")
            await _wait_for(page, "document.body !== null && document.body.classList.contains('-first-byte')",
                            "the app's first output on the page", 60)
            found = await page.objects_with("Object.prototype",
                                            "o => o.terminal && o.websocket_url !== undefined && o.terminal.buffer")
            assert found, "no xterm.js terminal on the page"
            screen = await _wait_for(page, f"(() => {{ const s = {READ_SCREEN}; "
                                           f"return s.includes({FIRST_SCREEN!r}) ? s : ''; }})()",
                                     f"{FIRST_SCREEN!r} in the terminal", 60)
            assert "monitor" in screen and "Production traffic" in screen and "Executions" in screen, screen
            app = [pid for pid in _group_members(process.pid)
                   if b"watch" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            assert app, "no app process in serve's process group"
        # what a user's Ctrl-C does: serve ends, and quits the app processes it started
        assert _interrupt(process), "bluegreen serve did not end on Ctrl-C"
        deadline = time.monotonic() + 10
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_members(process.pid) == [], "app processes outlived bluegreen serve"
    assert process.returncode == 0, log.read_text(errors="replace")[-2000:]
