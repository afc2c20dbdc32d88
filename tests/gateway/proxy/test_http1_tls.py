"""TLS in the one outbound client, against a real loopback TLS server whose private CA
is made with ``cryptography``: certificates verified, a request's own TLS profile (a
client certificate, the CA that signed the server), and pools kept apart by profile."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from gateway.errors import UpstreamUnreachable
from gateway.proxy.http1 import Http1Upstream
from gateway.proxy.upstream import Timeouts, TlsProfile, UpstreamRequest
from gateway.security.egress import VettedTarget
from gateway.soap.auth import ClientCertificate
from gateway.soap.sender import TlsProfiles
from tests.gateway.soap.services import Pki, make_pki


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@asynccontextmanager
async def tls_upstream(pki: Pki, directory: Path) -> AsyncIterator[tuple[int, list[str]]]:
    """A keep-alive HTTPS server for 127.0.0.1 that answers, on each connection, who the
    client certificate says the caller is ("none" without one)."""
    context = pki.server_context(str(directory))
    context.verify_mode = ssl.CERT_OPTIONAL
    connections: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert")
        who = dict(item[0] for item in peer["subject"])["commonName"] if peer else "none"
        connections.append(who)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                body = who.encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1], connections
    finally:
        server.close()


def _get(port: int, tls: TlsProfile | None = None) -> UpstreamRequest:
    target = VettedTarget(url=f"https://127.0.0.1:{port}/who", scheme="https",
                          host="127.0.0.1", port=port, address="127.0.0.1")
    return UpstreamRequest("GET", target, {}, None, Timeouts(2, 2, 5), 1000, tls=tls)


def test_client_certificates_get_connections_of_their_own(pki: Pki, tmp_path: Path) -> None:
    trusting = ssl.create_default_context(cadata=pki.ca)
    certificate = ClientCertificate(pem=pki.client_cert + pki.client_key, password=None,
                                    trusted_ca=pki.ca)
    profile = TlsProfiles().get(certificate)

    async def go() -> tuple[list[bytes], list[str]]:
        async with tls_upstream(pki, tmp_path) as (port, connections):
            client = Http1Upstream(ssl_context=trusting)
            try:
                bodies = []
                for tls in (None, profile, None, profile):
                    response = await client.send(_get(port, tls))
                    bodies.append(await response.read(1000))
            finally:
                await client.aclose()
            return bodies, connections

    bodies, connections = asyncio.run(go())
    client_name = bodies[1].decode()
    assert client_name != "none"
    assert bodies == [b"none", client_name.encode(), b"none", client_name.encode()]
    assert sorted(connections) == sorted(["none", client_name])  # two, each reused


def test_a_server_certificate_from_an_unknown_ca_is_refused(pki: Pki, tmp_path: Path) -> None:
    async def go() -> BaseException | None:
        async with tls_upstream(pki, tmp_path) as (port, _):
            client = Http1Upstream()  # the system's trust store only
            try:
                await client.send(_get(port))
            except UpstreamUnreachable as exc:
                return exc
            finally:
                await client.aclose()
        return None

    error = asyncio.run(go())
    assert isinstance(error, UpstreamUnreachable)
    assert error.details == [{"phase": "tls"}] and not error.retryable
    assert "TLS with '127.0.0.1' failed" in error.message
