"""The runtime cases' mock HTTP server: ordered rules, as the corpus README defines them.

A case's ``mocks.http`` holds ``rules[]`` (tried in order, the first that matches answers)
and a ``default_response``. Within a rule's ``match`` every criterion must hold; inside one
criterion the ``*_any_of`` lists are alternatives and ``headers_all`` / ``query_all`` are all
required (a ``null`` value: present with any value). ``nth_match_any_of`` /
``nth_match_none_of`` count, per rule, the requests that met all its other criteria, the
current one included, so a rule that does not answer still counts what reached its count
check, and a request answered by an earlier rule never reaches a later rule's counter.

``MockRules`` is that decision, pure; ``serve_mock()`` serves it on loopback (a Starlette
app under hypercorn, like the suite's other upstreams) and logs every request it receives:
method, path, query, headers in the order they arrived, body bytes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import serve_in_thread

CRITERIA = frozenset({
    "methods_any_of", "path_any_of", "x-ms-workflow-operation-name_any_of",
    "content_type_any_of", "headers_all", "query_all", "body_text_contains",
    "body_json_paths_all", "nth_match_any_of", "nth_match_none_of",
})
RESPOND_KEYS = frozenset({"status", "headers", "body", "delay_s", "from_exception", "note"})
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class LoggedRequest:
    """One request the mock received, exactly as it arrived."""

    method: str
    raw_path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        """The decoded absolute path, as the rules' ``path_any_of`` sees it."""
        return unquote(self.raw_path)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None

    def text(self) -> str:
        return self.body.decode("utf-8-sig", errors="replace")


@dataclass(frozen=True)
class Reply:
    """What the mock answers: status, headers, body bytes, after ``delay`` seconds."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay: float = 0.0
    rule: int | None = None


def body_bytes(body: Mapping[str, Any] | None) -> tuple[bytes, str | None]:
    """A case's body object (``content_type``, ``text`` / ``base64``, ``utf8_bom``)."""
    if body is None:
        return b"", None
    if "base64" in body:
        data = base64.b64decode(body["base64"])
    else:
        data = str(body.get("text", "")).encode("utf-8")
        if body.get("utf8_bom"):
            data = b"\xef\xbb\xbf" + data
    content_type = body.get("content_type")
    return data, str(content_type) if content_type is not None else None


def _delay(spec: Any) -> float:
    if spec is None:
        return 0.0
    if isinstance(spec, Mapping):
        low, high = spec["random_between"]
        return random.uniform(float(low), float(high))
    return float(spec)


def reply_of(respond: Mapping[str, Any] | None, rule: int | None = None) -> Reply:
    """The answer a rule's ``respond`` (or the ``default_response``) describes."""
    if respond is None:
        return Reply(200, rule=rule)
    unknown = set(respond) - RESPOND_KEYS
    if unknown:
        raise ValueError(f"unknown mock respond keys {sorted(unknown)}")
    delay = _delay(respond.get("delay_s"))
    if respond.get("from_exception"):
        # The original mock threw: its server answered 500 with an empty body.
        return Reply(500, delay=delay, rule=rule)
    data, content_type = body_bytes(respond.get("body"))
    headers = [(str(k), str(v)) for k, v in (respond.get("headers") or {}).items()]
    if content_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", content_type))
    return Reply(int(respond.get("status", 200)), tuple(headers), data, delay, rule)


def _path_matches(path: str, options: Sequence[Mapping[str, str]]) -> bool:
    for option in options:
        kind, value = option["type"], option["value"]
        if kind == "exact" and path == value:
            return True
        if kind == "contains" and value in path:
            return True
        if kind == "ends_with" and path.endswith(value):
            return True
        if kind not in ("exact", "contains", "ends_with"):
            raise ValueError(f"unknown path match type {kind!r}")
    return False


def json_path(value: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (``body.parameters.zipCode``, ``items.0``); (found, value)."""
    current = value
    for part in path.split(".") if path else []:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def _body_json_matches(request: LoggedRequest, checks: Sequence[Mapping[str, Any]]) -> bool:
    try:
        document = json.loads(request.text())
    except ValueError:
        return False
    for check in checks:
        found, value = json_path(document, check["path"])
        if not found or ("equals" in check and value != check["equals"]):
            return False
    return True


def criteria_hold(match: Mapping[str, Any], request: LoggedRequest) -> bool:
    """Every criterion of ``match`` except the match counters holds for ``request``."""
    unknown = set(match) - CRITERIA
    if unknown:
        raise ValueError(f"unknown mock match criteria {sorted(unknown)}")
    methods = match.get("methods_any_of")
    if methods and request.method.upper() not in {m.upper() for m in methods}:
        return False
    paths = match.get("path_any_of")
    if paths and not _path_matches(request.path, paths):
        return False
    names = match.get("x-ms-workflow-operation-name_any_of")
    if names and request.header("x-ms-workflow-operation-name") not in names:
        return False
    content_types = match.get("content_type_any_of")
    if content_types and request.header("content-type") not in content_types:
        return False
    for name, value in (match.get("headers_all") or {}).items():
        actual = request.header(name)
        if actual is None or (value is not None and actual != value):
            return False
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    for name, value in (match.get("query_all") or {}).items():
        if name not in query or (value is not None and query[name] != value):
            return False
    contains = match.get("body_text_contains")
    if contains is not None:
        needles = [contains] if isinstance(contains, str) else list(contains)
        if not all(needle in request.text() for needle in needles):
            return False
    json_checks = match.get("body_json_paths_all")
    return not json_checks or _body_json_matches(request, json_checks)


@dataclass
class MockRules:
    """A case's ``mocks.http``: which rule answers each request, counters included."""

    rules: Sequence[Mapping[str, Any]] = ()
    default_response: Mapping[str, Any] | None = None
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.rules)

    @classmethod
    def of(cls, http: Mapping[str, Any] | None) -> MockRules:
        http = http or {}
        return cls(list(http.get("rules") or []), http.get("default_response"))

    def answer(self, request: LoggedRequest) -> Reply:
        for index, rule in enumerate(self.rules):
            match = rule.get("match") or {}
            if not criteria_hold(match, request):
                continue
            self.counts[index] += 1
            count = self.counts[index]
            wanted = match.get("nth_match_any_of")
            if wanted and count not in wanted:
                continue
            if count in (match.get("nth_match_none_of") or ()):
                continue
            return reply_of(rule.get("respond"), index)
        return reply_of(self.default_response)


class MockServer:
    """The mock on loopback: load a case's rules, then read what it received."""

    def __init__(self) -> None:
        self.base_url = ""
        self._lock = threading.Lock()
        self._rules = MockRules()
        self._log: list[LoggedRequest] = []

    def load(self, http: Mapping[str, Any] | None) -> None:
        """Start a case: its rules with fresh counters, and an empty log."""
        with self._lock:
            self._rules = MockRules.of(http)
            self._log = []

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    async def _handle(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        logged = LoggedRequest(
            method=request.method,
            raw_path=bytes(raw_path).decode("latin-1").split("?", 1)[0],
            query=bytes(request.scope.get("query_string", b"")).decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1"))
                          for k, v in request.headers.raw),
            body=await request.body(),
        )
        with self._lock:
            self._log.append(logged)
            reply = self._rules.answer(logged)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/{path:path}", self._handle, methods=ALL_METHODS),
        ])


@contextlib.contextmanager
def serve_mock() -> Iterator[MockServer]:
    """A mock server on loopback, for as long as the block runs."""
    server = MockServer()
    with serve_in_thread(server.app()) as base:
        server.base_url = base
        server.load(None)
        yield server
