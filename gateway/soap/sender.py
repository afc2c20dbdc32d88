"""What the SOAP handler needs of outbound HTTP: the ``Sender`` seam, its ``HttpReply``,
and TLS profiles for connections with client certificates.

Every SOAP request goes out through the proxy's transport (``gateway.soap.protocol``):
the egress guard, the pooled client, timeouts, retries where they apply and the error
codes of every proxied call; a client certificate only adds its ``TlsProfile``.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from gateway.errors import BadRequest
from gateway.proxy.upstream import TlsProfile
from gateway.soap.auth import ClientCertificate

#: TLS profiles kept for connections with client certificates.
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
    returns the whole answer; the gateway's goes through the proxy's transport."""

    async def __call__(self, url: str, headers: dict[str, str], body: bytes, *,
                       method: str = "POST",
                       certificate: ClientCertificate | None = None) -> HttpReply: ...


class TlsProfiles:
    """The TLS profiles of connections with client certificates, by fingerprint.

    Building a context reads the certificate and the CA bundle, so the last
    ``MAX_CERT_CLIENTS`` are kept; the outbound pool keys connections by the profile's
    key, so one certificate's connections never serve another's calls.
    """

    def __init__(self, size: int = MAX_CERT_CLIENTS) -> None:
        self._size = size
        self._profiles: OrderedDict[str, TlsProfile] = OrderedDict()

    def get(self, certificate: ClientCertificate) -> TlsProfile:
        key = f"client-cert:{certificate.fingerprint}"
        profile = self._profiles.get(key)
        if profile is None:
            profile = TlsProfile(key=key, context=tls_context(certificate))
            self._profiles[key] = profile
            while len(self._profiles) > self._size:
                self._profiles.popitem(last=False)
        self._profiles.move_to_end(key)
        return profile


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
