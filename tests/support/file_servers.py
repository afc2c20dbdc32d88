"""Real file servers on loopback for the file connectors' tests: an FTP server (and FTPS)
from pyftpdlib, an SFTP server from asyncssh, each serving a temporary folder from a
thread of its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

from tests.support.servers import free_port

USER, PASSWORD = "portway", "s3cret-ftp"


class Gate:
    """Holds the FTP server's folder listings (``MLSD``) while ``closed``: a poll then hangs
    mid-way (``held`` is set) until the gate opens again."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.held = threading.Event()

    def pass_through(self) -> None:
        if self.closed.is_set():
            self.held.set()
            deadline = time.monotonic() + 60
            while self.closed.is_set() and time.monotonic() < deadline:
                time.sleep(0.02)


@dataclass
class FileServer:
    port: int
    root: Path
    #: SFTP only: the server's host key fingerprints (``MD5:…`` and ``SHA256:…``).
    fingerprints: tuple[str, str] = ("", "")


def self_signed(folder: Path, name: str = "localhost") -> Path:
    """A PEM file with a fresh self-signed certificate and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    path = folder / "ftps.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))
    return path


@contextmanager
def ftp_server(root: Path, *, tls: bool = False, gate: Gate | None = None,
               mlsd: bool = True) -> Iterator[FileServer]:
    """pyftpdlib serving ``root`` to ``USER``/``PASSWORD`` (read and write) on loopback;
    its listings wait at ``gate`` when one is given; ``mlsd=False`` makes it an old
    server without ``MLSD``/``MLST``."""
    root.mkdir(parents=True, exist_ok=True)
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(root), perm="elradfmwMT")
    handler: Any
    if tls:
        handler = type("Handler", (TLS_FTPHandler,), {})
        handler.certfile = str(self_signed(root.parent))
        handler.tls_control_required = True
        handler.tls_data_required = True
    else:
        handler = type("Handler", (FTPHandler,), {})
    if not mlsd:
        handler.proto_cmds = {k: v for k, v in handler.proto_cmds.items()
                              if k not in ("MLSD", "MLST")}
    if gate is not None:
        listing = handler.ftp_MLSD

        def held_listing(self: Any, path: str) -> Any:
            gate.pass_through()
            return listing(self, path)

        handler.ftp_MLSD = held_listing
    handler.authorizer = authorizer
    handler.banner = "portway test ftp"
    handler.auth_failed_timeout = 0
    port = free_port()
    server = FTPServer(("127.0.0.1", port), handler)
    stop = threading.Event()

    def serve() -> None:  # pyftpdlib is not thread-safe: it closes on its own thread
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield FileServer(port=port, root=root)
    finally:
        stop.set()
        thread.join(5)


@contextmanager
def sftp_server(root: Path, *, client_key: asyncssh.SSHKey | None = None
                ) -> Iterator[FileServer]:
    """asyncssh's SFTP server, chrooted to ``root``, for ``USER`` with ``PASSWORD`` (or
    ``client_key``)."""
    root.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == USER and password == PASSWORD

        def public_key_auth_supported(self) -> bool:
            return client_key is not None

        def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
            return username == USER and client_key is not None \
                and key.public_data == client_key.public_data

    def chrooted(chan: Any) -> asyncssh.SFTPServer:
        return asyncssh.SFTPServer(chan, chroot=str(root).encode())

    async def start() -> None:
        holder["server"] = await asyncssh.listen(
            "127.0.0.1", port, server_host_keys=[key], server_factory=Server,
            sftp_factory=chrooted, process_factory=None, allow_scp=False)
        ready.set()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    ready.wait(10)
    public = key.convert_to_public()
    try:
        yield FileServer(port=port, root=root, fingerprints=(
            public.get_fingerprint("md5"), public.get_fingerprint("sha256")))
    finally:
        async def stop() -> None:
            holder["server"].close()
            await holder["server"].wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
