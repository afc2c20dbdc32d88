"""Real SOAP services for the tests, built with spyne and served on loopback.

One spyne service, published over SOAP 1.1 and SOAP 1.2 under several paths: open, or
behind HTTP basic, a WS-Security UsernameToken, or an API key header. Every request is
recorded so tests can check what actually went over the wire.
"""

from __future__ import annotations

import base64
import logging
import ssl
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

# spyne's vendored six raises an ImportWarning on Python 3.11 (the suite makes warnings
# errors); it is spyne's import machinery, not something these tests can fix.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ImportWarning)
    from spyne import (
        Application,
        Array,
        ComplexModel,
        Fault,
        Integer,
        ServiceBase,
        Unicode,
        rpc,
    )
    from spyne.protocol.soap import Soap11, Soap12
    from spyne.server.wsgi import WsgiApplication
    from spyne.util import six as _spyne_six


def _teach_find_spec(importer_class: Any) -> None:
    """Give spyne's old vendored six importer the ``find_spec`` API of current six.

    Without it, every later failed import anywhere in the process warns (an error here),
    because the importer stays on ``sys.meta_path`` for good.
    """
    import importlib.util

    if "find_spec" in vars(importer_class):
        return

    def find_spec(self: Any, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname in self.known_modules:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self: Any, spec: Any) -> Any:
        return self.load_module(spec.name)

    def exec_module(self: Any, module: Any) -> None:
        return None

    importer_class.find_spec = find_spec
    importer_class.create_module = create_module
    importer_class.exec_module = exec_module


_teach_find_spec(type(_spyne_six._importer))

# spyne logs every fault it raises with a traceback; the tests raise them on purpose.
logging.getLogger("spyne").setLevel(logging.CRITICAL)

NS = "urn:portway:test"
USER, PASSWORD, API_KEY = "alice", "s3cret-pw", "key-123"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


class Address(ComplexModel):
    __namespace__ = NS
    street = Unicode
    city = Unicode


class Person(ComplexModel):
    __namespace__ = NS
    name = Unicode
    age = Integer
    tags = Array(Unicode)
    address = Address


class AuthHeader(ComplexModel):
    __namespace__ = NS
    token = Unicode


class TestService(ServiceBase):
    __in_header__ = AuthHeader

    @rpc(Integer, Integer, _returns=Integer)
    def add(ctx, a, b):  # type: ignore[no-untyped-def]
        return a + b

    @rpc(Person, _returns=Person)
    def echo_person(ctx, person):  # type: ignore[no-untyped-def]
        return person

    @rpc(Array(Unicode), _returns=Integer)
    def count(ctx, items):  # type: ignore[no-untyped-def]
        return len(items or [])

    @rpc(Integer, _returns=Array(Unicode))
    def list_items(ctx, n):  # type: ignore[no-untyped-def]
        return [f"item{i}" for i in range(n)]

    @rpc(Integer, Integer, _returns=Integer)
    def divide(ctx, a, b):  # type: ignore[no-untyped-def]
        if b == 0:
            raise Fault(faultcode="Client.DivideByZero", faultstring="division by zero",
                        detail={"dividend": str(a)})
        return a // b

    @rpc(_returns=Unicode)
    def whoami(ctx):  # type: ignore[no-untyped-def]
        header = ctx.in_header
        return header.token if header is not None and header.token else "anonymous"


def _app(protocol: Any) -> WsgiApplication:
    application = Application([TestService], NS, name="TestService",
                              in_protocol=protocol(validator="lxml"), out_protocol=protocol())
    return WsgiApplication(application)


@dataclass
class Recorded:
    path: str
    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SoapServer:
    """The running services; ``url(path)`` names one, ``requests`` what they received."""

    base: str
    requests: list[Recorded] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


Guard = Callable[[dict[str, str], bytes], bool]


def _basic(headers: dict[str, str], body: bytes) -> bool:
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return headers.get("authorization") == f"Basic {expected}"


def _api_key(headers: dict[str, str], body: bytes) -> bool:
    return headers.get("x-api-key") == API_KEY


def _wsse(headers: dict[str, str], body: bytes) -> bool:
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return False
    user = root.findtext(f".//{{{WSSE}}}Username")
    password = root.findtext(f".//{{{WSSE}}}Password")
    return (user, password) == (USER, PASSWORD)


