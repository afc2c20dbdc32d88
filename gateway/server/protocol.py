"""One HTTP/1.1 connection: llhttp parses, the ASGI app answers, one request at a time.

The parser is llhttp (``httptools``) in its strict mode, so what RFC 9112 lets a
recipient refuse is refused: bare-LF line endings, obsolete line folding, control
characters in header values, ``Content-Length`` beside ``Transfer-Encoding``, malformed
chunks. Everything refused here is answered in the one error shape (``400``, ``414``,
``431``) and the connection is closed, since what follows the bad bytes cannot be framed.

Requests on a kept-alive connection are answered in order; one that arrives while the
previous is being answered (pipelining) waits, and reading stops until it is its turn.
Request bodies stream to the app as they arrive, with reading paused while more than
``BODY_HIGH_WATER`` bytes wait unread; answers stream out, waiting while the socket's
buffer is full.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any, Protocol, cast
from urllib.parse import unquote

import httptools
from starlette.types import ASGIApp, Message

from gateway.api.errors import error_body
from gateway.api.front import MAX_HEADER_BYTES, MAX_URL_BYTES
from gateway.ids import new_request_id
from gateway.logging import get_logger

log = get_logger("portway.server")

#: Unread request body bytes at which reading from the caller pauses.
BODY_HIGH_WATER = 256 * 1024
#: The most header fields one request may carry.
MAX_HEADER_COUNT = 200
#: How long a refused caller's further bytes are read and dropped before closing.
LINGER_SECONDS = 2.0
#: How often the connections' deadlines (keep-alive, headers, lingering) are checked.
SWEEP_SECONDS = 0.1

_STATUS_LINES = {status: f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")
                 for status, phrase in (
                     (100, "Continue"), (101, "Switching Protocols"), (200, "OK"),
                     (201, "Created"), (202, "Accepted"), (203, "Non-Authoritative Information"),
                     (204, "No Content"), (206, "Partial Content"), (207, "Multi-Status"),
                     (301, "Moved Permanently"), (302, "Found"), (303, "See Other"),
                     (304, "Not Modified"), (307, "Temporary Redirect"),
                     (308, "Permanent Redirect"), (400, "Bad Request"), (401, "Unauthorized"),
                     (403, "Forbidden"), (404, "Not Found"), (405, "Method Not Allowed"),
                     (406, "Not Acceptable"), (408, "Request Timeout"), (409, "Conflict"),
                     (410, "Gone"), (411, "Length Required"), (412, "Precondition Failed"),
                     (413, "Content Too Large"), (414, "URI Too Long"),
                     (415, "Unsupported Media Type"), (422, "Unprocessable Content"),
                     (429, "Too Many Requests"), (431, "Request Header Fields Too Large"),
                     (500, "Internal Server Error"), (501, "Not Implemented"),
                     (502, "Bad Gateway"), (503, "Service Unavailable"),
                     (504, "Gateway Timeout"))}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: Every request's ``scope["asgi"]`` (read-only by the ASGI specification's terms).
_ASGI = {"version": "3.0", "spec_version": "2.3"}
_NO_BODY_STATUSES = frozenset({204, 304})


def status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else f"HTTP/1.1 {status} Status\r\n".encode("latin-1")


class Lane(Protocol):
    """A way past ASGI for the requests it claims (the data plane's ``/apim`` calls,
    ``gateway.api.lane``): it answers through the ``RequestCycle`` directly, with
    ``receive``, ``send`` or ``respond``."""

    def claim(self, scope: dict[str, Any]) -> Any:
        """None for a request the app takes; else what the lane wants back with it (what
        it learnt deciding, so it need not work it out twice)."""

    def __call__(self, cycle: RequestCycle, claim: Any, /) -> Awaitable[None]: ...


#: Builds the lane for an app once it has started (None: every request goes to the app).
LaneFactory = Callable[[ASGIApp], "Lane | None"]


class ServerState:
    """What the connections of one server share: the app (and its lane), the lifespan's
    state, the limits and the open connections (for a graceful stop)."""

    def __init__(self, app: ASGIApp, *, lifespan_state: dict[str, Any],
                 keep_alive_seconds: float, header_seconds: float,
                 lane: Lane | None = None, max_connections: int = 0) -> None:
        self.app = app
        self.lane = lane
        self.lifespan_state = lifespan_state
        self.keep_alive_seconds = keep_alive_seconds
        self.header_seconds = header_seconds
        #: Connections kept open at once (0: no cap); one more is answered 503, closed.
        self.max_connections = max_connections
        self.refused_at_cap = 0
        self._cap_logged = 0.0
        self.connections: set[HttpProtocol] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False
        self._sweep: asyncio.TimerHandle | None = None
        self._date = b""
        self._date_second = -1

    def watch(self) -> None:
        """Make sure the connections' deadlines are looked at (``SWEEP_SECONDS`` apart):
        one timer for the server instead of two per request."""
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(SWEEP_SECONDS, self._look)

    def _look(self) -> None:
        self._sweep = None
        now = asyncio.get_running_loop().time()
        for conn in list(self.connections):
            if 0.0 < conn.deadline <= now:
                conn.deadline = 0.0
                conn.timed_out()
        if self.connections:
            self.watch()

    def count_refused_at_cap(self) -> None:
        """A connection over ``max_connections`` was refused: counted, and said in a
        warning once in ten seconds at most (a flood would otherwise flood the log)."""
        self.refused_at_cap += 1
        now = time.monotonic()
        if now - self._cap_logged >= 10.0:
            self._cap_logged = now
            log.warning("connections refused: the server's connection cap is reached",
                        max_connections=self.max_connections,
                        refused_so_far=self.refused_at_cap)

    def date_header(self) -> bytes:
        """``date: ...\\r\\n``, formatted once a second."""
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date = b"date: " + formatdate(now, usegmt=True).encode("latin-1") + b"\r\n"
        return self._date


class _Refused(Exception):
    """A request this server will not pass to the app: answered, then the connection
    closes."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class HttpProtocol(asyncio.Protocol):
    """One client connection (``asyncio.Protocol``: the loop calls it as bytes arrive)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        # The request being parsed, and the ones parsed but not yet answered.
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._hosts = 0
        self._expects = False
        self._parsing: RequestCycle | None = None
        self._current: RequestCycle | None = None
        self._waiting: deque[RequestCycle] = deque()
        #: When this connection is closed unless a request is under way (0: never).
        self.deadline = 0.0
        self._reading_paused = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._lingering = False
        self._eof = False
        self.closed = False

    # -- the connection --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio's, but behave as they do.
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        if transport.get_extra_info("sslcontext"):
            self.scheme = "https"
        cap = self.state.max_connections
        if cap and len(self.state.connections) >= cap:
            self._refuse_over_cap()
            return
        self.state.connections.add(self)
        self.state.watch()
        self._arm(self.state.keep_alive_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.state.connections.discard(self)
        self._disarm()
        for cycle in (self._current, self._parsing, *self._waiting):
            if cycle is not None:
                cycle.disconnected()
        self._waiting.clear()
        self._writable.set()

    def eof_received(self) -> bool | None:
        """The caller will send no more: close now when nothing is due, else after the
        answers to what it sent (it may well be waiting for them, half-closed)."""
        if self._lingering or (self._current is None and self._parsing is None):
            return None
        self._eof = True
        return True

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # after a refusal: read and dropped until the caller closes
        try:
            self.parser.feed_data(data)
        except _Refused as refused:
            self._refuse(refused.status, refused.code, refused.message)
        except httptools.HttpParserUpgrade:
            # Portway speaks no other protocol on this port (no WebSocket, no h2c): the
            # request is served as plain HTTP/1.1, and the upgrade is not taken.
            pass
        except httptools.HttpParserError as exc:
            # A refusal raised in a callback reaches here wrapped by the parser.
            cause = exc.__context__
            if isinstance(cause, _Refused):
                self._refuse(cause.status, cause.code, cause.message)
            else:
                self._refuse(400, "BadRequest", _parser_message(exc))

    # -- parser callbacks ------------------------------------------------------------

    def on_message_begin(self) -> None:
        # A request begins: it has this long to send its headers (however it trickles).
        self._arm(self.state.header_seconds)
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._hosts = 0
        self._expects = False

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_URL_BYTES:
            raise _Refused(414, "UriTooLong",
                           f"the request target is over {MAX_URL_BYTES} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > MAX_HEADER_BYTES or len(self._headers) >= MAX_HEADER_COUNT:
            raise _Refused(431, "HeadersTooLarge", "the request's headers are over "
                           f"{MAX_HEADER_BYTES} bytes or {MAX_HEADER_COUNT} fields")
        name = name.lower()
        if name == b"host":
            self._hosts += 1
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expects = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        headers = self._headers
        hosts = self._hosts
        version = parser.get_http_version()
        if hosts > 1 or (hosts == 0 and version == "1.1"):
            # RFC 9112 §3.2: exactly one Host in an HTTP/1.1 request.
            raise _Refused(400, "BadRequest", "an HTTP/1.1 request carries exactly one "
                           "Host header")
        url = self._url
        if url[:1] == b"/":
            raw_path, _, query = url.partition(b"?")
            raw_path = raw_path.partition(b"#")[0]
        elif url == b"*":
            raw_path, query = b"*", b""
        else:  # the absolute form: http://host/path?query
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                raise _Refused(400, "BadRequest", "the request target is not a URL") from None
            raw_path, query = parsed.path or b"/", parsed.query or b""
        method = parser.get_method().decode("ascii")
        keep_alive = parser.should_keep_alive() and not self.state.stopping
        scope: dict[str, Any] = {
            "type": "http", "asgi": _ASGI,
            "http_version": version, "server": self.server, "client": self.client,
            "scheme": self.scheme, "method": method, "root_path": "",
            "path": _decoded(raw_path), "raw_path": raw_path,
            "query_string": query, "headers": headers,
            "state": dict(self.state.lifespan_state) if self.state.lifespan_state else {},
        }
        cycle = RequestCycle(self, scope, keep_alive=keep_alive,
                             expects_continue=self._expects,
                             head=method == "HEAD", http10=version == "1.0")
        lane = self.state.lane
        if lane is not None:
            cycle.claim = lane.claim(scope)
            if cycle.claim is not None:
                cycle.lane = lane
        self._parsing = cycle
        self._disarm()
        if self._current is None:
            self._start(cycle)
        else:
            self._waiting.append(cycle)
            self._pause_reading()

    def on_body(self, body: bytes) -> None:
        cycle = self._parsing
        if cycle is not None:
            cycle.feed(body)

    def on_message_complete(self) -> None:
        cycle = self._parsing
        self._parsing = None
        if cycle is not None:
            cycle.finish_body()

    # -- running requests ------------------------------------------------------------

    def _start(self, cycle: RequestCycle) -> None:
        self._current = cycle
        cycle.task = task = self.loop.create_task(cycle.run())
        self.state.tasks.add(task)  # the task takes itself out when it ends (run)

    def cycle_done(self, cycle: RequestCycle) -> None:
        """The answer to ``cycle`` went out whole (or the connection is lost)."""
        if cycle is not self._current:
            return
        self._current = None
        if self.closed:
            return
        if not cycle.body_done:
            # The app left part of the body unread (or it was malformed): the next
            # request cannot be told apart from the rest of this one.
            self._linger()
            return
        if not cycle.keep_alive:
            self.close()
            return
        if self._waiting:
            self._start(self._waiting.popleft())
            if not self._waiting:
                self._resume_reading()
        elif self.state.stopping or self._eof:
            self.close()
        else:
            self._resume_reading()
            self._arm(self.state.keep_alive_seconds)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if not self._writable.is_set():
            await self._writable.wait()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def close_if_idle(self) -> None:
        """A graceful stop: a connection between requests closes now; a busy one closes
        after its answer (``cycle_done``)."""
        if self._current is None and self._parsing is None:
            self.close()

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer a request the parser or the limits refused, then close."""
        current = self._current
        if current is not None:
            # A request is under way: the bad bytes are in its body, or came after it.
            # Either way nothing more is read; its body, if unfinished, is broken.
            current.keep_alive = False
            self._waiting.clear()
            if not current.body_done:
                current.break_body(status, code, message)
            self._pause_reading()
            return
        request_id = new_request_id()
        self._write_error(status, code, message, request_id)
        log.info("request refused by the HTTP parser", status=status, code=code,
                 reason=message, request_id=request_id)
        self._linger()

    def _refuse_over_cap(self) -> None:
        """Answer a connection over ``max_connections`` with a 503 and close it at once:
        no lingering, since what is at stake is the file descriptors it holds."""
        self.state.count_refused_at_cap()
        self._lingering = True  # whatever it sends is not parsed
        request_id = new_request_id()
        self._write_error(503, "ServerBusy", "the gateway has as many connections open as "
                          "it takes; try again shortly", request_id, b"retry-after: 1\r\n")
        self.closed = True
        assert self.transport is not None
        self.transport.close()

    def _write_error(self, status: int, code: str, message: str, request_id: str,
                     extra: bytes = b"") -> None:
        body = error_body(code, message, request_id)
        encoded = request_id.encode("latin-1")
        self.write(b"".join((
            status_line(status), self.state.date_header(),
            b"content-type: application/json\r\n",
            b"content-length: ", str(len(body)).encode("latin-1"), b"\r\n",
            b"x-request-id: ", encoded, b"\r\nx-ms-client-request-id: ", encoded,
            b"\r\n", extra, b"connection: close\r\n\r\n", body)))

    def _linger(self) -> None:
        """Close after a refusal without losing the answer: closing a socket with unread
        bytes resets it, and a reset can overtake the answer on its way. So the write
        side is shut, and what the caller still sends is read and dropped until it
        closes, or ``LINGER_SECONDS`` pass (as nginx's lingering close does)."""
        transport = self.transport
        if transport is None or self.closed:
            return
        self._lingering = True
        self._resume_reading()
        if transport.can_write_eof():
            transport.write_eof()
        self._arm(LINGER_SECONDS)

    def pause_body(self) -> None:
        self._pause_reading()

    def resume_body(self) -> None:
        if not self._waiting:
            self._resume_reading()

    def _pause_reading(self) -> None:
        if not self._reading_paused and self.transport is not None and not self.closed:
            self._reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and self.transport is not None and not self.closed:
            self._reading_paused = False
            self.transport.resume_reading()

    def _arm(self, seconds: float) -> None:
        self.deadline = self.loop.time() + seconds  # the server looks while it has us

    def _disarm(self) -> None:
        self.deadline = 0.0

    def timed_out(self) -> None:
        """The deadline passed (``ServerState`` looks)."""
        if self._current is None:
            # Idle past the keep-alive time, or too slow sending a request's headers.
            self.close()


