"""The SMTP built-in connector against a real SMTP server (aiosmtpd on loopback): what the
server received — envelope, headers, body, attachments — over plain SMTP and STARTTLS
with a login; hostile input refused before anything is sent; the egress guard in front."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from gateway import BadRequest, EgressDenied, EgressGuard, PortwayError
from runtime.builtins import load_providers, provider_for
from runtime.builtins.outbound import guarded_by
from runtime.builtins.smtp import SmtpProvider
from tests.support.certificates import self_signed
from tests.support.servers import free_port

USER, PASSWORD = "mailer", "s3cret-pw"


@dataclass
class Mailbox:
    """What the server accepted: (envelope sender, recipients, parsed message)."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=good, handled=False)


@pytest.fixture
def plain_server() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_login,
                            auth_require_tls=False)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[tuple[int, Mailbox]]:
    """STARTTLS required, login only after it; the client trusts the test's certificate
    (``SSL_CERT_FILE``, which the default context reads)."""
    cert, key = self_signed(tmp_path, "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_login,
                            tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


LOOPBACK = EgressGuard(["127.0.0.1"])


def _send(port: int, parameters: dict[str, Any], *, ssl_on: bool = False,
          password: str = PASSWORD, guard: EgressGuard = LOOPBACK) -> Any:
    connection = {"serverAddress": "127.0.0.1", "port": port, "userName": USER,
                  "password": password, "enableSSL": ssl_on}

    async def go() -> Any:
        with guarded_by(guard):
            return await SmtpProvider().invoke("sendEmail", connection, parameters)
    return asyncio.run(go())


def test_smtp_is_found_through_its_entry_point_as_logic_apps_addresses_it() -> None:
    load_providers()
    provider = provider_for("/serviceProviders/smtp")
    assert isinstance(provider, SmtpProvider)
    assert list(provider.operations()) == ["sendEmail"]
    secrets = [name for name, schema in provider.connection_parameters["properties"].items()
               if schema.get("x-ms-secret")]
    assert secrets == ["password"]


def test_an_email_with_copies_html_importance_and_attachments_arrives_as_sent(
        plain_server: tuple[int, Mailbox]) -> None:
    port, box = plain_server
    pdf = b"%PDF-1.4 not really\x00\xff"
    outputs = _send(port, {
        "from": "Orders <orders@example.com>", "to": "ann@example.com; bob@example.org",
        "cc": "carl@example.net", "bcc": "audit@example.com",
        "subject": "Order 42 — shipped", "body": "<p>Your order <b>42</b> shipped.</p>",
        "isHTML": True, "importance": "High", "readReceipt": "orders@example.com",
        "attachment": [
            {"fileName": "invoice.pdf", "contentData": base64.b64encode(pdf).decode(),
             "contentType": "application/pdf"},
            {"fileName": "logo.png", "contentData": base64.b64encode(b"PNG").decode(),
             "contentType": "image/png", "contentId": "logo"}]})
    assert outputs["body"]["response"].startswith("250 ")
    [(sender, recipients, message)] = box.received
    assert sender == "orders@example.com"
    assert recipients == ["ann@example.com", "bob@example.org", "carl@example.net",
                          "audit@example.com"]
    assert message["To"] == "ann@example.com, bob@example.org"
    assert message["Cc"] == "carl@example.net"
    assert message["Bcc"] is None and b"audit" not in message.as_bytes().split(b"\n\n")[0]
    assert message["Subject"] == "Order 42 — shipped"
    assert (message["Importance"], message["X-Priority"]) == ("high", "1")
    assert message["Disposition-Notification-To"] == "orders@example.com"
    body = message.get_body(("html",))
    assert body is not None and "<b>42</b>" in body.get_content()
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert parts["invoice.pdf"].get_content() == pdf
    assert parts["invoice.pdf"].get_content_type() == "application/pdf"
    assert parts["logo.png"]["Content-ID"] == "<logo>"


def test_a_plain_text_email_needs_only_from_and_to(plain_server: tuple[int, Mailbox]) -> None:
    port, box = plain_server
    _send(port, {"from": "a@example.com", "to": "b@example.com", "body": "hello"})
    [(_, recipients, message)] = box.received
    assert recipients == ["b@example.com"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "hello"
    assert message["Importance"] is None


def test_starttls_with_a_login_delivers_and_a_wrong_password_is_refused(
        tls_server: tuple[int, Mailbox]) -> None:
    port, box = tls_server
    _send(port, {"from": "a@example.com", "to": "b@example.com", "subject": "over TLS"},
          ssl_on=True)
    assert [m["Subject"] for _, _, m in box.received] == ["over TLS"]
    with pytest.raises(PortwayError) as refused:
        _send(port, {"from": "a@example.com", "to": "b@example.com"}, ssl_on=True,
              password="wrong-marker-pw")
    assert refused.value.code == "SmtpAuthenticationFailed"
    assert "wrong-marker-pw" not in str(refused.value)
    assert len(box.received) == 1


def test_enable_ssl_against_a_server_without_starttls_sends_nothing(
        plain_server: tuple[int, Mailbox]) -> None:
    port, box = plain_server
    with pytest.raises(PortwayError) as failed:
        _send(port, {"from": "a@example.com", "to": "b@example.com"}, ssl_on=True)
    assert failed.value.code == "SmtpTlsUnavailable"
    assert box.received == []


@pytest.mark.parametrize("parameters", [
    {"from": "a@example.com", "to": "b@example.com", "subject": "hi\r\nBcc: evil@x.com"},
    {"from": "a@example.com", "to": "b@example.com\r\nBcc: evil@x.com"},
    {"from": "a@example.com\nX-Evil: 1", "to": "b@example.com"},
    {"from": "a@example.com", "to": "not an address"},
    {"from": "a@example.com", "to": ""},
    {"from": "a@example.com;c@example.com", "to": "b@example.com"},
    {"from": "a@example.com", "to": "b@example.com", "importance": "Urgent"},
    {"from": "a@example.com", "to": "b@example.com",
     "attachment": [{"fileName": "x.txt\r\nX-Evil: 1", "contentData": "aGk="}]},
    {"from": "a@example.com", "to": "b@example.com",
     "attachment": [{"fileName": "x.txt", "contentData": "not base64!"}]},
    {"from": "a@example.com", "to": "b@example.com",
     "attachment": [{"fileName": "x.txt", "contentData": "aGk=", "contentType": "a/b\r\nc"}]},
    {"from": "a@example.com", "to": "b@example.com", "attachment": "aGk="},
    {"from": "a@example.com", "to": ";".join(f"u{n}@example.com" for n in range(501))},
])
def test_hostile_or_malformed_parameters_are_refused_and_nothing_is_sent(
        plain_server: tuple[int, Mailbox], parameters: dict[str, Any]) -> None:
    port, box = plain_server
    with pytest.raises(BadRequest):
        _send(port, parameters)
    assert box.received == []


def test_the_egress_guard_stands_in_front_of_the_smtp_server(
        plain_server: tuple[int, Mailbox]) -> None:
    port, box = plain_server
    with pytest.raises(EgressDenied):
        _send(port, {"from": "a@example.com", "to": "b@example.com"}, guard=EgressGuard())
    for host in ("127.0.0.1:25", "a/b", "", "x@127.0.0.1"):
        with pytest.raises((EgressDenied, BadRequest)):
            asyncio.run(SmtpProvider().invoke("sendEmail", {"serverAddress": host}, {
                "from": "a@example.com", "to": "b@example.com"}))
    assert box.received == []


def test_an_unreachable_server_is_a_retryable_upstream_error() -> None:
    port = free_port()
    with pytest.raises(PortwayError) as failed:
        _send(port, {"from": "a@example.com", "to": "b@example.com"})
    assert failed.value.code == "UpstreamUnreachable" and failed.value.retryable


def test_port_465_speaks_tls_from_the_first_byte(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed(tmp_path, "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    box = Mailbox()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this session is TLS from the start.
    controller = Controller(box, hostname="127.0.0.1", port=465, authenticator=_login,
                            ssl_context=context, auth_require_tls=False)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:  # the port is privileged or taken here
        pytest.skip(f"cannot listen on port 465: {exc}")
    try:
        _send(465, {"from": "a@example.com", "to": "b@example.com", "subject": "implicit"},
              ssl_on=True)
    finally:
        controller.stop()
    assert [m["Subject"] for _, _, m in box.received] == ["implicit"]
