"""Throwaway PostgreSQL and Redis servers for the suite.

``initdb`` refuses to run as root, so as root the cluster runs as an unprivileged system
user (created when missing). Everything lives in a temporary folder removed afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.servers import free_port

PG_USER = "portway-test"


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise FileNotFoundError(f"PostgreSQL's {name} is not installed (make test installs it)")


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        # Each xdist worker starts a cluster of its own: two may add the user at once, and
        # the one that comes second is told it exists (useradd's 9).
        added = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/bin/false", PG_USER], check=False)
        if added.returncode not in (0, 9):
            raise subprocess.CalledProcessError(added.returncode, added.args)
    return ["runuser", "-u", PG_USER, "--"]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL cluster on loopback; yields a URL of an empty database."""
    root = Path(tempfile.mkdtemp(prefix="portway-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    prefix = _as_user()
    if prefix:
        shutil.chown(root, PG_USER)
        shutil.chown(sockets, PG_USER)
        os.chmod(root, 0o755)
    port = free_port()
    subprocess.run([*prefix, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A",
                    "trust", "-E", "UTF8", "--no-sync"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = root / "server.log"
    started = subprocess.run(
        [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
         f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
         "-c full_page_writes=off -c max_connections=60 -c shared_buffers=16MB",
         "start"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if started.returncode != 0:
        reason = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start:\n{reason}")
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        yield url
    finally:
        subprocess.run([*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def as_superuser(server_url: str, *statements: str) -> None:
    """Run statements one by one, each in its own transaction (``CREATE DATABASE`` needs
    that), as the URL's role."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def create_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; returns its URL."""
    as_superuser(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                 f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def create_owned_database(server_url: str, name: str) -> str:
    """Create a login role ``name`` (no superuser, no other rights) and an empty database
    of the same name that it owns, as a workflow's database would be; returns its URL
    (with the role's password). ``drop_owned_database`` removes both."""
    password = secrets.token_hex(12)
    create_database(server_url, name)
    as_superuser(server_url, f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'",
                 f'ALTER DATABASE "{name}" OWNER TO "{name}"')
    host = server_url.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql://{name}:{password}@{host}/{name}"


def drop_owned_database(server_url: str, name: str) -> None:
    """Drop a database and role made by ``create_owned_database``."""
    drop_database(server_url, name)
    as_superuser(server_url, f'DROP ROLE IF EXISTS "{name}"')


def drop_database(server_url: str, name: str) -> None:
    """Drop a database made by ``create_database``, whoever is still connected."""
    as_superuser(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a Redis server on loopback with no persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (make test installs it)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
