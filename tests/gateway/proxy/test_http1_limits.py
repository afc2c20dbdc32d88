"""The outbound pool's limits against real loopback upstreams that count connections:
per origin and in all, the bounded wait for a free connection, and idle expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from gateway.errors import ConfigError, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.http1 import Http1Upstream
from gateway.proxy.upstream import Timeouts, UpstreamRequest
from gateway.security.egress import VettedTarget
from gateway.settings import load_settings


@dataclass
class Counts:
    accepted: int = 0
    open: int = 0
    most_open: int = 0
    closed: int = 0


@asynccontextmanager
async def counting_upstream(delay: float = 0.0) -> AsyncIterator[tuple[int, Counts]]:
    """A keep-alive HTTP/1.1 server on loopback that answers each request after ``delay``
    seconds and counts the connections open at once."""
    counts = Counts()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counts.accepted += 1
        counts.open += 1
        counts.most_open = max(counts.most_open, counts.open)
        try:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                await asyncio.sleep(delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        finally:
            counts.open -= 1
            counts.closed += 1
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, counts
    finally:
        server.close()


def _get(port: int, host: str = "127.0.0.1", connect: float = 2.0) -> UpstreamRequest:
    target = VettedTarget(url=f"http://{host}:{port}/x", scheme="http", host=host,
                          port=port, address="127.0.0.1")
    return UpstreamRequest(method="GET", target=target, headers={}, body=None,
                           timeouts=Timeouts(connect, 5, 10), max_response_bytes=1000)


async def _call(client: Http1Upstream, request: UpstreamRequest) -> bytes:
    response = await client.send(request)
    return await response.read(1000)


def test_connections_to_one_origin_stay_within_its_limit() -> None:
    async def go() -> Counts:
        async with counting_upstream(delay=0.05) as (port, counts):
            client = Http1Upstream(max_connections_per_origin=2)
            try:
                bodies = await asyncio.gather(*[_call(client, _get(port)) for _ in range(8)])
                assert bodies == [b"ok"] * 8
                assert client.pool.open() == 2
            finally:
                await client.aclose()
            return counts

    counts = asyncio.run(go())
    assert counts.most_open == 2
    assert counts.accepted == 2  # the waiting calls took the connections as they came back


def test_the_total_limit_holds_across_origins_and_makes_room_from_idle_ones() -> None:
    async def go() -> tuple[Counts, Counts]:
        async with counting_upstream() as (port_a, a), counting_upstream() as (port_b, b):
            client = Http1Upstream(max_connections=1)
            try:
                assert await _call(client, _get(port_a)) == b"ok"  # then idle, to a
                assert await _call(client, _get(port_b)) == b"ok"  # a's is closed for it
                await asyncio.sleep(0.05)
                assert (a.open, b.open) == (0, 1)
                assert client.pool.open() == 1
                assert await _call(client, _get(port_b)) == b"ok"  # reused
            finally:
                await client.aclose()
            return a, b

    a, b = asyncio.run(go())
    assert (a.accepted, b.accepted) == (1, 1)


def test_the_wait_for_a_free_connection_is_bounded_by_the_connect_timeout() -> None:
    async def go() -> tuple[BaseException | bytes, float, bytes]:
        async with counting_upstream(delay=1.0) as (port, counts):
            client = Http1Upstream(max_connections_per_origin=1)
            try:
                busy = asyncio.ensure_future(_call(client, _get(port)))
                await asyncio.sleep(0.05)
                started = time.monotonic()
                try:
                    second: BaseException | bytes = await _call(client,
                                                                _get(port, connect=0.2))
                except UpstreamTimeout as exc:
                    second = exc
                elapsed = time.monotonic() - started
                first = await busy
            finally:
                await client.aclose()
            assert counts.accepted == 1
            return second, elapsed, first

    second, elapsed, first = asyncio.run(go())
    assert first == b"ok"
    assert isinstance(second, UpstreamTimeout)
    assert second.details == [{"phase": "pool"}] and second.retryable  # nothing was sent
    assert "became free" in second.message and "limits 1 and 1024" in second.message
    assert 0.15 < elapsed < 0.8


def test_origins_are_told_apart_by_host_name_even_on_one_address() -> None:
    async def go() -> Counts:
        async with counting_upstream(delay=0.05) as (port, counts):
            client = Http1Upstream(max_connections_per_origin=1)
            try:
                names = ["127.0.0.1", "localhost", "127.0.0.1", "localhost"]
                bodies = await asyncio.gather(*[_call(client, _get(port, host=name))
                                                for name in names])
                assert bodies == [b"ok"] * 4
            finally:
                await client.aclose()
            return counts

    counts = asyncio.run(go())
    assert counts.most_open == 2 and counts.accepted == 2


def test_idle_connections_are_closed_after_the_idle_time_without_another_call() -> None:
    async def go() -> tuple[Counts, int]:
        async with counting_upstream() as (port, counts):
            client = Http1Upstream(idle_seconds=0.2)
            try:
                assert await _call(client, _get(port)) == b"ok"
                assert counts.open == 1
                await asyncio.sleep(0.6)  # the sweep closes it
                left = client.pool.open()
            finally:
                await client.aclose()
            return counts, left

    counts, left = asyncio.run(go())
    assert (counts.closed, left) == (1, 0)


def test_a_refused_connect_gives_its_place_back() -> None:
    async def go() -> int:
        async with counting_upstream() as (port, _):
            pass  # closed: nothing listens there now
        client = Http1Upstream(max_connections_per_origin=1)
        try:
            for _ in range(3):
                with pytest.raises(Exception, match="could not be reached"):
                    await _call(client, _get(port))
            return client.pool.open()
        finally:
            await client.aclose()

    assert asyncio.run(go()) == 0


def test_the_head_size_limit_is_the_clients_setting() -> None:
    async def go() -> tuple[BaseException | None, bytes]:
        big = b"HTTP/1.1 200 OK\r\nX-Big: " + b"b" * 300 + b"\r\nContent-Length: 2\r\n\r\nok"

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(big)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        strict, roomy = Http1Upstream(max_head_bytes=200), Http1Upstream(max_head_bytes=400)
        try:
            try:
                await _call(strict, _get(port))
                refused: BaseException | None = None
            except UpstreamUnreachable as exc:
                refused = exc
            return refused, await _call(roomy, _get(port))
        finally:
            await strict.aclose()
            await roomy.aclose()
            server.close()

    refused, body = asyncio.run(go())
    assert isinstance(refused, UpstreamUnreachable)
    assert "the response head is too large" in refused.message
    assert body == b"ok"


@pytest.mark.parametrize("key, value", [("max_connections", "0"),
                                        ("max_connections_per_origin", "-1"),
                                        ("idle_seconds", "0"),
                                        ("max_response_head_bytes", "0")])
def test_limits_below_one_are_refused_at_start(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"proxy.{key}"):
        load_settings(environ={f"PORTWAY_PROXY_{key.upper()}": value}, config_file=None)
