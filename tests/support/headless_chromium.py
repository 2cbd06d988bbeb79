"""A headless Chromium driven over the Chrome DevTools Protocol (CDP), for tests of pages served
on loopback: no browser download, no driver, only Debian's `chromium` and aiohttp's websocket.

The browser reaches 127.0.0.1 and nothing else: every host name resolves to nothing and any other
address goes to a proxy that does not exist (a page that asks for a web font gets no answer). Its
profile is a temporary folder; `close()` ends the browser's process group.

    async with HeadlessChromium.start(tmp_path) as browser:
        page = await browser.page()
        await page.goto("http://127.0.0.1:8000/")
        text = await page.evaluate("document.title")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CdpError(RuntimeError):
    pass


class Page:
    """One tab, through its own CDP websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            waiting = self._waiting.pop(data.get("id", -1), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
        for waiting in self._waiting.values():  # the browser went away
            if not waiting.done():
                waiting.set_exception(CdpError("the browser closed the connection"))

    async def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = answer
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        data = await asyncio.wait_for(answer, timeout)
        if "error" in data:
            raise CdpError(f"{method}: {data['error']}")
        return dict(data.get("result") or {})

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def objects_with(self, prototype_expression: str, predicate: str) -> str | None:
        """Find one object on the page's heap (CDP Runtime.queryObjects) whose prototype chain holds
        ``prototype_expression`` and for which the JavaScript ``predicate(o)`` is true; it is kept
        as ``window.__found`` and its remote id returned (None when none is)."""
        proto = await self.send("Runtime.evaluate", expression=prototype_expression)
        heap = await self.send("Runtime.queryObjects", prototypeObjectId=proto["result"]["objectId"])
        found = await self.send(
            "Runtime.callFunctionOn", objectId=heap["objects"]["objectId"], returnByValue=True,
            functionDeclaration="function(){ const p = " + predicate + "; const hit = this.find(o => {"
                                " try { return p(o); } catch (e) { return false; } });"
                                " window.__found = hit; return hit !== undefined; }")
        return "window.__found" if found.get("result", {}).get("value") else None

    async def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) in the middle of the element."""
        box = await self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        await self._ws.close()


class HeadlessChromium:
    def __init__(self, process: subprocess.Popen[bytes], port: int, session: aiohttp.ClientSession) -> None:
        self.process = process
        self.port = port
        self._session = session
        self._pages: list[Page] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, profile_dir: Path, executable: str | None = None,
                    timeout_s: float = 30.0) -> AsyncIterator[HeadlessChromium]:
        executable = executable or find_chromium()
        if executable is None:
            raise FileNotFoundError("no chromium on PATH (Debian package chromium)")
        profile_dir.mkdir(parents=True, exist_ok=True)
        (profile_dir / "DevToolsActivePort").unlink(missing_ok=True)  # a reused profile's old port
        process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
             "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile_dir}", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-default-apps", "--disable-dev-shm-usage",
             # loopback only: no name resolves, and any other address meets a proxy that is not there
             "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
             "--proxy-server=http://127.0.0.1:9", "--window-size=1280,800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        session = aiohttp.ClientSession()
        browser: HeadlessChromium | None = None
        try:
            port = await _devtools_port(profile_dir, process, timeout_s)
            browser = cls(process, port, session)
            yield browser
        finally:
            if browser is not None:
                await browser._close_pages()
            await session.close()
            _end(process)

    async def page(self) -> Page:
        """The browser's first tab."""
        async with self._session.get(f"http://127.0.0.1:{self.port}/json/list") as answer:
            targets = await answer.json()
        url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        page = Page(await self._session.ws_connect(url, max_msg_size=64 * 1024 * 1024))
        self._pages.append(page)
        return page

    async def _close_pages(self) -> None:
        for page in self._pages:
            with contextlib.suppress(Exception):
                await page.close()


async def _devtools_port(profile_dir: Path, process: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Chromium writes the port it chose to DevToolsActivePort in its profile."""
    marker = profile_dir / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode} before it listened")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(marker.read_text().splitlines()[0])
        await asyncio.sleep(0.05)
    raise TimeoutError(f"chromium did not write {marker} within {timeout_s:g} s")


def _end(process: subprocess.Popen[bytes]) -> None:
    """End the browser and its helper processes (its own process group). The browser is waited
    for without being reaped first, so its group id cannot have been reused when the helpers that
    outlived it are killed."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the leader is at most a zombie: the group is still ours
    process.wait(timeout=10)
