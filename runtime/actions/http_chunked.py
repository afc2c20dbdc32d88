"""Logic Apps' chunking protocol for ``Http`` actions with
``runtimeConfiguration.contentTransfer.transferMode: Chunked``.

Download (a request without a body): ``GET`` with ``Range: bytes=0-<size-1>``; while the
endpoint answers ``206`` with ``Content-Range: bytes a-b/total``, the next range is asked
for; the parts are joined into one ``200`` answer. An endpoint that answers anything but
206 simply gave the whole content.

Upload (a request with a body): first the method with no body and
``x-ms-transfer-mode: chunked`` + ``x-ms-content-length: <n>``; the endpoint answers
``200`` with a ``Location`` for the chunks and optionally ``x-ms-chunk-size``; each chunk
then goes as ``PATCH`` to that location with ``Content-Range: bytes a-b/n``. The last
PATCH's answer is the action's. An endpoint that does not answer the first step with a
Location does not speak the protocol: its answer is the action's.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from gateway import Answer, PayloadTooLarge, Services, send_http
from runtime.actions.base import Finding

#: Bytes per chunk when the endpoint does not say (``x-ms-chunk-size``).
DEFAULT_CHUNK_BYTES = 1024 * 1024
#: Parts of one download at most, so a hostile endpoint cannot keep the action forever;
#: the joined content is bounded like any answer (``egress.max_response_bytes``).
MAX_CHUNKS = 10_000
_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _mode(action: Mapping[str, Any]) -> Any:
    config = action.get("runtimeConfiguration")
    transfer = config.get("contentTransfer") if isinstance(config, Mapping) else None
    return transfer.get("transferMode") if isinstance(transfer, Mapping) else None


def wanted(action: Mapping[str, Any]) -> bool:
    mode = _mode(action)
    return isinstance(mode, str) and mode.lower() == "chunked"


def validate(action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
    mode = _mode(action)
    if mode is None or (isinstance(mode, str) and mode.lower() == "chunked"):
        return []
    return [Finding(f"{pointer}/runtimeConfiguration/contentTransfer/transferMode",
                    "'transferMode' must be 'Chunked'")]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


async def send(services: Services, method: str, url: str, headers: dict[str, str],
               body: bytes | None) -> Answer:
    """Send one Http action's request with chunking.

    Raises:
        gateway.PortwayError: The egress guard refused, or an exchange failed.
    """
    if body is None:
        return await _download(services, method, url, headers)
    return await _upload(services, method, url, headers, body)


async def _download(services: Services, method: str, url: str, headers: dict[str, str]
                    ) -> Answer:
    parts: list[bytes] = []
    start = 0
    first: Answer | None = None
    limit = services.settings.egress.max_response_bytes
    for _ in range(MAX_CHUNKS):
        ranged = {**headers, "Range": f"bytes={start}-{start + DEFAULT_CHUNK_BYTES - 1}"}
        answer = await send_http(services, method, url, headers=ranged)
        match = _RANGE.match(answer.header("content-range") or "")
        if answer.status != 206 or match is None:
            return answer if first is None else _joined(first, parts, complete=False)
        first = first or answer
        parts.append(answer.body)
        if sum(map(len, parts)) > limit:
            raise PayloadTooLarge(f"the chunked download is larger than the {limit} bytes "
                                  "an answer may have (egress.max_response_bytes)")
        end, total = int(match.group(2)), match.group(3)
        start = end + 1
        if (total != "*" and start >= int(total)) or not answer.body:
            break
    assert first is not None
    return _joined(first, parts, complete=True)


def _joined(first: Answer, parts: list[bytes], *, complete: bool) -> Answer:
    data = b"".join(parts)
    headers = [(k, v) for k, v in first.headers
               if k.lower() not in ("content-range", "content-length")]
    headers.append(("Content-Length", str(len(data))))
    return Answer(status=200 if complete else first.status, headers=headers, body=data)


async def _upload(services: Services, method: str, url: str, headers: dict[str, str],
                  body: bytes) -> Answer:
    content_type = _header(headers, "content-type") or "application/octet-stream"
    start_headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    start_headers.update({"x-ms-transfer-mode": "chunked",
                          "x-ms-content-length": str(len(body))})
    answer = await send_http(services, method, url, headers=start_headers, body=b"")
    location = answer.header("location")
    if answer.status >= 300 or not location:
        return answer
    target = urllib.parse.urljoin(url, location)
    size = _chunk_size(answer) or DEFAULT_CHUNK_BYTES
    offset = 0
    while offset < len(body) or offset == 0:
        chunk = body[offset:offset + size]
        end = offset + len(chunk) - 1
        chunk_headers = {**start_headers, "Content-Type": content_type,
                         "Content-Range": f"bytes {offset}-{max(end, 0)}/{len(body)}"}
        chunk_headers.pop("x-ms-content-length", None)
        answer = await send_http(services, "PATCH", target, headers=chunk_headers, body=chunk)
        if answer.status >= 300:
            return answer
        size = _chunk_size(answer) or size
        offset += max(len(chunk), 1)
    return answer


def _chunk_size(answer: Answer) -> int | None:
    text = answer.header("x-ms-chunk-size") or ""
    return int(text) if text.strip().isdigit() and int(text) > 0 else None
