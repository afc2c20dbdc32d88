"""HTTP/1.1 messages on a ``Connection``: the request head, the answer's head, its framing
(RFC 9112: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; else until close)
and its body as chunks within the read timeout and the size cap."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1.connection import Connection, Stale
from gateway.proxy.upstream import UpstreamRequest

_MAX_HEAD = 64 * 1024  # bytes in one response head (or in a chunked body's trailers)
_MAX_HEADERS = 200  # header lines in one response head
_MAX_INTERIM = 16  # 1xx answers before the final one
_MAX_CHUNK_LINE = 4096  # a chunk-size line with its extensions
_NO_BODY_STATUS = frozenset({204, 304})
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_DIGITS = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_STATUS_LINE = re.compile(r"HTTP/1\.([01]) ([1-5][0-9][0-9])(?: [^\x00-\x08\x0a-\x1f\x7f]*)?")
# One header line, checked and split in one match (this is on every call's path): the
# name a token (RFC 9110 §5.1), no control character in the value but the tab (§5.5;
# obs-text passes), the value without the blanks around it.
_FIELD = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*"
                    r"((?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)[ \t]*")


def _malformed(what: str) -> UpstreamUnreachable:
    return UpstreamUnreachable(f"the upstream sent a malformed answer ({what})",
                               details=[{"phase": "response", "reason": what}])


def _clean(text: str, what: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise BadRequest(f"the outbound {what} contains a line break")
    return text


def request_head(request: UpstreamRequest) -> bytes:
    target = request.target
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default:
        host = f"[{target.host}]"
    elif ":" in target.host:
        host = f"[{target.host}]:{target.port}"
    if " " in path:
        raise BadRequest("the outbound path contains a space")
    lines = [f"{_clean(request.method, 'method')} {_clean(path, 'path')} HTTP/1.1",
             f"Host: {host}"]
    body = request.body
    length: str | None = None
    for name, value in request.headers.items():
        key = name.lower()
        if key in _FRAMING:
            # Host and the body's framing are this client's to write: a second Host or a
            # Content-Length beside Transfer-Encoding is how requests get smuggled.
            if key == "content-length" and body is not None and not isinstance(body, bytes):
                length = value
            continue
        lines.append(f"{_clean(name, 'header name')}: {_clean(value, 'header value')}")
    if isinstance(body, bytes):
        lines.append(f"Content-Length: {len(body)}")
    elif body is None:
        if request.method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0")
    elif length is not None and _DIGITS.fullmatch(length):
        lines.append(f"Content-Length: {length}")
    else:
        lines.append("Transfer-Encoding: chunked")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        # The caller's header bytes arrive as latin-1 text and go out as the same bytes;
        # text beyond latin-1 (a secret or a policy's value, say) goes out as UTF-8.
        return b"".join(_line_bytes(line) + b"\r\n" for line in lines) + b"\r\n"


def _line_bytes(line: str) -> bytes:
    try:
        return line.encode("latin-1")
    except UnicodeEncodeError:
        return line.encode("utf-8")


async def send_stream(conn: Connection, body: AsyncIterator[bytes], chunked: bool,
                      request: UpstreamRequest, deadline: float) -> bool:
    """Writes a streamed body; False when the upstream answered before it was all sent.

    An upstream may refuse an upload early (a 413, a 401) and stop reading: its answer
    is what the caller should get, so sending stops as soon as a final head is buffered.
    """
    transport = conn.transport
    assert transport is not None
    async for chunk in body:
        if not chunk:
            continue
        if conn.buffer and _answered(conn.buffer):
            return False
        if chunked:
            transport.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            transport.write(chunk)
        # An upstream that stops reading the upload gets the read timeout, like silence.
        wait = min(request.timeouts.read, deadline - asyncio.get_running_loop().time())
        if wait <= 0:
            raise TimeoutError
        await conn.drain(wait)
    if chunked:
        transport.write(b"0\r\n\r\n")
    return True


def _answered(buffer: bytearray) -> bool:
    """Whether a final (not 1xx) answer's head has arrived."""
    return (buffer.startswith(b"HTTP/1.") and buffer[9:10] != b"1"
            and buffer.find(b"\r\n\r\n") >= 0)


