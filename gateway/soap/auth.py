"""A SOAP connection's credentials, and putting them on a call.

Which kind a connection uses is the connection parameter set it named (``parameterSet``:
the WSDL importer's sets are named after the kinds), else what it holds: a
``certificate`` means a client certificate, an ``api_key`` an API key header, a
``username`` and ``password`` HTTP basic. WS-Security (a UsernameToken in the envelope,
``parameterSet: "wsse"``) shares basic's parameters, so it is only ever chosen by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from zeep.wsse.username import UsernameToken

from gateway.errors import BadRequest

AuthKind = Literal["none", "basic", "wsse", "apiKey", "clientCertificate"]
DEFAULT_API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class ClientCertificate:
    """A PEM certificate chain with its private key (and the key's password)."""

    pem: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    #: PEM of a private CA that signed the server's certificate, if not a public one.
    trusted_ca: str | None = None

    @property
    def fingerprint(self) -> str:
        """A stable name for caching TLS contexts; not secret, not reversible."""
        material = self.pem + "\0" + (self.password or "") + "\0" + (self.trusted_ca or "")
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class SoapCredentials:
    """What a connection holds to authenticate (``repr`` never shows a secret)."""

    kind: AuthKind = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    api_key_header: str = DEFAULT_API_KEY_HEADER
    certificate: ClientCertificate | None = None

    @classmethod
    def from_connection(cls, public: Mapping[str, Any], secrets: Mapping[str, str]
                        ) -> SoapCredentials:
        """Pick the credentials out of a connection's public and secret values."""
        values = {**public, **secrets}
        kind = str(values.get("parameterSet") or "")
        if not kind:
            if secrets.get("certificate"):
                kind = "clientCertificate"
            elif secrets.get("api_key"):
                kind = "apiKey"
            elif secrets.get("password") or values.get("username"):
                kind = "basic"
            else:
                kind = "none"
        if kind not in ("none", "basic", "wsse", "apiKey", "clientCertificate"):
            raise BadRequest(f"parameter set {kind!r} is not a SOAP sign-in (none, basic, "
                             "wsse, apiKey, clientCertificate)")
        certificate = None
        if kind == "clientCertificate":
            pem = secrets.get("certificate", "")
            if not pem:
                raise BadRequest("this connection uses a client certificate but holds none")
            certificate = ClientCertificate(
                pem, secrets.get("certificate_password") or None,
                str(values.get("server_ca_certificate") or "") or None)
        return cls(
            kind=kind,  # type: ignore[arg-type]
            username=str(values.get("username") or ""),
            password=str(secrets.get("password") or ""),
            api_key=str(secrets.get("api_key") or ""),
            api_key_header=str(values.get("api_key_header") or DEFAULT_API_KEY_HEADER),
            certificate=certificate,
        )

    def http_headers(self) -> dict[str, str]:
        """Headers that carry the credentials (basic and API key)."""
        if self.kind == "basic":
            import base64

            pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"authorization": f"Basic {pair}"}
        if self.kind == "apiKey":
            return {self.api_key_header.lower(): self.api_key}
        return {}

    def sign(self, envelope: etree._Element) -> etree._Element:
        """Add a WS-Security UsernameToken header to ``envelope`` when the kind is wsse."""
        if self.kind != "wsse":
            return envelope
        token = UsernameToken(self.username, self.password)  # type: ignore[no-untyped-call]
        signed: etree._Element = token.apply(envelope, {})[0]  # type: ignore[no-untyped-call]
        return signed
