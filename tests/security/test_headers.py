"""What a caller's headers and query may and may not carry upstream (issue 13, items 6, 8
and 10), through the real ``portway serve``."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.conftest import Served, items_spec

KEY = "sk-header-probe-0123456789"


@pytest.fixture(scope="module")
def ready(served: Served) -> Iterator[Served]:
    assert served.put_connector("items", items_spec(served.upstream.url)).status_code == 201
    assert served.put_connector("qitems", items_spec(served.upstream.url, title="Q",
                                                     security="query")).status_code == 201
    with served.client() as owner:
        for name, connector in (("conn", "items"), ("qconn", "qitems")):
            assert owner.put(f"/v1/connections/{name}", json={
                "connector": connector, "parameters": {"api_key": KEY}}).status_code == 201
    yield served


FORWARDED = {"x-forwarded-for": "10.0.0.1", "x-forwarded-host": "evil.example",
             "x-forwarded-proto": "https", "x-forwarded-port": "8443",
             "x-forwarded-prefix": "/admin", "x-forwarded-server": "evil",
             "x-forwarded-scheme": "https", "x-forwarded-ssl": "on",
             "x-forwarded-uri": "/admin", "forwarded": "for=10.0.0.1;host=evil.example",
             "x-real-ip": "10.0.0.1"}


def test_the_whole_forwarded_family_stays_behind(ready: Served) -> None:
    with ready.client() as owner:
        answer = owner.get("/apim/items/conn/items/1", headers={**FORWARDED, "x-kept": "1"})
    assert answer.status_code == 200, answer.text
    names = {name.lower() for name, _ in ready.upstream.last()["headers"]}
    assert names & set(FORWARDED) == set()
    assert "x-kept" in names


def test_the_query_credential_replaces_a_caller_s_parameter_of_its_name(ready: Served
                                                                         ) -> None:
    with ready.client() as owner:
        answer = owner.get("/apim/qitems/qconn/search",
                           params=[("api_key", "ATTACKER"), ("q", "x"), ("API_KEY", "2")])
    assert answer.status_code == 200, answer.text
    assert ready.upstream.last()["query"] == f"q=x&api_key={KEY}"


@pytest.mark.parametrize("value", [b"a\x0bb", b"a\x00b", b"a\x7fb", b"a\xc2\x85b",
                                   b"a\xe2\x80\xa8b", b"a\xe2\x80\xa9b", b"a\x85b"])
def test_control_characters_in_a_header_value_are_refused(ready: Served, value: bytes
                                                           ) -> None:
    seen = len(ready.upstream.seen)
    status, body = ready.raw_get("/apim/items/conn/items/1",
                                 "X-Note: " + value.decode("latin-1"))
    assert status == 400, body
    assert json.loads(body)["error"]["code"] == "BadRequest"
    assert len(ready.upstream.seen) == seen


def test_non_ascii_text_in_a_header_value_still_passes(ready: Served) -> None:
    status, body = ready.raw_get("/apim/items/conn/items/1",
                                 "X-Note: " + "caf\u00e9 \u20ac".encode().decode("latin-1"))
    assert status == 200, body


def test_a_long_client_request_id_is_not_taken(ready: Served) -> None:
    with ready.client() as owner:
        long = owner.get("/v1/connections/conn", headers={"x-ms-client-request-id": "r" * 10_000})
        short = owner.get("/v1/connections/conn", headers={"x-ms-client-request-id": "req-42"})
    assert long.status_code == 200
    assert len(long.headers["x-request-id"]) == 32
    assert long.headers["x-ms-client-request-id"] == long.headers["x-request-id"]
    assert short.headers["x-request-id"] == "req-42"


def test_a_secureobject_parameter_is_sealed_and_never_returned(ready: Served) -> None:
    spec = items_spec(ready.upstream.url, title="Objects")
    properties = {"properties": {"connectionParameters": {
        "api_key": {"type": "securestring"},
        "settings": {"type": "secureobject"}}}}
    with ready.client() as owner:
        made = owner.put("/v1/connectors/objects", files={
            "spec": ("spec.json", json.dumps(spec), "application/json"),
            "apiProperties": ("apiProperties.json", json.dumps(properties),
                              "application/json")})
        assert made.status_code == 201, made.text
        created = owner.put("/v1/connections/objs", json={"connector": "objects", "parameters": {
            "api_key": KEY, "settings": {"password": "inner-secret-value-77"}}})
        assert created.status_code == 201, created.text
        shown = owner.get("/v1/connections/objs").json()
    assert "inner-secret-value-77" not in created.text + json.dumps(shown)
    assert "settings" in shown["secretParameters"]
    assert "settings" not in shown["parameters"]
    stored = b"".join(p.read_bytes() for p in (ready.workdir / "var").glob("portway.db*"))
    assert b"inner-secret-value-77" not in stored


def test_importing_a_zip_that_holds_only_a_symlink_fails_and_says_why(tmp_path: Path) -> None:
    archive = tmp_path / "only-link.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        link = zipfile.ZipInfo("spec.json")
        link.external_attr = (0o120777 << 16)  # a symbolic link...
        zipped.writestr(link, "/etc/passwd")   # ...whose target is its content
    portway = Path(sys.executable).parent / "portway"
    done = subprocess.run([str(portway), "import", str(archive), "--json", "--dry-run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 1, done.stdout + done.stderr
    line = json.loads(done.stdout.splitlines()[0])
    assert line["status"] == "failed"
    assert "holds no spec" in line["errors"][0]["message"]


def test_a_long_url_and_large_headers_get_the_error_shape(ready: Served) -> None:
    with ready.client() as owner:
        long_url = owner.get("/apim/items/conn/items/" + "a" * 20_000)
        big_headers = owner.get("/apim/items/conn/items/1",
                                headers={f"x-pad-{n}": "b" * 1000 for n in range(40)})
    for answer, status, code in ((long_url, 414, "UriTooLong"),
                                 (big_headers, 431, "HeadersTooLarge")):
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] == code
        assert answer.json()["error"]["requestId"] == answer.headers["x-request-id"]