async def read_head(conn: Connection, request: UpstreamRequest, deadline: float
                     ) -> tuple[int, list[tuple[str, str]], bool]:
    """The final answer's status, headers and whether the connection may be kept.

    Interim answers (100 Continue, 103 Early Hints) are skipped. Anything that is not a
    well-formed HTTP/1.x head (a bad status line, folded, nameless or control-character
    header lines, too large or too many) closes the connection and is an
    ``UpstreamUnreachable``: relaying it could split the answer toward the caller.
    """
    loop = asyncio.get_running_loop()
    started = False
    interim = 0
    while True:
        end = conn.buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(conn.buffer) > _MAX_HEAD:
                conn.close()
                raise _malformed("the response head is too large")
            if b"\n\n" in conn.buffer:
                # Bare LF line ends: no CRLF CRLF will ever come; say so now, not at the
                # read timeout.
                conn.close()
                raise _malformed("lines not ended by CRLF")
            started = started or bool(conn.buffer)
            if conn.closed:
                if not started:
                    raise Stale
                raise ConnectionResetError("the upstream closed mid-answer")
            wait = min(request.timeouts.read, deadline - loop.time())
            if wait <= 0:
                raise TimeoutError
            await conn.wait(wait)
            end = conn.buffer.find(b"\r\n\r\n")
        if end > _MAX_HEAD:
            conn.close()
            raise _malformed("the response head is too large")
        raw = conn.take(end + 4)
        lines = raw[:-4].decode("latin-1").split("\r\n")
        match = _STATUS_LINE.fullmatch(lines[0])
        if match is None:
            conn.close()
            raise _malformed("not an HTTP/1.x status line")
        status = int(match.group(2))
        if status == 101:
            conn.close()  # nothing asked to switch protocols
            raise _malformed("an unrequested 101 Switching Protocols")
        if len(lines) > _MAX_HEADERS + 1:
            conn.close()
            raise _malformed("too many header lines")
        try:
            headers = [_header(line) for line in lines[1:]]
        except ValueError as exc:
            conn.close()
            raise _malformed(str(exc)) from None
        if status < 200:
            started = True
            interim += 1
            if interim > _MAX_INTERIM:
                conn.close()
                raise _malformed("too many interim answers")
            continue  # an interim answer (100 Continue, 103 Early Hints)
        keep = match.group(1) == "1"
        for name, value in headers:
            if name.lower() == "connection":
                tokens = {token.strip().lower() for token in value.split(",")}
                if "close" in tokens:
                    keep = False
                elif "keep-alive" in tokens:
                    keep = True
        return status, headers, keep


def _header(line: str) -> tuple[str, str]:
    match = _FIELD.fullmatch(line)
    if match is None:
        if line[:1] in (" ", "\t"):
            raise ValueError("a folded header line")
        raise ValueError("a header line without a valid name, or a control character")
    return match.group(1), match.group(2)


def framing(method: str, status: int, headers: list[tuple[str, str]]
             ) -> tuple[int | None, bool]:
    """(length, chunked): length 0 for no body, None for until-close or chunked.

    Ambiguous framing is refused (RFC 9112 §6.3): Transfer-Encoding together with
    Content-Length, more than one Content-Length, a length that is not plain digits,
    or a transfer coding other than ``chunked`` alone. Two parties that read one
    message's length differently are how responses get split or smuggled.
    """
    if method == "HEAD" or status in _NO_BODY_STATUS or 100 <= status < 200:
        return 0, False
    lengths = [value for name, value in headers if name.lower() == "content-length"]
    codings = [value for name, value in headers if name.lower() == "transfer-encoding"]
    if codings:
        if lengths:
            raise _malformed("both Transfer-Encoding and Content-Length")
        tokens = [token.strip().lower() for value in codings for token in value.split(",")]
        if tokens != ["chunked"]:
            raise _malformed(f"an unsupported transfer coding {', '.join(codings)!r}")
        return None, True
    if not lengths:
        return None, False
    if len(lengths) > 1:
        raise _malformed("more than one Content-Length")
    if not _DIGITS.fullmatch(lengths[0]):
        raise _malformed("an invalid Content-Length")
    return int(lengths[0]), False


