"""A listener: an aiohttp server that forwards each request to a target of one of its target
groups, chosen by weight, and streams the answer back, as an Application Load Balancer does.

ALB's own answers (its documented codes): 503 when the chosen group has no target to send to, 502
when the target refuses or breaks the connection or answers garbage, 504 when it does not answer in
time, 502 for a request still in flight when its target's deregistration delay runs out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from .groups import Target, TargetGroup

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded (plus the ones a
# Connection header names). Expect: the proxy reads the body itself before forwarding it.
HOP_BY_HOP = ("Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE",
              "Trailer", "Transfer-Encoding", "Upgrade", "Expect")
# Read into memory below this size (one write each way, and the request can be sent again after a
# refused connection); larger or unsized bodies are streamed.
BUFFERED_BODY = 256 * 1024
# Requests that may be sent to a second target after the first dropped the connection without
# answering (RFC 9110 9.2.2), as long as the body is in memory.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
NO_BODY_STATUS = frozenset({204, 304})
# ALB's own error pages (its `Server: awselb/2.0` header and nginx-style page).
REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def alb_error(status: int) -> web.Response:
    title = f"{status} {REASONS[status]}"
    page = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n")
    return web.Response(status=status, reason=REASONS[status], text=page, content_type="text/html",
                        headers={"Server": "awselb/2.0"})


def strip_hop_by_hop(headers: CIMultiDict[str]) -> CIMultiDict[str]:
    named = headers.get("Connection")
    for name in HOP_BY_HOP:
        headers.popall(name, None)
    if named:
        for name in named.split(","):
            headers.popall(name.strip(), None)
    return headers


class _Retry(Exception):
    """The target dropped the request before answering, and sending it elsewhere is safe."""


@dataclass(slots=True)
class Route:
    group: TargetGroup
    weight: int
    current: int = 0  # smooth weighted round robin's running credit


class Listener:
    def __init__(self, listener_id: str, session: aiohttp.ClientSession, idle_timeout_s: float) -> None:
        self.id = listener_id
        self._session = session
        self._idle_timeout_s = idle_timeout_s
        self.routes: tuple[Route, ...] = ()
        self._total = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._web: web.Server | None = None

    # --- weights -------------------------------------------------------------------------------

    def set_routes(self, routes: list[tuple[TargetGroup, int]]) -> None:
        # One assignment on the loop: a request sees the old weights or the new ones, never a mix.
        self.routes = tuple(Route(group, weight) for group, weight in routes)
        self._total = sum(weight for _, weight in routes)

    def choose(self) -> TargetGroup | None:
        """Smooth weighted round robin (nginx's): over any run of requests each group's share
        stays within one request of its weight, where a random draw would wander (at 200 requests
        a second a 30 % share drawn at random is off by 3 points in a typical second)."""
        if self._total == 0:
            return None
        best: Route | None = None
        for route in self.routes:
            route.current += route.weight
            if best is None or route.current > best.current:
                best = route
        assert best is not None
        best.current -= self._total
        return best.group

    # --- the server ----------------------------------------------------------------------------

    async def open(self, host: str, port: int) -> tuple[str, int]:
        # Keep-alive toward clients for ALB's default idle timeout; ALB's header limits (16 K per
        # line); no access log and no decompression (the body is passed on as it came).
        self._web = web.Server(self.handle, access_log=None, keepalive_timeout=self._idle_timeout_s,
                               auto_decompress=False, max_line_size=16384, max_field_size=16384)
        self._server = await asyncio.get_running_loop().create_server(self._web, host, port, reuse_address=True)
        bound = self._server.sockets[0].getsockname()
        self.port = int(bound[1])
        return str(bound[0]), self.port

    async def close(self, grace_s: float) -> None:
        """Stop accepting, let requests in flight finish for up to `grace_s`, then cut them."""
        if self._server is None or self._web is None:
            return
        # Stop accepting first and let the connections already accepted reach aiohttp (a few loop
        # turns): closing the server at once would drop them unclosed (Python 3.11 asserts in the
        # accept task of a closed server and leaks its socket), and aiohttp's shutdown would not
        # know them.
        loop = asyncio.get_running_loop()
        for sock in self._server.sockets:
            loop.remove_reader(sock.fileno())
        for _ in range(3):
            await asyncio.sleep(0)
        self._server.close()
        self._web.pre_shutdown()  # idle keep-alive connections close now
        await self._web.shutdown(grace_s)
        await self._server.wait_closed()
        self._server = None
        await asyncio.sleep(0)  # the transports close their sockets on the next turn

    # --- one request ---------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        group = self.choose()
        target = group.pick() if group is not None else None
        if group is None or target is None:
            return alb_error(503)
        headers = strip_hop_by_hop(CIMultiDict(request.headers))
        forwarded_for = headers.get("X-Forwarded-For")
        client = request.remote or ""
        headers["X-Forwarded-For"] = f"{forwarded_for}, {client}" if forwarded_for else client
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(self.port)
        body: bytes | aiohttp.StreamReader | None = None
        if request.body_exists:
            length = request.content_length
            body = await request.read() if length is not None and length <= BUFFERED_BODY else request.content
        try:
            return await self._exchange(request, target, headers, body)
        except _Retry:
            # The target went away before it saw the request (a task stopping): one more try on
            # another target of the same group, so that such a request does not fail.
            other = group.pick(avoid=target)
            if other is None:
                return alb_error(502)
            try:
                return await self._exchange(request, other, headers, body)
            except _Retry:
                return alb_error(502)

    async def _exchange(self, request: web.BaseRequest, target: Target, headers: CIMultiDict[str],
                        body: bytes | aiohttp.StreamReader | None) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        target.requests.add(task)
        response: web.StreamResponse | None = None
        try:
            url = URL(target.base + request.raw_path, encoded=True)
            async with self._session.request(request.method, url, headers=headers, data=body,
                                             allow_redirects=False) as upstream:
                out = strip_hop_by_hop(CIMultiDict(upstream.headers))
                length = upstream.content_length
                if (length is not None and length <= BUFFERED_BODY and request.method != "HEAD"
                        and upstream.status not in NO_BODY_STATUS):
                    return web.Response(status=upstream.status, reason=upstream.reason, headers=out,
                                        body=await upstream.read())
                response = web.StreamResponse(status=upstream.status, reason=upstream.reason, headers=out)
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        except asyncio.CancelledError:
            if not target.cut:  # the server is closing: not ours to handle
                raise
            task.uncancel()  # the deregistration delay ran out: ALB answers 502
            return self._fail(request, response, 502)
        except TimeoutError:  # connect (aiohttp's ConnectionTimeoutError) or answer
            return self._fail(request, response, 504)
        except aiohttp.ClientConnectorError as error:
            raise _Retry from error  # refused: nothing was sent, always safe to send elsewhere
        except aiohttp.ServerDisconnectedError as error:
            if response is None and request.method in IDEMPOTENT and not isinstance(body, aiohttp.StreamReader):
                raise _Retry from error
            return self._fail(request, response, 502)
        except (aiohttp.ClientError, OSError):
            return self._fail(request, response, 502)
        finally:
            target.requests.discard(task)

    @staticmethod
    def _fail(request: web.BaseRequest, response: web.StreamResponse | None, status: int) -> web.StreamResponse:
        if response is None:
            return alb_error(status)
        # The answer has started: the client can only learn of the failure by the connection
        # closing before the body is complete.
        if request.transport is not None:
            request.transport.abort()
        return response
