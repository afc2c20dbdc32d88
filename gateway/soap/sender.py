"""The gateway's outbound HTTP for SOAP calls: through the egress guard, with client
certificates when a connection has one.

Foreign exceptions of the HTTP client are translated here, as in
``gateway.proxy.upstream``.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import httpx

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.fetch import pinned_url
from gateway.security.egress import EgressGuard
from gateway.soap.auth import ClientCertificate

#: TLS contexts kept for connections with client certificates.
MAX_CERT_CLIENTS = 16


@dataclass
class HttpReply:
    """A complete HTTP answer."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        """The first value of header ``name`` (case-insensitive), or ``""``."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")


class Sender(Protocol):
    """Sends one request (POST unless a WSDL HTTP GET binding says otherwise) and
    returns the whole answer; the gateway provides it."""

    async def __call__(self, url: str, headers: dict[str, str], body: bytes, *,
                       method: str = "POST",
                       certificate: ClientCertificate | None = None) -> HttpReply: ...


class EgressSender:
    """A ``Sender`` that vets every URL with the egress guard and caps the answer."""

    def __init__(self, guard: EgressGuard, *, connect_timeout: float = 5.0,
                 read_timeout: float = 30.0, max_response_bytes: int = 50 * 1024 * 1024
                 ) -> None:
        self._guard = guard
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._max = max_response_bytes
        self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        self._cert_clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()

    async def __call__(self, url: str, headers: dict[str, str], body: bytes, *,
                       method: str = "POST",
                       certificate: ClientCertificate | None = None) -> HttpReply:
        target = await self._guard.acheck(url)
        client = self._client if certificate is None else await self._with_cert(certificate)
        default_port = 443 if target.scheme == "https" else 80
        host = target.host if target.port == default_port else f"{target.host}:{target.port}"
        request = client.build_request(method, pinned_url(target),
                                       headers={**headers, "host": host},
                                       content=body if method != "GET" else None,
                                       extensions={"sni_hostname": target.host})
        try:
            response = await client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max:
                        raise UpstreamUnreachable(
                            f"the SOAP answer from {target.host!r} is larger than "
                            f"{self._max} bytes")
                    chunks.append(chunk)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise UpstreamTimeout(f"the SOAP service {target.host!r} did not answer in time"
                                  ) from None
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable(f"the SOAP service {target.host!r} could not be reached "
                                      f"({type(exc).__name__})") from None
        return HttpReply(status=response.status_code,
                         headers=[(k, v) for k, v in response.headers.multi_items()],
                         body=b"".join(chunks))

    async def _with_cert(self, certificate: ClientCertificate) -> httpx.AsyncClient:
        key = certificate.fingerprint
        client = self._cert_clients.get(key)
        if client is None:
            client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False,
                                       verify=tls_context(certificate))
            self._cert_clients[key] = client
            while len(self._cert_clients) > MAX_CERT_CLIENTS:
                _, old = self._cert_clients.popitem(last=False)
                await old.aclose()
        self._cert_clients.move_to_end(key)
        return client

    async def aclose(self) -> None:
        """Close every client this sender opened."""
        await self._client.aclose()
        for client in self._cert_clients.values():
            await client.aclose()
        self._cert_clients.clear()


def tls_context(certificate: ClientCertificate) -> ssl.SSLContext:
    """A TLS context presenting ``certificate``, trusting the system CAs and its own CA.

    ``ssl`` reads certificates only from files, so the PEM is written to a private
    temporary file that is removed as soon as it has been read.
    """
    context = ssl.create_default_context()
    if certificate.trusted_ca:
        try:
            context.load_verify_locations(cadata=certificate.trusted_ca)
        except (ssl.SSLError, ValueError):
            raise BadRequest("the connection's server_ca_certificate is not PEM") from None
    with tempfile.TemporaryDirectory(prefix="portway-cert-") as directory:
        path = os.path.join(directory, "client.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(certificate.pem)
        try:
            context.load_cert_chain(path, password=certificate.password)
        except (ssl.SSLError, ValueError, OSError):
            raise BadRequest("the connection's client certificate cannot be used: it must be "
                             "PEM with the certificate and its private key") from None
    return context
