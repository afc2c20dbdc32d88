"""The connector catalogue over HTTP: list with filters, read a
version, versions, PUT as JSON, YAML, WSDL and multipart, breaking changes, bad uploads,
delete with connections, the managed catalogue, validate, and who may do what."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.app import create_app
from gateway.services import Services, build_services
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.test_catalogue import SHIPPED, SHIPPED_IDS, connector_count, widgets_spec
from tests.support import web
from tests.support.servers import serve_in_thread

ECHO_WSDL = b"""<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="urn:portway:echo" targetNamespace="urn:portway:echo" name="Echo">
  <wsdl:types>
    <xs:schema targetNamespace="urn:portway:echo" elementFormDefault="qualified">
      <xs:element name="Echo">
        <xs:complexType><xs:sequence>
          <xs:element name="text" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="EchoResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="text" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="EchoIn"><wsdl:part name="parameters" element="tns:Echo"/></wsdl:message>
  <wsdl:message name="EchoOut">
    <wsdl:part name="parameters" element="tns:EchoResponse"/>
  </wsdl:message>
  <wsdl:portType name="EchoPort">
    <wsdl:operation name="Echo">
      <wsdl:input message="tns:EchoIn"/><wsdl:output message="tns:EchoOut"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="EchoBinding" type="tns:EchoPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Echo">
      <soap:operation soapAction="urn:portway:echo#Echo"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EchoService">
    <wsdl:port name="EchoSoap" binding="tns:EchoBinding">
      <soap:address location="https://soap.echo.test/echo"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

PROPERTIES = {"properties": {"connectionParameters": {
    "api_key": {"type": "securestring", "uiDefinition": {"displayName": "Key"}},
    "region": {"type": "string", "allowedValues": [{"value": "eu"}, {"value": "us"}],
               "uiDefinition": {"displayName": "Region"}},
}}}


def _put(client: httpx.Client, spec: dict[str, Any], connector_id: str = "widgets",
         **params: str) -> httpx.Response:
    return client.put(f"/v1/connectors/{connector_id}", json=spec, params=params)


