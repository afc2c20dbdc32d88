"""The built-in connectors in the catalogue: listed with kind ``builtin`` and network
``core``, read whole (operations, schemas, connection parameters with the secret ones
marked), read-only, lint-clean like a publisher's connector, and absent from a gateway
without the runtime."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest

import importers
from gateway.catalogue import builtin_connectors
from gateway.cli import main
from gateway.extensions import Extension
from runtime.builtins import ENTRY_POINT_GROUP
from runtime.builtins.catalogue import catalogue_entries, catalogue_entry
from runtime.builtins.smtp import SmtpProvider
from runtime.extension import RuntimeExtension
from tests.gateway.conftest import RunningGateway


def _errors_of(provider: Any) -> list[importers.Finding]:
    connector = importers.Connector.model_validate(catalogue_entry(provider))
    return [f for f in importers.lint(connector) if f.severity == "error"]


def test_every_shipped_built_in_connector_passes_the_publishers_lint() -> None:
    shipped = [point for point in entry_points(group=ENTRY_POINT_GROUP)
               if point.value.startswith("runtime.")]
    assert "smtp" in {point.name for point in shipped}
    for point in shipped:
        provider = point.load()()
        assert _errors_of(provider) == [], point.name
        connector = importers.Connector.model_validate(catalogue_entry(provider))
        assert all(op.responses[0].json_schema for op in connector.operations)


def test_a_gateway_without_the_runtime_lists_no_built_in_connector() -> None:
    assert builtin_connectors([]) == {}
    assert "smtp" in builtin_connectors([RuntimeExtension()])


class _Broken:
    id = "/serviceProviders/broken"
    display_name = "Broken"
    connection_parameters: dict[str, Any] = {}

    def operations(self) -> Any:
        raise RuntimeError("a third party's bug")


class _Describing(Extension):
    name = "describing"

    def builtin_connectors(self) -> list[dict[str, Any]]:
        good = catalogue_entry(SmtpProvider())
        return [{**good, "id": "a/b"}, {**good, "id": ""}, {"id": "x", "nonsense": 1},
                {**good, "id": "mail"}, {**good, "id": "mail", "displayName": "Second"}]


def test_a_provider_or_entry_that_cannot_be_described_is_left_out_the_rest_listed(
        ) -> None:
    entries = catalogue_entries([_Broken(), SmtpProvider()])
    assert [e["id"] for e in entries] == ["smtp"]
    found = builtin_connectors([_Describing()])
    assert list(found) == ["mail"] and found["mail"].display_name == "SMTP"
    assert found["mail"].kind == "builtin"


def _list(client: httpx.Client, **query: str) -> list[dict[str, Any]]:
    answer = client.get("/v1/connectors", params=query)
    assert answer.status_code == 200, answer.text
    value: list[dict[str, Any]] = answer.json()["value"]
    return value


def test_the_catalogue_lists_and_shows_the_built_in_connectors(
        runtime_gateway: RunningGateway, client: httpx.Client) -> None:
    smtp = {"id": "smtp", "displayName": "SMTP", "kind": "builtin", "tier": "standard",
            "network": "core", "version": 1}
    [listed] = [c for c in _list(client) if c["id"] == "smtp"]
    assert {k: listed[k] for k in smtp} == smtp
    assert [c["id"] for c in _list(client, kind="builtin")] == sorted(
        c["id"] for c in _list(client, kind="builtin"))
    assert "smtp" in [c["id"] for c in _list(client, kind="builtin", network="core")]
    assert "smtp" in [c["id"] for c in _list(client, q="email")]
    assert "smtp" not in [c["id"] for c in _list(client, kind="custom")]
    assert "smtp" not in [c["id"] for c in _list(client, network="private")]
    assert "smtp" not in [c["id"] for c in _list(client, q="no such words")]

    whole = client.get("/v1/connectors/smtp").json()
    assert (whole["kind"], whole["network"], whole["versionNumber"]) == ("builtin", "core", 1)
    assert whole["metadata"]["serviceProviderId"] == "/serviceProviders/Smtp"
    [send] = whole["operations"]
    assert (send["operationId"], send["kind"]) == ("sendEmail", "action")
    assert {"from", "to", "attachment"} <= set(send["requestSchema"]["properties"])
    assert send["responses"][0]["jsonSchema"]["properties"]["response"]["type"] == "string"
    types = {p["name"]: p["type"] for p in whole["connectionParameters"]}
    assert types == {"serverAddress": "string", "userName": "string",
                     "password": "securestring", "port": "int", "enableSSL": "bool"}
    versions = client.get("/v1/connectors/smtp/versions").json()
    assert versions["current"] == 1 and [v["version"] for v in versions["value"]] == [1]
    assert client.get("/v1/connectors/smtp", params={"version": "2"}).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/v1/connectors/smtp", b'{"swagger": "2.0", "info": {"title": "x", '
                                   b'"version": "1"}, "paths": {}}'),
    ("PUT", "/v1/connectors/SMTP", b'{"swagger": "2.0", "info": {"title": "x", '
                                   b'"version": "1"}, "paths": {}}'),
    ("DELETE", "/v1/connectors/smtp", b""),
    ("DELETE", "/v1/connectors/smtp?force=true", b""),
    ("PUT", "/v1/connections/mail", b'{"connector": "smtp", "parameters": {}}'),
])
def test_a_built_in_connector_is_read_only(runtime_gateway: RunningGateway,
                                           client: httpx.Client, method: str, path: str,
                                           body: bytes) -> None:
    answer = client.request(method, path, content=body,
                            headers={"content-type": "application/json"})
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BuiltinConnector" and "serviceProviderConnections" in \
        error["message"]
    assert set(error) == {"code", "message", "requestId", "details"}
    assert client.get("/v1/connectors/smtp").json()["kind"] == "builtin"
    assert client.get("/v1/connections/mail").status_code == 404


def test_the_command_line_lists_built_in_connectors_from_the_store_and_over_the_api(
        runtime_gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTWAY_DATABASE_URL", database_url)
    assert main(["import", str(_spec(tmp_path)), "--name", "widgets"]) == 0
    capsys.readouterr()
    assert main(["connectors", "list"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert ["smtp", "builtin", "standard", "core", "1", "SMTP"] in lines
    assert ["widgets", "custom"] in [line[:2] for line in lines]
    assert [line[0] for line in lines] == sorted(line[0] for line in lines)
    assert main(["connectors", "list", "--kind", "builtin", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "smtp" in {c["id"] for c in listed} and {c["kind"] for c in listed} == {"builtin"}
    token = tmp_path / "token"
    token.write_text(runtime_gateway.owner_token)
    assert main(["connectors", "list", "-q", "email", "--json", "--url",
                 runtime_gateway.url, "--token-file", str(token)]) == 0
    remote = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["id"] for c in remote] == ["smtp"]


def _spec(folder: Path) -> Path:
    path = folder / "widgets.json"
    path.write_text(json.dumps({
        "swagger": "2.0", "info": {"title": "Widgets", "version": "1"},
        "host": "widgets.example.net", "paths": {"/w": {"get": {
            "operationId": "ListWidgets", "responses": {"200": {"description": "ok"}}}}}}))
    return path