class Body:
    """The answer's body as chunks, de-chunked, within the read timeout and size cap."""

    def __init__(self, conn: Connection, length: int | None, chunked: bool,
                 request: UpstreamRequest, deadline: float, limit: int) -> None:
        self._conn = conn
        self._left = length
        self._chunked = chunked
        self._read_timeout = request.timeouts.read
        self._deadline = deadline
        self._limit = limit
        self._seen = 0
        self._host = request.target.host
        self.finished = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _need(self, size: int = 1) -> None:
        """Wait until at least ``size`` bytes are buffered."""
        conn = self._conn
        loop = asyncio.get_running_loop()
        while len(conn.buffer) < size:
            if conn.closed:
                raise EOFError
            wait = min(self._read_timeout, self._deadline - loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                await conn.wait(wait)
            except TimeoutError:
                conn.close()
                raise UpstreamTimeout(f"the upstream {self._host!r} stopped sending") from None

    def _count(self, chunk: bytes) -> bytes:
        self._seen += len(chunk)
        if self._seen > self._limit:
            self._conn.close()
            raise UpstreamResponseTooLarge(
                f"the upstream {self._host!r} sent more than {self._limit} bytes")
        return chunk

    async def _chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        try:
            if self._chunked:
                async for piece in self._dechunked():
                    yield piece
            elif self._left is not None:
                while self._left > 0:
                    await self._need()
                    piece = conn.take(self._left)
                    self._left -= len(piece)
                    yield self._count(piece)
            else:
                while True:
                    try:
                        await self._need()
                    except EOFError:
                        if conn.error is not None:
                            raise  # a reset is a break, not the answer's end
                        break  # the server closing is this answer's end
                    yield self._count(conn.take())
        except EOFError:
            conn.close()
            raise UpstreamUnreachable(f"the upstream {self._host!r} broke off mid-answer",
                                      details=[{"phase": "exchange"}]) from None
        self.finished = True

    async def _line(self, limit: int) -> bytes:
        """The next CRLF-ended line (without its CRLF), at most ``limit`` bytes."""
        conn = self._conn
        end = conn.buffer.find(b"\r\n")
        while end < 0:
            if len(conn.buffer) > limit:
                break
            await self._need(len(conn.buffer) + 1)
            end = conn.buffer.find(b"\r\n")
        if end < 0 or end > limit:
            conn.close()
            raise self._bad("an over-long chunk line")
        return conn.take(end + 2)[:-2]

    def _bad(self, what: str) -> UpstreamUnreachable:
        self._conn.close()
        return UpstreamUnreachable(f"the upstream {self._host!r} sent a bad chunk ({what})",
                                   details=[{"phase": "response", "reason": what}])

    async def _dechunked(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            size_text = (await self._line(_MAX_CHUNK_LINE)).split(b";", 1)[0].strip(b" \t")
            # int(x, 16) would also take "-5", "0x5" or "5_0": only plain hex digits pass.
            if not _HEX.fullmatch(size_text):
                raise self._bad("an invalid chunk size")
            size = int(size_text, 16)
            if size == 0:
                # Trailers (dropped: the relay has sent its head already) end with an
                # empty line; they count against the head's size limit.
                trailers = 0
                while True:
                    line = await self._line(_MAX_HEAD)
                    if not line:
                        return
                    trailers += len(line) + 2
                    if trailers > _MAX_HEAD:
                        raise self._bad("trailers too large")
            while size > 0:
                await self._need()
                piece = conn.take(size)
                size -= len(piece)
                yield self._count(piece)
            await self._need(2)
            if conn.take(2) != b"\r\n":
                raise self._bad("no line end after a chunk's data")
