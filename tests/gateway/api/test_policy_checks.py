"""A policy that does not compile is the publisher's error at import, validate and PUT —
not a 422 on every call blamed on the caller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.test_catalogue import connector_count, widgets_spec

BROKEN = {"properties": {"policyTemplateInstances": [
    {"templateId": "setheader", "title": "Set the tenant",
     "parameters": {"x-ms-apimTemplateParameter.value": "acme"}}]}}  # no header name


def _files() -> dict[str, tuple[str, bytes, str]]:
    return {"spec": ("apiDefinition.swagger.json", json.dumps(widgets_spec()).encode(),
                     "application/json"),
            "apiProperties": ("apiProperties.json", json.dumps(BROKEN).encode(),
                              "application/json")}


def test_put_and_validate_refuse_a_policy_that_does_not_compile(
        gateway: RunningGateway) -> None:
    with gateway.client() as client:
        refused = client.put("/v1/connectors/widgets", files=_files())
        checked = client.post("/v1/connectors/validate", files=_files())
    assert_error_shape(refused, 422, "InvalidSpec")
    details = refused.json()["error"]["details"]
    assert [d["rule"] for d in details if d["severity"] == "error"] == ["InvalidPolicy"]
    assert "'Set the tenant' (setheader)" in refused.json()["error"]["message"]
    assert connector_count(gateway.services) == (0, 0)
    assert checked.status_code == 200
    assert checked.json()["valid"] is False
    assert [e["rule"] for e in checked.json()["errors"]] == ["InvalidPolicy"]


def test_the_cli_import_and_validate_refuse_it_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTWAY_DATABASE_URL", database_url)
    folder = tmp_path / "Widgets"
    folder.mkdir()
    (folder / "apiDefinition.swagger.json").write_text(json.dumps(widgets_spec()))
    (folder / "apiProperties.json").write_text(json.dumps(BROKEN))
    for command in ("import", "validate"):
        assert main([command, str(folder), "--json"]) == 1
        [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert line["status"] == "failed"
        assert "InvalidPolicy" in [e["rule"] for e in line["errors"]]