def test_put_json_then_read_list_and_versions(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        created = _put(client, widgets_spec())
        assert created.status_code == 201, created.text
        assert created.headers["location"] == "/v1/connectors/widgets"
        body = created.json()
        assert (body["connector"], body["status"], body["operations"], body["version"]) == (
            "widgets", "imported", 2, 1)
        assert body["breakingChanges"] == [] and body["unchanged"] is False
        definition = client.get("/v1/connectors/widgets").json()
        assert (definition["id"], definition["kind"], definition["versionNumber"]) == (
            "widgets", "custom", 1)
        assert definition["displayName"] == "Widget Store"
        assert sorted(op["operationId"] for op in definition["operations"]) == [
            "GetItem", "ListItems"]
        assert definition["openapi"]["openapi"].startswith("3.0")
        listed = client.get("/v1/connectors").json()["value"]
        assert listed == [{"id": "widgets", "displayName": "Widget Store",
                           "description": definition["description"], "kind": "custom",
                           "tier": "standard", "network": "core", "version": 1}]
        versions = client.get("/v1/connectors/widgets/versions").json()
        assert versions["current"] == 1
        assert [v["version"] for v in versions["value"]] == [1]


def test_list_filters_by_kind_tier_and_text(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        assert _put(client, widgets_spec()).status_code == 201
        assert _put(client, widgets_spec(title="Gadget Hub", tier="enterprise"),
                    "gadgets").status_code == 201

        def ids(**params: str) -> list[str]:
            response = client.get("/v1/connectors", params=params)
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["value"]]

        assert ids() == ["gadgets", "widgets"]
        assert ids(tier="enterprise") == ["gadgets"]
        assert ids(tier="standard") == ["widgets"]
        assert ids(kind="custom") == ["gadgets", "widgets"]
        assert ids(kind="managed") == []
        assert ids(q="GADGET") == ["gadgets"]
        assert ids(q="hub", tier="standard") == []
        assert_error_shape(client.get("/v1/connectors", params={"tier": "gold"}),
                           400, "BadRequest")
        assert_error_shape(client.get("/v1/connectors", params={"kind": "x"}),
                           400, "BadRequest")


def _zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_put_a_power_platform_folder_as_a_zip(gateway: RunningGateway) -> None:
    properties = {"properties": {"connectionParameters": {"api_key": {
        "type": "securestring", "uiDefinition": {"displayName": "API key"}}}}}
    body = _zipped({"widgets/apiDefinition.swagger.json": json.dumps(widgets_spec()),
                    "widgets/apiProperties.json": json.dumps(properties)})
    with gateway.client() as client:
        created = client.put("/v1/connectors/zipped", content=body,
                             headers={"content-type": "application/zip"})
        assert created.status_code == 201, created.text
        definition = client.get("/v1/connectors/zipped").json()
        assert [p["name"] for p in definition["connectionParameters"]] == ["api_key"]
        two = _zipped({"a/one.swagger.json": json.dumps(widgets_spec()),
                       "b/two.swagger.json": json.dumps(widgets_spec(title="Two"))})
        refused = client.put("/v1/connectors/twice", content=two,
                             headers={"content-type": "application/zip"})
        assert_error_shape(refused, 422, "InvalidSpec")
        assert "exactly one connector" in refused.json()["error"]["message"]
        assert client.get("/v1/connectors/twice").status_code == 404


def test_put_yaml_body(gateway: RunningGateway) -> None:
    text = yaml.safe_dump(widgets_spec(extra_operation=True))
    with gateway.client() as client:
        response = client.put("/v1/connectors/widgets", content=text,
                              headers={"content-type": "application/yaml"})
        assert response.status_code == 201, response.text
        assert response.json()["operations"] == 3
        assert client.get("/v1/connectors/widgets").json()["sourceFormat"] == "swagger2"


def test_put_wsdl_body_makes_a_soap_connector(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = client.put("/v1/connectors/echo", content=ECHO_WSDL,
                              headers={"content-type": "text/xml"})
        assert response.status_code == 201, response.text
        definition = client.get("/v1/connectors/echo").json()
    assert (definition["protocol"], definition["sourceFormat"]) == ("soap", "wsdl")
    assert [op["operationId"] for op in definition["operations"]] == ["Echo"]
    assert definition["operations"][0]["soap"]["address"] == "https://soap.echo.test/echo"
    # The WSDL documents stay in the store for the SOAP client, not in the response.
    assert "documents" not in definition
    assert gateway.services.connectors.get("echo").connector.documents


def test_put_multipart_with_api_properties(gateway: RunningGateway) -> None:
    files = {"spec": ("apiDefinition.swagger.json", json.dumps(widgets_spec()),
                      "application/json"),
             "apiProperties": ("apiProperties.json", json.dumps(PROPERTIES),
                               "application/json")}
    with gateway.client() as client:
        response = client.put("/v1/connectors/widgets", files=files)
        assert response.status_code == 201, response.text
        definition = client.get("/v1/connectors/widgets").json()
    parameters = {p["name"]: p for p in definition["connectionParameters"]}
    assert sorted(parameters) == ["api_key", "region"]
    assert parameters["api_key"]["type"] == "securestring"
    assert definition["auth"][0]["parameters"] == ["api_key"]


def test_reimport_versions_and_breaking_changes(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        assert _put(client, widgets_spec()).status_code == 201
        same = _put(client, widgets_spec())
        assert same.status_code == 200
        assert (same.json()["version"], same.json()["unchanged"]) == (1, True)
        added = _put(client, widgets_spec(extra_operation=True))
        assert (added.status_code, added.json()["version"]) == (200, 2)
        refused = _put(client, widgets_spec(drop_list=True, extra_operation=True))
        assert_error_shape(refused, 409, "BreakingChanges")
        details = refused.json()["error"]["details"]
        assert [d["rule"] for d in details] == ["removed-operation"]
        assert "ListItems" in details[0]["message"]
        assert "allowBreaking=true" in refused.json()["error"]["message"]
        assert client.get("/v1/connectors/widgets").json()["versionNumber"] == 2
        accepted = _put(client, widgets_spec(drop_list=True, extra_operation=True),
                        allowBreaking="true")
        assert (accepted.status_code, accepted.json()["version"]) == (200, 3)
        assert [c["rule"] for c in accepted.json()["breakingChanges"]] == [
            "removed-operation"]
        old = client.get("/v1/connectors/widgets", params={"version": "1"}).json()
        assert (old["versionNumber"], len(old["operations"])) == (1, 2)
        versions = client.get("/v1/connectors/widgets/versions").json()
        assert (versions["current"], [v["version"] for v in versions["value"]]) == (
            3, [1, 2, 3])
        assert_error_shape(client.get("/v1/connectors/widgets", params={"version": "9"}),
                           404, "NotFound")
        assert_error_shape(client.get("/v1/connectors/widgets", params={"version": "0"}),
                           400, "BadRequest")
        audit = client.get("/v1/audit", params={"resource": "connectors/widgets"}).json()
    outcomes = [(e["action"], e["outcome"]) for e in audit["value"]]
    assert outcomes.count(("connector.put", "ok")) == 3
    assert outcomes.count(("connector.put", "failed")) == 1


def test_a_dry_run_put_stores_nothing(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = _put(client, widgets_spec(), dryRun="true")
        assert response.status_code == 200, response.text
        assert (response.json()["version"], response.json()["dryRun"]) == (None, True)
        assert_error_shape(client.get("/v1/connectors/widgets"), 404, "NotFound")


BAD_UPLOADS = [
    (b'{"swagger": "2.0", "info": {"title": "x",,}', "application/json", 422, "InvalidSpec"),
    (b"", "application/json", 400, "BadRequest"),
    (b"   \n", "application/yaml", 400, "BadRequest"),
    (b'{"info": {"title": "not a spec"}}', "application/json", 422, "InvalidSpec"),
    (b'[1, 2, 3]', "application/json", 422, "InvalidSpec"),
    # An XML bomb: the DTD is refused before any entity is expanded.
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
     b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" name="&b;"/>',
     "text/xml", 422, "InvalidSpec"),
    # A YAML alias bomb.
    (b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
     b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
     b"g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "application/yaml", 413, "InvalidSpec"),
]


def test_bad_uploads_get_a_clear_error_and_change_nothing(gateway: RunningGateway) -> None:
    # One gateway for every case: each case starts a database of its own otherwise.
    with gateway.client() as client:
        for content, content_type, status, code in BAD_UPLOADS:
            response = client.put("/v1/connectors/widgets", content=content,
                                  headers={"content-type": content_type})
            assert (content[:40], response.status_code) == (content[:40], status)
            assert_error_shape(response, status, code)
            assert response.json()["error"]["message"]
        assert client.get("/v1/connectors").json()["value"] == []
    assert connector_count(gateway.services) == (0, 0)


def test_a_syntax_error_says_where(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = client.put("/v1/connectors/widgets",
                              content=b'{\n  "swagger": "2.0",\n  "info": {"title": "x",,}\n}',
                              headers={"content-type": "application/json"})
    assert_error_shape(response, 422, "InvalidSpec")
    error = response.json()["error"]["details"][-1]
    assert (error["rule"], error["line"]) == ("SpecSyntaxError", 3)


def test_bad_put_requests_are_400(gateway: RunningGateway) -> None:
    cases: list[tuple[str, dict[str, str]]] = [
        ("/v1/connectors/bad%20id", {}),
        ("/v1/connectors/widgets", {"allowBreaking": "maybe"}),
        ("/v1/connectors/widgets", {"dryRun": "2"}),
    ]
    with gateway.client() as client:
        for path, params in cases:
            assert_error_shape(client.put(path, json=widgets_spec(), params=params),
                               400, "BadRequest")
    assert connector_count(gateway.services) == (0, 0)


def test_multipart_without_a_spec_part_is_400(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = client.put("/v1/connectors/widgets", files={
            "apiProperties": ("apiProperties.json", json.dumps(PROPERTIES), "application/json")})
    assert_error_shape(response, 400, "BadRequest")
    assert "'spec'" in response.json()["error"]["message"]


@pytest.fixture
def small_gateway(tmp_path: Path, database_url: str) -> Iterator[RunningGateway]:
    """A gateway whose specs may be at most 3000 bytes."""
    settings = make_settings(tmp_path, database_url, limits={"max_spec_bytes": 3000})
    services = build_services(settings)
    try:
        with serve_in_thread(create_app(services=services, extensions=[])) as url:
            token = Path(settings.security.owner_token_file).read_text().strip()
            yield RunningGateway(url=url, owner_token=token, services=services)
    finally:
        services.db.dispose()


def test_oversized_uploads_are_413_and_change_nothing(small_gateway: RunningGateway) -> None:
    big = widgets_spec()
    big["info"]["description"] = "x" * 4000
    with small_gateway.client() as client:
        assert _put(client, widgets_spec()).status_code == 201
        assert_error_shape(_put(client, big), 413, "PayloadTooLarge")
        multipart = client.put("/v1/connectors/widgets", files={
            "spec": ("spec.json", json.dumps(big), "application/json")})
        assert_error_shape(multipart, 413, "PayloadTooLarge")
        properties = client.put("/v1/connectors/widgets", files={
            "spec": ("spec.json", json.dumps(widgets_spec()), "application/json"),
            "apiProperties": ("apiProperties.json", " " * 3500 + "{}", "application/json")})
        assert_error_shape(properties, 413, "PayloadTooLarge")
        chunked = client.put("/v1/connectors/widgets",
                             content=iter([json.dumps(big).encode()]),
                             headers={"content-type": "application/json"})
        assert_error_shape(chunked, 413, "PayloadTooLarge")
        assert chunked.headers["connection"] == "close"  # its unread body ends the connection
        assert client.get("/v1/connectors/widgets/versions").json()["current"] == 1
    assert connector_count(small_gateway.services) == (1, 1)


def _connection(gateway: RunningGateway, name: str) -> None:
    gateway.services.connections.put(
        name=name, connector_id="widgets", display_name=name, tags={}, parameters={},
        secrets={"api_key": "k"}, status="Connected", status_reason="", created_by="owner")


def test_delete_refused_while_connections_use_it_unless_forced(
        gateway: RunningGateway) -> None:
    with gateway.client() as client:
        assert _put(client, widgets_spec()).status_code == 201
        _connection(gateway, "orders")
        refused = client.delete("/v1/connectors/widgets")
        assert_error_shape(refused, 409, "ConnectorInUse")
        assert refused.json()["error"]["details"] == [{"connection": "orders"}]
        assert "'orders'" in refused.json()["error"]["message"]
        assert client.get("/v1/connectors/widgets").status_code == 200
        assert client.delete("/v1/connectors/widgets",
                             params={"force": "true"}).status_code == 204
        assert_error_shape(client.get("/v1/connectors/widgets"), 404, "NotFound")
        assert_error_shape(client.get("/v1/connectors/widgets/versions"), 404, "NotFound")
        connection = client.get("/v1/connections/orders").json()
        assert (connection["status"], connection["statusReason"]) == (
            "Error", "connector 'widgets' was deleted")
        call = client.post("/v1/connections/orders/operations/GetItem", json={"id": "1"})
        assert_error_shape(call, 404, "NotFound")
        assert_error_shape(client.delete("/v1/connectors/widgets"), 404, "NotFound")
    assert connector_count(gateway.services) == (0, 0)


def test_delete_without_connections(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        assert _put(client, widgets_spec()).status_code == 201
        assert _put(client, widgets_spec(extra_operation=True)).status_code == 200
        assert client.delete("/v1/connectors/widgets").status_code == 204
        assert client.get("/v1/connectors").json()["value"] == []
        # Uploaded again, it starts a new history.
        assert _put(client, widgets_spec()).json()["version"] == 1


@pytest.fixture
def catalogue_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = make_settings(tmp_path, database_url, catalogue={"directory": str(SHIPPED)})
    services = build_services(settings)
    yield services
    services.db.dispose()


def _serve(services: Services) -> Any:
    return serve_in_thread(create_app(services=services, extensions=[]))


def test_the_managed_catalogue_loads_on_start_once(catalogue_services: Services) -> None:
    token = ""
    for _start in range(2):  # a restart on the same database adds no version
        with _serve(catalogue_services) as url:
            token = token or Path(catalogue_services.settings.security.owner_token_file
                                  ).read_text().strip()
            with web.Client(base_url=url, headers={"authorization": f"Bearer {token}"}
                              ) as client:
                managed = client.get("/v1/connectors", params={"kind": "managed"}).json()
                assert [c["id"] for c in managed["value"]] == SHIPPED_IDS
                assert {c["version"] for c in managed["value"]} == {1}
                weather = client.get("/v1/connectors/weather").json()
                assert (weather["kind"], weather["tier"]) == ("managed", "standard")
                feeds = client.get("/v1/connectors/feeds").json()
                triggers = [op for op in feeds["operations"] if op["kind"] == "trigger"]
                assert [t["trigger"]["kind"] for t in triggers] == ["polling"]
                assert client.get("/v1/connectors", params={"tier": "enterprise"}
                                  ).json()["value"][0]["id"] == "mail-relay"
    assert connector_count(catalogue_services) == (4, 4)


def test_a_managed_connector_cannot_be_replaced_or_deleted(
        catalogue_services: Services) -> None:
    with _serve(catalogue_services) as url:
        token = Path(catalogue_services.settings.security.owner_token_file).read_text().strip()
        with web.Client(base_url=url, headers={"authorization": f"Bearer {token}"}) as client:
            assert_error_shape(_put(client, widgets_spec(), "weather"), 409,
                               "ManagedConnector")
            assert_error_shape(client.delete("/v1/connectors/weather"), 409,
                               "ManagedConnector")
            assert client.get("/v1/connectors/weather").json()["displayName"] == (
                "Weather Forecasts")


def test_validate_lints_and_stores_nothing(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        clean = client.post("/v1/connectors/validate", json=widgets_spec())
        assert clean.status_code == 200, clean.text
        assert (clean.json()["valid"], clean.json()["errors"]) == (True, [])
        flawed = client.post("/v1/connectors/validate",
                             json=widgets_spec(title="The Widget API Connector"))
        assert flawed.status_code == 200
        assert flawed.json()["valid"] is False
        assert {e["rule"] for e in flawed.json()["errors"]} >= {"title-words"}
        broken = client.post("/v1/connectors/validate", content=b"{,",
                             headers={"content-type": "application/json"})
        assert broken.json()["valid"] is False
        assert broken.json()["errors"][0]["rule"] == "SpecSyntaxError"
        assert_error_shape(client.post("/v1/connectors/validate", content=b""),
                           400, "BadRequest")
    assert connector_count(gateway.services) == (0, 0)


def test_readers_read_contributors_write(gateway: RunningGateway) -> None:
    reader = gateway.token("rita", "reader")
    writer = gateway.token("carl", "contributor")
    with gateway.client(reader) as client:
        assert_error_shape(_put(client, widgets_spec()), 403, "Forbidden")
    with gateway.client(writer) as client:
        assert _put(client, widgets_spec()).status_code == 201
    with gateway.client(reader) as client:
        assert [c["id"] for c in client.get("/v1/connectors").json()["value"]] == ["widgets"]
        assert client.get("/v1/connectors/widgets").status_code == 200
        assert client.post("/v1/connectors/validate", json=widgets_spec()).status_code == 200
        assert_error_shape(client.delete("/v1/connectors/widgets"), 403, "Forbidden")
    with web.Client(base_url=gateway.url) as anonymous:
        assert_error_shape(anonymous.get("/v1/connectors"), 401, "Unauthenticated")
    assert connector_count(gateway.services) == (1, 1)


@pytest.mark.both_backends  # version numbers are handed out by the store
def test_concurrent_uploads_each_get_a_version_of_their_own(gateway: RunningGateway) -> None:
    def upload(n: int) -> int:
        spec = widgets_spec()
        spec["info"]["description"] = f"Widgets for tests, edition number {n} of six."
        with gateway.client() as client:
            response = _put(client, spec)
        assert response.status_code in (200, 201), response.text
        return int(response.json()["version"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = sorted(pool.map(upload, range(6)))
    assert versions == [1, 2, 3, 4, 5, 6]
    assert connector_count(gateway.services) == (1, 6)
