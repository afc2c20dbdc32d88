"""No secret value is ever readable at rest: not in the SQLite file (WAL included), not
in a pg_dump of the PostgreSQL database, in any encoding; nor in a response."""

from __future__ import annotations

import base64
import glob
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from gateway.oauth.tokens import TokenSet, save_tokens
from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import Upstream

pytestmark = pytest.mark.both_backends  # storage is what these tests test

SECRETS = {
    "api_key": "ak-" + "Qm4r" * 6 + "+/=",
    "password": "pw-pässwörd-" + "Lk9s" * 4,
    "client_secret": "cs-" + "Hy2b" * 6,
    "access_token": "at-" + "Pw7c" * 6,
    "refresh_token": "rt-" + "Nj5d" * 6,
}


def encodings(value: str) -> set[bytes]:
    """The ways a value could be written down that a reader would still recognise."""
    raw = value.encode("utf-8")
    found = {raw, value.encode("utf-16-le"), value.encode("utf-16-be"), raw.hex().encode(),
             raw.hex().upper().encode(), quote(value, safe="").encode(),
             quote_plus(value).encode(), json.dumps(value).encode(),
             json.dumps(value, ensure_ascii=False).encode()}
    for shift in range(3):
        # Base64 of the value at every alignment it could start at inside a larger blob;
        # the edges depend on neighbours, so only the inner part is searched for.
        for encode in (base64.b64encode, base64.urlsafe_b64encode, base64.b32encode):
            text = encode(b"\0" * shift + raw)
            inner = text[8:-8]
            if len(inner) >= 12:
                found.add(inner)
    return found


def assert_absent(blob: bytes, where: str) -> None:
    for name, value in SECRETS.items():
        for encoded in encodings(value):
            assert encoded not in blob, f"{name} found in {where} as {encoded[:30]!r}"


def _store_everything(gateway: RunningGateway) -> list[bytes]:
    """Create connections holding every kind of secret; returns the responses' bodies."""
    bodies = []
    with gateway.client() as client:
        for request in (
            ("PUT", "/v1/connections/keyed1", {"connector": "keyed", "parameters": {
                "api_key": SECRETS["api_key"], "region": "eu"}}),
            ("PUT", "/v1/connections/basic1", {"connector": "basic", "parameters": {
                "username": "bob", "password": SECRETS["password"]}}),
            ("PATCH", "/v1/connections/basic1", {"parameters": {
                "client_secret": SECRETS["client_secret"]}, "tags": {"t": "1"}}),
            ("GET", "/v1/connections/keyed1", None), ("GET", "/v1/connections", None),
            ("GET", "/apim/keyed/keyed1/things/1", None),
            ("POST", "/v1/connections/keyed1/test", None),
        ):
            method, path, body = request
            response = client.request(method, path, json=body)
            assert response.status_code < 300, response.text
            if not path.startswith("/apim"):
                bodies.append(response.content)
        save_tokens(gateway.services.vault, "basic1", TokenSet(
            access_token=SECRETS["access_token"], refresh_token=SECRETS["refresh_token"],
            expires_at=1e10, scopes=("read",)))
        bodies.append(client.get("/v1/audit").content)
        bodies.append(client.get("/v1/connections/basic1").content)
    return bodies


def test_no_secret_in_responses_or_the_database(gateway: RunningGateway, keyed: Upstream,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    bodies = _store_everything(gateway)
    assert keyed.seen[0]["headers"]["x-api-key"] == SECRETS["api_key"]  # it does work
    for body in bodies:
        assert_absent(body, "a response")
    url = gateway.services.settings.database.url
    if url.startswith("sqlite"):
        gateway.services.db.dispose()
        path = url.removeprefix("sqlite:///")
        files = glob.glob(path + "*")
        assert path in files
        blob = b"".join(Path(f).read_bytes() for f in files)
        assert b"keyed1" in blob  # the file is readable, the secrets are not
        assert_absent(blob, "the SQLite files")
    else:
        dump = _pg_dump(url)
        assert "keyed1" in dump
        assert_absent(dump.encode("utf-8"), "pg_dump")
    captured = capfd.readouterr()
    assert_absent((captured.out + captured.err).encode("utf-8"), "the logs")


def _pg_dump(url: str) -> str:
    binary = shutil.which("pg_dump") or (sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
                                          or [None])[-1]
    if binary is None:
        pytest.fail("pg_dump is not installed")
    result = subprocess.run([binary, "--dbname", url, "--no-owner"], capture_output=True,
                            text=True, check=True, timeout=60)
    return result.stdout
