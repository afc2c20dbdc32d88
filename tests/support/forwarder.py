"""A TCP forwarder on loopback: what a pooler, a second listen address or a NAT rule in
front of a server looks like to a client (another port, the same server behind it)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@contextlib.contextmanager
def tcp_forwarder(host: str, port: int) -> Iterator[int]:
    """Forward a free port of 127.0.0.1 to ``host:port`` while the block runs; yields the
    port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    listening: list[asyncio.Server] = []

    async def serve(client_reader: asyncio.StreamReader,
                    client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(_pipe(client_reader, server_writer),
                                 _pipe(server_reader, client_writer))
        except asyncio.CancelledError:  # stopping: end as a finished connection does
            client_writer.close()
            server_writer.close()

    async def start() -> None:
        listening.append(await asyncio.start_server(serve, "127.0.0.1", 0))
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    started.wait(10)
    try:
        yield int(listening[0].sockets[0].getsockname()[1])
    finally:
        async def stop() -> None:
            listening[0].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
