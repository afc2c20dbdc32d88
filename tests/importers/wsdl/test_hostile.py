"""Hostile WSDL uploads: each is refused with a clear error and nothing is imported."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from importers import (
    PortwayError,
    SpecSyntaxError,
    SpecTooLargeError,
    UnsafeSpecError,
)
from importers.wsdl import WsdlReferenceError, import_wsdl, import_wsdl_or_raise

WSDL_WITH_IMPORT = """<?xml version="1.0"?>
<wsdl:definitions targetNamespace="urn:h" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xs:schema targetNamespace="urn:h">
      <xs:import namespace="urn:x" schemaLocation="{location}"/>
    </xs:schema>
  </wsdl:types>
</wsdl:definitions>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" name="&lol9;"/>
"""


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        body = b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def loopback_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_refusal_is_an_error_finding_and_no_connector() -> None:
    result = import_wsdl("a.wsdl", {"a.wsdl": BILLION_LAUGHS}, connector_id="x")
    assert result.connector is None
    assert [f.rule for f in result.findings] == ["UnsafeSpec"]
    assert "DTDs and entities are not allowed" in result.findings[0].message


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    started = time.monotonic()
    with pytest.raises(UnsafeSpecError) as caught:
        import_wsdl_or_raise("a.wsdl", {"a.wsdl": BILLION_LAUGHS}, connector_id="x")
    assert "DTD" in caught.value.message
    assert time.monotonic() - started < 2


def test_an_external_entity_naming_a_local_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" name="&x;"/>')
    with pytest.raises(UnsafeSpecError) as caught:
        import_wsdl_or_raise("a.wsdl", {"a.wsdl": xxe.encode()}, connector_id="x")
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    assert "TOP-SECRET-VALUE" not in repr(caught.value.details)


def test_an_external_entity_in_an_imported_schema_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xsd = (f'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">'
           '<xs:annotation><xs:documentation>&x;</xs:documentation></xs:annotation>'
           '</xs:schema>')
    files = {"a.wsdl": WSDL_WITH_IMPORT.format(location="t.xsd").encode(),
             "t.xsd": xsd.encode()}
    with pytest.raises(UnsafeSpecError) as caught:
        import_wsdl_or_raise("a.wsdl", files, connector_id="x")
    assert "t.xsd" in caught.value.message
    assert "TOP-SECRET-VALUE" not in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254"])
def test_an_import_of_a_private_address_goes_to_the_fetcher_which_refuses(host: str) -> None:
    url = f"http://{host}/latest/meta-data/schema.xsd"
    files = {"a.wsdl": WSDL_WITH_IMPORT.format(location=url).encode()}
    with pytest.raises(UnsafeSpecError) as caught:
        import_wsdl_or_raise("a.wsdl", files, connector_id="x")
    assert caught.value.details == [{"url": url}]
    assert host in caught.value.message


def test_no_import_reaches_the_network_except_through_the_fetcher(loopback_server: str) -> None:
    url = f"{loopback_server}/schema.xsd"
    files = {"a.wsdl": WSDL_WITH_IMPORT.format(location=url).encode()}
    with pytest.raises(UnsafeSpecError):
        import_wsdl_or_raise("a.wsdl", files, connector_id="x")
    assert _Recorder.hits == []

    asked: list[str] = []

    def guard(requested: str) -> bytes:
        asked.append(requested)
        raise PortwayError("egress denied", code="EgressDenied")

    with pytest.raises(PortwayError) as caught:
        import_wsdl_or_raise("a.wsdl", files, connector_id="x", fetch=guard)
    assert caught.value.code == "EgressDenied"
    assert asked == [url]
    assert _Recorder.hits == []


@pytest.mark.parametrize("location", ["file:///etc/passwd", "../../../../../etc/passwd"])
def test_local_files_outside_the_upload_are_never_read(location: str) -> None:
    files = {"a.wsdl": WSDL_WITH_IMPORT.format(location=location).encode()}
    with pytest.raises(UnsafeSpecError) as caught:
        import_wsdl_or_raise("a.wsdl", files, connector_id="x")
    assert "local files are never read" in caught.value.message


def test_a_missing_import_names_the_missing_document() -> None:
    files = {"dir/a.wsdl": WSDL_WITH_IMPORT.format(location="../types/t.xsd").encode()}
    with pytest.raises(WsdlReferenceError) as caught:
        import_wsdl_or_raise("dir/a.wsdl", files, connector_id="x")
    assert caught.value.details == [{"missing": "types/t.xsd"}]


def test_a_50_mb_file_is_refused_before_parsing() -> None:
    huge = b"<wsdl:definitions>" + b" " * (50 * 1000 * 1000)
    started = time.monotonic()
    with pytest.raises(SpecTooLargeError) as caught:
        import_wsdl_or_raise("big.wsdl", {"big.wsdl": huge}, connector_id="x")
    assert time.monotonic() - started < 1
    assert caught.value.status_code == 413
    assert "50000018 bytes" in caught.value.message


def test_a_50_mb_imported_schema_is_refused_too() -> None:
    files = {"a.wsdl": WSDL_WITH_IMPORT.format(location="t.xsd").encode(),
             "t.xsd": b"<xs:schema>" + b" " * (50 * 1000 * 1000)}
    with pytest.raises(SpecTooLargeError) as caught:
        import_wsdl_or_raise("a.wsdl", files, connector_id="x")
    assert "t.xsd" in caught.value.message


def test_malformed_xml_says_where() -> None:
    with pytest.raises(SpecSyntaxError) as caught:
        import_wsdl_or_raise("a.wsdl", {"a.wsdl": b"<a>\n<b>\n</a>"}, connector_id="x")
    assert caught.value.line == 3
    assert "a.wsdl" in caught.value.message