ROUTES: dict[str, tuple[Any, Guard | None]] = {
    "soap11": (Soap11, None),
    "soap12": (Soap12, None),
    "basic11": (Soap11, _basic),
    "wsse11": (Soap11, _wsse),
    "wsse12": (Soap12, _wsse),
    "key12": (Soap12, _api_key),
}


class _Dispatcher:
    """Routes /<name>/ to the spyne app for that name, after its guard (if any)."""

    def __init__(self, server: SoapServer) -> None:
        self.server = server
        self.scheme = "http"
        self.apps = {name: (_app(protocol), guard) for name, (protocol, guard) in ROUTES.items()}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        name = environ.get("PATH_INFO", "/").strip("/").split("/")[0]
        if name == "http":
            return self._http_binding(environ, start_response)
        if name not in self.apps:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such service"]
        app, guard = self.apps[name]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        self.server.requests.append(Recorded(environ.get("PATH_INFO", ""),
                                             environ["REQUEST_METHOD"], headers, body))
        if environ["REQUEST_METHOD"] == "POST" and guard is not None and not guard(headers, body):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                 ("WWW-Authenticate", 'Basic realm="t"')])
            return [b"unauthorized"]
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.url_scheme"] = self.scheme  # spyne writes the WSDL's address from it
        environ["PATH_INFO"] = "/"
        environ["SCRIPT_NAME"] = f"/{name}"
        return app(environ, start_response)  # type: ignore[no-any-return]


    def _http_binding(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """``/http/Add``: a WSDL HTTP GET/POST binding's service (query or form in, XML out)."""
        from urllib.parse import parse_qs

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        self.server.requests.append(Recorded(
            environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""),
            environ["REQUEST_METHOD"], headers, body))
        form = parse_qs(body.decode() if environ["REQUEST_METHOD"] == "POST"
                        else environ.get("QUERY_STRING", ""))
        try:
            total = int(form["a"][0]) + int(form["b"][0])
        except (KeyError, ValueError):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"a and b are required"]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [f'<?xml version="1.0"?><int xmlns="urn:portway:http">{total}</int>'.encode()]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def soap_services(tls: ssl.SSLContext | None = None) -> Iterator[SoapServer]:
    """Serve every route on a free loopback port for the duration of the block.

    Args:
        tls: Serve HTTPS with this context (which may require client certificates).
    """
    server = SoapServer(base="")
    dispatcher = _Dispatcher(server)
    httpd = make_server("127.0.0.1", 0, dispatcher, server_class=_Server,
                        handler_class=_Quiet)
    scheme = "http"
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        scheme = dispatcher.scheme = "https"
    server.base = f"{scheme}://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@dataclass
class Pki:
    """A private CA, a server certificate for 127.0.0.1 and a client certificate (PEM)."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str

    def server_context(self, directory: str) -> ssl.SSLContext:
        """TLS for the service: its own certificate, client certificates required."""
        import os

        cert = os.path.join(directory, "server.pem")
        with open(cert, "w") as handle:
            handle.write(self.server_cert + self.server_key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert)
        context.load_verify_locations(cadata=self.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        return context


def make_pki() -> Pki:
    """Create the certificates with ``cryptography`` (valid for one day)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def pem_key(private: ec.EllipticCurvePrivateKey) -> str:
        return private.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = key()
    ca = (x509.CertificateBuilder().subject_name(name("Portway test CA"))
          .issuer_name(name("Portway test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))

    def issue(common: str, private: ec.EllipticCurvePrivateKey, server: bool) -> str:
        builder = (x509.CertificateBuilder().subject_name(name(common))
                   .issuer_name(ca.subject).public_key(private.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       ca_key.public_key()), critical=False)
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.SERVER_AUTH if server
                        else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.PEM).decode()

    server_key, client_key = key(), key()
    return Pki(ca=ca.public_bytes(serialization.Encoding.PEM).decode(),
               server_cert=issue("127.0.0.1", server_key, True), server_key=pem_key(server_key),
               client_cert=issue("portway-client", client_key, False),
               client_key=pem_key(client_key))