class RequestCycle:
    """One request and its answer: the ASGI ``receive`` and ``send`` of one call."""

    __slots__ = ("_body", "_body_size", "_broken", "_chunked", "_continue", "_head",
                 "_head_bytes", "_http10", "_length_left", "_more", "_response_done",
                 "_started", "body_done", "claim", "conn", "keep_alive", "lane", "scope",
                 "task")

    def __init__(self, conn: HttpProtocol, scope: dict[str, Any], *, keep_alive: bool,
                 expects_continue: bool, head: bool, http10: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self._continue = expects_continue
        self._head = head
        self._http10 = http10
        self._body: list[bytes] = []
        self._body_size = 0
        self._broken: tuple[int, str, str] | None = None
        self.body_done = False
        self._more: asyncio.Event | None = None  # made when the app waits for the body
        self._started = False
        self._head_bytes = b""
        self._response_done = False
        self._chunked = False
        self._length_left: int | None = None
        self.lane: Lane | None = None
        self.claim: Any = None
        self.task: asyncio.Task[None] | None = None

    # -- from the parser -------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        self._body.append(chunk)
        self._body_size += len(chunk)
        self._wake()
        if self._body_size > BODY_HIGH_WATER:
            self.conn.pause_body()

    def finish_body(self) -> None:
        self.body_done = True
        self._wake()

    def disconnected(self) -> None:
        self._wake()

    def _wake(self) -> None:
        if self._more is not None:
            self._more.set()

    def break_body(self, status: int, code: str, message: str) -> None:
        """The body's bytes were malformed: the app's next ``receive`` says the caller
        is gone, and an app that leaves the call unanswered gets this refusal sent."""
        self._broken = (status, code, message)
        self._wake()

    # -- the app's side --------------------------------------------------------------

    async def run(self) -> None:
        try:
            if self.lane is not None:
                await self.lane(self, self.claim)
            else:
                await self.conn.state.app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                self.conn.close()
                raise
            log.error("the app raised", error_type=type(exc).__name__, exc_info=exc)
            if not self._started and not self.conn.closed:
                await self._unanswered()
            else:
                self.conn.close()  # half an answer: the caller must see it break off
        else:
            if not self._response_done and not self.conn.closed:
                if not self._started:
                    if not self._broken:
                        log.error("the app returned without answering")
                    await self._unanswered()
                else:
                    self.conn.close()  # it stopped mid-answer
        finally:
            self.conn.state.tasks.discard(self.task)
            self.conn.cycle_done(self)

    async def receive(self) -> Message:
        if self.conn.closed or self._response_done or self._broken:
            return {"type": "http.disconnect"}
        if not self._body and not self.body_done:
            if self._continue:
                self._continue = False
                self.conn.write(_CONTINUE)
            self.conn.resume_body()
            if self._more is None:
                self._more = asyncio.Event()
            self._more.clear()
            await self._more.wait()
            if (self.conn.closed or self._broken) and not self.body_done and not self._body:
                return {"type": "http.disconnect"}
        chunk = b"".join(self._body) if len(self._body) != 1 else self._body[0]
        self._body.clear()
        self._body_size = 0
        self.conn.resume_body()
        return {"type": "http.request", "body": chunk, "more_body": not self.body_done}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._started:
                raise RuntimeError("the answer has already started")
            self._started = True
            self._head_bytes = self._response_head(message["status"],
                                                   message.get("headers", []))
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        if not self._started:
            raise RuntimeError("a body was sent before the answer started")
        conn = self.conn
        if self._response_done or conn.closed:
            return  # the caller left: the app may finish sending into nothing
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        # The head goes out with the first part of the body: one write for most answers.
        out = self._head_bytes
        self._head_bytes = b""
        if body and not self._head:
            if self._chunked:
                out += b"%x\r\n%b\r\n" % (len(body), body)
            else:
                if self._length_left is not None:
                    self._length_left -= len(body)
                out += body
        if not more:
            self._response_done = True
            if self._chunked:
                out += b"0\r\n\r\n"
        if out:
            conn.write(out)
        if not more:
            if self._length_left is not None and self._length_left > 0:
                self.keep_alive = False  # shorter than it said: the caller sees it cut
                conn.close()
        elif not conn.closed:
            await conn.drain()

    def respond(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """The whole answer at once, in one write (the lanes' way to answer): ``headers``
        are lower-case, with the ``content-length`` that frames ``body`` (or, for a HEAD,
        the length a GET would have), no ``date``, ``connection`` or
        ``transfer-encoding``."""
        if self._started:
            raise RuntimeError("the answer has already started")
        self._started = self._response_done = True
        conn = self.conn
        if conn.closed:
            return
        out = [status_line(status), *[b"%b: %b\r\n" % pair for pair in headers],
               conn.state.date_header()]
        self._unless_body_read()
        if not self.keep_alive:
            out.append(b"connection: close\r\n")
        elif self._http10:
            out.append(b"connection: keep-alive\r\n")
        out.append(b"\r\n")
        if not self._head:
            out.append(body)
        conn.write(b"".join(out))

    def _unless_body_read(self) -> None:
        """An answer that starts before the request's body has all arrived (a refusal of
        an upload, say) ends the connection, and says so in its head: the rest of the
        body is not read, so the next request could not be told apart from it, and a
        caller told to keep the connection would send its next request into the close."""
        if not self.body_done:
            self.keep_alive = False

    def _response_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        lines = [status_line(status)]
        length: int | None = None
        dated = False
        for name, value in headers:
            lowered = name.lower()
            dated = dated or lowered == b"date"
            if lowered == b"content-length":
                if length is not None:
                    continue  # one is enough
                length = int(value)
                lines.append(b"content-length: %d\r\n" % length)
                continue
            if lowered == b"connection":
                if value.lower() == b"close":
                    self.keep_alive = False
                continue  # set below, from keep_alive
            elif lowered == b"transfer-encoding":
                continue  # the framing is this server's to choose
            lines.append(b"%b: %b\r\n" % (name, value))
        if not dated:  # RFC 9110 §6.6.1; an app's own Date (and its place) is kept
            lines.append(self.conn.state.date_header())
        self._unless_body_read()
        if length is not None:
            self._length_left = 0 if self._head else length
        elif status in _NO_BODY_STATUSES or status < 200 or self._head:
            pass
        elif self._http10:
            self.keep_alive = False  # the end of the body is the end of the connection
        else:
            self._chunked = True
            lines.append(b"transfer-encoding: chunked\r\n")
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        elif self._http10:
            lines.append(b"connection: keep-alive\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    async def _unanswered(self) -> None:
        """Answer for an app that did not: the body's refusal, else a 500."""
        request_id = str(self.scope.get("state", {}).get("request_id") or new_request_id())
        status, code, message = self._broken or (
            500, "InternalError", "an unexpected error occurred; see the logs with this "
            "request id")
        body = error_body(code, message, request_id)
        encoded = request_id.encode("latin-1")
        self.keep_alive = False
        await self.send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
            (b"x-request-id", encoded), (b"x-ms-client-request-id", encoded)]})
        await self.send({"type": "http.response.body", "body": body})


def _decoded(raw_path: bytes) -> str:
    """The path as ASGI gives it: percent-decoded, as UTF-8."""
    if b"%" not in raw_path:
        try:
            return raw_path.decode("ascii")
        except UnicodeDecodeError:
            pass
    return unquote(raw_path.decode("latin-1"))


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


def _parser_message(exc: Exception) -> str:
    """What was wrong, in words a caller can act on (llhttp's reason, bounded)."""
    reason = str(exc).strip()[:200] or "malformed"
    return f"the request is not well-formed HTTP/1.1: {reason}"
