"""The SMTP built-in connector: send an email, addressed as Logic Apps Standard does.

``"serviceProviderId": "/serviceProviders/Smtp"``, operation ``sendEmail``; the
connection's ``parameterValues`` are ``serverAddress``, ``port``, ``userName``,
``password`` (a secret) and ``enableSSL``, compared case-insensitively (Logic Apps
projects write them both ways). The action's parameters are ``from``, ``to``, ``cc``,
``bcc`` (addresses separated by ``;`` or ``,``), ``subject``, ``body``, ``isHTML``,
``importance`` (``Normal``, ``High``, ``Low``), ``readReceipt``, ``deliveryReceipt``
(addresses) and ``attachment`` (``[{fileName, contentData (base64), contentType,
contentId}]``); its outputs are ``{"body": {"response": "<the server's answer>"}}``.

TLS: ``enableSSL`` on port 465 is TLS from the first byte, on any other port STARTTLS,
required (a server that does not offer it is an error, never a silent plain-text send);
off is plain SMTP. Certificates are verified against the system's trust store. The server
is vetted by the egress guard (``runtime.builtins.outbound``) and connected to at the
vetted address. A CR or LF in a subject, an address or a file name is refused (no header
injection), as is an address that does not parse.

``smtplib`` blocks, so a send runs in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import email.errors
import email.policy
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import anyio.to_thread

from gateway import BadRequest, PortwayError, UpstreamError, UpstreamUnreachable
from runtime.builtins.outbound import vet_server
from runtime.builtins.registry import ProviderOperation

PROVIDER_ID = "/serviceProviders/Smtp"
SEND_EMAIL = "sendEmail"
#: Seconds for connecting and for each exchange with the server.
TIMEOUT = 30.0
#: Recipients of one message (to, cc and bcc together).
MAX_RECIPIENTS = 500
#: Attachments' decoded bytes in one message.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_IMPORTANCE = {"normal": None, "high": ("high", "1"), "low": ("low", "5")}

_ADDRESSES = {"type": "string", "description": "Email addresses separated by semicolons, "
                                               "e.g. a@example.com;b@example.com"}
SEND_EMAIL_PARAMETERS: Mapping[str, Any] = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {
        "from": {"type": "string", "title": "From",
                 "description": "The sender's address, e.g. sender@example.com"},
        "to": {**_ADDRESSES, "title": "To"},
        "cc": {**_ADDRESSES, "title": "CC"},
        "bcc": {**_ADDRESSES, "title": "BCC"},
        "subject": {"type": "string", "title": "Subject"},
        "body": {"type": "string", "title": "Body"},
        "isHTML": {"type": "boolean", "title": "Is HTML", "default": False},
        "importance": {"type": "string", "title": "Importance", "default": "Normal",
                       "enum": ["Normal", "High", "Low"]},
        "readReceipt": {"type": "string", "title": "Read receipt",
                        "description": "The address a read receipt goes to"},
        "deliveryReceipt": {"type": "string", "title": "Delivery receipt",
                            "description": "The address a delivery receipt goes to"},
        "attachment": {"type": "array", "title": "Attachments", "items": {
            "type": "object", "required": ["fileName", "contentData"],
            "properties": {
                "fileName": {"type": "string", "title": "File name"},
                "contentData": {"type": "string", "format": "byte",
                                "title": "Content (base64)"},
                "contentType": {"type": "string", "title": "Content type"},
                "contentId": {"type": "string", "title": "Content id",
                              "description": "Makes the attachment inline, for cid: links"},
            }}},
    },
}
SEND_EMAIL_OUTPUTS: Mapping[str, Any] = {
    "type": "object",
    "properties": {"response": {"type": "string",
                                "description": "The server's answer to the message"}},
}
CONNECTION_PARAMETERS: Mapping[str, Any] = {
    "type": "object",
    "required": ["serverAddress"],
    "properties": {
        "serverAddress": {"type": "string", "title": "SMTP Server Address"},
        "userName": {"type": "string", "title": "User Name"},
        "password": {"type": "string", "title": "Password", "x-ms-secret": True},
        "port": {"type": "integer", "title": "SMTP Server Port", "default": 587,
                 "description": "SMTP port number, e.g. 587 (465: TLS from the start)"},
        "enableSSL": {"type": "boolean", "title": "Enable SSL?", "default": True},
    },
}


@dataclass(frozen=True)
class _Server:
    host: str
    port: int
    user: str
    password: str
    ssl: bool


class SmtpProvider:
    """``/serviceProviders/Smtp``: send email through an SMTP server."""

    id = PROVIDER_ID
    display_name = "SMTP"
    description = ("Send email through an SMTP server: recipients, copies, HTML or text, "
                   "importance, receipts and attachments, over STARTTLS or TLS.")
    connection_parameters = CONNECTION_PARAMETERS

    def operations(self) -> Mapping[str, ProviderOperation]:
        return {SEND_EMAIL: ProviderOperation(
            SEND_EMAIL, "Send email", SEND_EMAIL_PARAMETERS, SEND_EMAIL_OUTPUTS,
            description="Sends an email to one or more recipients, with optional "
                        "copies, blind copies and attachments.")}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        if operation_id != SEND_EMAIL:
            raise BadRequest(f"the SMTP connector has no operation '{operation_id}'")
        server = _server(connection)
        message, sender, recipients = compose(parameters)
        target = await vet_server(server.host, server.port, "smtp")
        response = await anyio.to_thread.run_sync(
            _send, server, target.address, message, sender, recipients)
        return {"body": {"response": response}}


def _value(values: Mapping[str, Any], name: str) -> Any:
    wanted = name.lower()
    return next((v for k, v in values.items() if k.lower() == wanted), None)


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise BadRequest(f"'{name}' must be true or false")


def _server(values: Mapping[str, Any]) -> _Server:
    host = _value(values, "serverAddress")
    if not isinstance(host, str) or not host.strip():
        raise BadRequest("the SMTP connection needs a 'serverAddress'")
    secure = _flag(_value(values, "enableSSL"), "enableSSL", True)
    raw_port = _value(values, "port")
    try:
        port = int(raw_port) if raw_port not in (None, "") else 587
    except (TypeError, ValueError):
        raise BadRequest("the SMTP connection's 'port' must be a whole number") from None
    user = _value(values, "userName")
    password = _value(values, "password")
    return _Server(host.strip(), port, str(user or ""), str(password or ""), secure)


def _no_line_breaks(value: str, name: str) -> str:
    if "\r" in value or "\n" in value:
        raise BadRequest(f"'{name}' must not contain a line break", details=[{"field": name}])
    return value


def _addresses(value: Any, name: str) -> list[Address]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string of addresses separated by semicolons",
                         details=[{"field": name}])
    found = []
    for part in _no_line_breaks(value, name).replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        display, address = parseaddr(part)
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or any(c in address for c in " <>\"\x00"):
            raise BadRequest(f"'{name}' holds an address that does not parse: {part[:100]!r}",
                             details=[{"field": name}])
        try:
            found.append(Address(display_name=display, addr_spec=address))
        except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
            raise BadRequest(f"'{name}' holds an address that does not parse: "
                             f"{part[:100]!r}", details=[{"field": name}]) from exc
    return found


def _text(parameters: Mapping[str, Any], name: str) -> str:
    value = parameters.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise BadRequest(f"'{name}' must be a string", details=[{"field": name}])
    return str(value)


def compose(parameters: Mapping[str, Any]) -> tuple[EmailMessage, str, list[str]]:
    """The message ``sendEmail``'s parameters describe, its envelope sender and its
    recipients (bcc ones are in the envelope, not the headers).

    Raises:
        BadRequest: A parameter is missing, malformed or would inject a header.
    """
    senders = _addresses(parameters.get("from"), "from")
    if len(senders) != 1:
        raise BadRequest("'from' must be one address", details=[{"field": "from"}])
    to, cc, bcc = (_addresses(parameters.get(n), n) for n in ("to", "cc", "bcc"))
    recipients = [a.addr_spec for a in (*to, *cc, *bcc)]
    if not recipients:
        raise BadRequest("'to' (or cc or bcc) must name at least one recipient",
                         details=[{"field": "to"}])
    if len(recipients) > MAX_RECIPIENTS:
        raise BadRequest(f"one email goes to at most {MAX_RECIPIENTS} recipients",
                         details=[{"field": "to"}])
    message = EmailMessage()
    message["From"] = senders[0]
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = _no_line_breaks(_text(parameters, "subject"), "subject")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=senders[0].domain or None)
    importance = _text(parameters, "importance").strip().lower() or "normal"
    if importance not in _IMPORTANCE:
        raise BadRequest("'importance' must be Normal, High or Low",
                         details=[{"field": "importance"}])
    marks = _IMPORTANCE[importance]
    if marks is not None:
        message["Importance"] = marks[0]
        message["X-Priority"] = marks[1]
    for name, header in (("readReceipt", "Disposition-Notification-To"),
                         ("deliveryReceipt", "Return-Receipt-To")):
        receipt = _addresses(parameters.get(name), name)
        if receipt:
            message[header] = ", ".join(str(a) for a in receipt)
    html = _flag(parameters.get("isHTML"), "isHTML", False)
    message.set_content(_text(parameters, "body"), subtype="html" if html else "plain")
    _attach(message, parameters.get("attachment"))
    return message, senders[0].addr_spec, recipients


def _attach(message: EmailMessage, attachments: Any) -> None:
    if attachments in (None, ""):
        return
    if not isinstance(attachments, list):
        raise BadRequest("'attachment' must be an array of {fileName, contentData}",
                         details=[{"field": "attachment"}])
    total = 0
    for index, item in enumerate(attachments):
        where = f"attachment/{index}"
        if not isinstance(item, Mapping):
            raise BadRequest(f"'{where}' must be an object", details=[{"field": where}])
        name = _no_line_breaks(_text(item, "fileName"), f"{where}/fileName").strip()
        if not name:
            raise BadRequest(f"'{where}/fileName' is required", details=[{"field": where}])
        try:
            data = base64.b64decode(_text(item, "contentData"), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"'{where}/contentData' is not base64",
                             details=[{"field": where}]) from None
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise BadRequest(f"the attachments are over {MAX_ATTACHMENT_BYTES} bytes",
                             details=[{"field": "attachment"}])
        kind = _no_line_breaks(_text(item, "contentType"), f"{where}/contentType").strip()
        main, _, sub = (kind or "application/octet-stream").partition("/")
        if not main or not sub or not all(c.isalnum() or c in "-+.!#$&^_" for c in main + sub):
            raise BadRequest(f"'{where}/contentType' is not a media type",
                             details=[{"field": where}])
        content_id = _no_line_breaks(_text(item, "contentId"), f"{where}/contentId").strip()
        extra: dict[str, Any] = {}
        if content_id:
            extra = {"cid": f"<{content_id.strip('<>')}>", "disposition": "inline"}
        message.add_attachment(data, maintype=main, subtype=sub, filename=name, **extra)


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to the vetted address, with the host name kept for EHLO and TLS checks."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self._address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return super()._get_socket(self._address, port, timeout)  # type: ignore[misc, no-any-return]


class _PinnedSMTPS(_PinnedSMTP, smtplib.SMTP_SSL):
    """The same, with TLS from the first byte."""


def _send(server: _Server, address: str, message: EmailMessage, sender: str,
          recipients: list[str]) -> str:
    """Deliver one message; the server's answer to it. Runs in a worker thread."""
    context = ssl.create_default_context()
    implicit = server.ssl and server.port == 465
    try:
        # Given the host, the constructor connects (to the pinned address).
        client: smtplib.SMTP = (
            _PinnedSMTPS(address, host=server.host, port=server.port, timeout=TIMEOUT,
                         context=context) if implicit
            else _PinnedSMTP(address, host=server.host, port=server.port, timeout=TIMEOUT))
        with client:
            client.ehlo_or_helo_if_needed()
            if server.ssl and not implicit:
                if not client.has_extn("starttls"):
                    raise UpstreamError(
                        f"the SMTP server {server.host} does not offer STARTTLS and "
                        "enableSSL is on; nothing was sent",
                        details=[{"phase": "connect"}], code="SmtpTlsUnavailable",
                        retryable=False)
                client.starttls(context=context)
                client.ehlo()
            if server.user:
                client.login(server.user, server.password)
            return _deliver(client, message, sender, recipients)
    except PortwayError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise UpstreamError(f"the SMTP server {server.host} refused the user name or "
                            "password", code="SmtpAuthenticationFailed",
                            retryable=False) from None
    except smtplib.SMTPNotSupportedError:
        raise UpstreamError(f"the SMTP server {server.host} does not offer a way to log "
                            "in with a user name and password", code="SmtpAuthUnavailable",
                            retryable=False) from None
    except smtplib.SMTPResponseException as exc:
        raise UpstreamError(f"the SMTP server {server.host} answered {exc.smtp_code}: "
                            f"{_reply(exc.smtp_error)}", code="SmtpRefused",
                            retryable=400 <= exc.smtp_code < 500) from None
    except ssl.SSLError as exc:
        raise UpstreamError(f"TLS with the SMTP server {server.host} failed: "
                            f"{exc.reason or type(exc).__name__}", code="SmtpTlsFailed",
                            retryable=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise UpstreamUnreachable(f"the SMTP server {server.host}:{server.port} could not "
                                  f"be reached: {type(exc).__name__}",
                                  details=[{"phase": "connect"}]) from None


def _deliver(client: smtplib.SMTP, message: EmailMessage, sender: str,
             recipients: list[str]) -> str:
    code, reply = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPResponseException(code, reply)
    refused = {}
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    if len(refused) == len(recipients):
        client.rset()
        code, reply = next(iter(refused.values()))
        raise smtplib.SMTPResponseException(code, reply)
    code, reply = client.data(message.as_bytes(policy=email.policy.SMTP))
    if code != 250:
        raise smtplib.SMTPResponseException(code, reply)
    answer = f"{code} {_reply(reply)}"
    if refused:
        answer += "; refused: " + ", ".join(sorted(refused))
    return answer


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]
