"""Every form a deploy reads: Standard project folders and workflow.json, the Consumption
forms (bare definition, workflow resource, gallery and ARM templates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtime.definitions import check, load_path
from runtime.errors import DefinitionInvalid

DEFINITION = {"triggers": {"manual": {"type": "Request", "kind": "Http"}},
              "actions": {"Answer": {"type": "Response", "runAfter": {},
                                     "inputs": {"statusCode": 200}}}}


def _write(path: Path, value: Any, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_a_standard_workflow_json_is_named_after_its_folder(tmp_path: Path) -> None:
    path = _write(tmp_path / "Orders" / "workflow.json",
                  {"definition": DEFINITION, "kind": "Stateless"}, bom=True)
    [spec] = load_path(path).workflows
    assert (spec.name, spec.kind, spec.pointer, spec.source) == (
        "Orders", "Stateless", "/definition", "workflow.json")
    assert load_path(path, "Other").workflows[0].name == "Other"


def test_a_bare_definition_and_a_workflow_resource(tmp_path: Path) -> None:
    [bare] = load_path(_write(tmp_path / "bare.json", DEFINITION)).workflows
    assert (bare.name, bare.pointer, bare.definition) == ("bare", "", DEFINITION)
    resource = {"type": "Microsoft.Logic/workflows", "name": "wf", "properties": {
        "definition": {**DEFINITION, "parameters": {"$connections": {"type": "Object"},
                                                    "limit": {"type": "Int"}}},
        "parameters": {"$connections": {"value": {"office365": {
            "connectionId": "/subscriptions/x/connections/mail-prod",
            "connectionName": "office365", "id": "/managedApis/office365"}}},
            "limit": {"value": 5}}}}
    [spec] = load_path(_write(tmp_path / "resource.json", resource)).workflows
    assert spec.pointer == "/properties/definition"
    assert spec.connection_references == {"office365": "office365"}
    assert spec.parameters == {"limit": {"type": "Int", "value": 5}}


def test_gallery_and_arm_templates_from_the_corpus(corpus: Path) -> None:
    gallery = corpus / "workflows" / "templates" / "request-response.json"
    [spec] = load_path(gallery).workflows
    assert (spec.name, spec.pointer) == ("request-response", "/properties/definition")
    assert "request" in spec.definition["triggers"]
    arm = corpus / "workflows" / "scripts" / "recurrence-jobs" / "schedulesWithConn.json"
    specs = load_path(arm).workflows
    # Three workflows, one of them redefined by a nested deployment (the last one wins).
    assert sorted(s.name for s in specs) == [
        "CreateRecurrenceJobLogicAppName", "ExecuteRecurrenceJobLogicAppName",
        "RescheduleRecurrenceJobLogicAppName"]
    assert any("/properties/template/" in s.pointer for s in specs)
    assert all(s.pointer.endswith("/properties/definition") for s in specs)


def test_a_standard_project_from_the_corpus(corpus: Path) -> None:
    bundle = load_path(corpus / "workflows" / "github-sample" / "logic")
    [spec] = bundle.workflows
    assert spec.name == "EventProcessor"
    assert spec.connection_references == {"azureblob": "azureblob"}
    assert spec.parameters["blob_auth"]["type"] == "object"
    assert spec.files == {"parameters": "parameters.json", "connections": "connections.json"}
    check(bundle.workflows)


def test_a_project_brings_app_settings_parameters_and_connections(tmp_path: Path) -> None:
    root = tmp_path / "app"
    _write(root / "local.settings.json", {"Values": {"A": "1"}})
    _write(root / "parameters.json", {"p": {"type": "String", "value": "@appsetting('A')"}})
    _write(root / "connections.json", {
        "managedApiConnections": {"mail": {"connection": {"id": "/x/connections/mail-1"}}},
        "serviceProviderConnections": {"sql": {"serviceProvider": {"id": "/serviceProviders/sql"},
                                               "parameterValues": {"connectionString": "s"}}}})
    for name in ("One", "Two"):
        _write(root / name / "workflow.json", {"definition": DEFINITION, "kind": "Stateful"})
    bundle = load_path(root)
    assert bundle.app_settings == {"A": "1"}
    assert [w.name for w in bundle.workflows] == ["One", "Two"]
    assert bundle.workflows[0].connection_references == {"mail": "mail-1"}
    assert set(bundle.workflows[1].service_provider_connections) == {"sql"}
    assert [w.name for w in load_path(root, "Two").workflows] == ["Two"]


@pytest.mark.parametrize(("content", "message"), [
    (b"{broken", "not valid JSON at line 1"),
    (b"[1, 2]", "must hold a JSON object"),
    (b'{"hello": "world"}', "not a workflow"),
    (b'{"type": "Microsoft.Logic/workflows", "properties": {}}', "needs properties.definition"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_unreadable_files_are_refused_with_their_name(tmp_path: Path, content: bytes,
                                                      message: str) -> None:
    path = tmp_path / "thing.json"
    path.write_bytes(content)
    with pytest.raises(DefinitionInvalid) as raised:
        load_path(path)
    assert raised.value.details[0]["file"] == "thing.json"
    assert message in raised.value.details[0]["message"]


def test_bad_project_files_are_all_reported(tmp_path: Path) -> None:
    root = tmp_path / "app"
    _write(root / "local.settings.json", {"Values": {"N": 3}})
    _write(root / "parameters.json", {"p": "no value"})
    _write(root / "W" / "workflow.json", {"definition": DEFINITION})
    with pytest.raises(DefinitionInvalid) as raised:
        load_path(root)
    places = {(d["file"], d["pointer"]) for d in raised.value.details}
    assert places == {("local.settings.json", "/Values/N"), ("parameters.json", "/p")}
    with pytest.raises(DefinitionInvalid, match="no sub-folder"):
        load_path(_write(tmp_path / "empty" / "x.txt", {}).parent)


def test_a_project_cannot_make_a_deploy_read_files_outside_it(tmp_path: Path) -> None:
    """A project checked out from elsewhere may hold symbolic links: those leading out of
    the project are refused by name, before anything outside is read."""
    elsewhere = _write(tmp_path / "private" / "secrets.json", {"p": {"value": "stolen"}})
    root = tmp_path / "app"
    _write(root / "W" / "workflow.json", {"definition": DEFINITION, "kind": "Stateful"})
    (root / "parameters.json").symlink_to(elsewhere)
    (root / "V").mkdir()
    (root / "V" / "workflow.json").symlink_to(
        _write(tmp_path / "other" / "workflow.json", {"definition": DEFINITION}))
    with pytest.raises(DefinitionInvalid) as raised:
        load_path(root)
    assert {(d["file"], d["message"]) for d in raised.value.details} == {
        ("parameters.json", "is a link to outside the project folder"),
        ("V/workflow.json", "is a link to outside the project folder")}
    assert "stolen" not in str(raised.value.details)


def test_links_inside_the_project_are_read(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shared = _write(root / "common" / "parameters.json", {"p": {"type": "String", "value": "v"}})
    _write(root / "W" / "workflow.json", {"definition": DEFINITION, "kind": "Stateful"})
    (root / "parameters.json").symlink_to(shared)
    assert load_path(root).workflows[0].parameters["p"]["value"] == "v"


def test_a_workflow_folder_cannot_lead_outside_either(tmp_path: Path) -> None:
    folder = tmp_path / "W"
    folder.mkdir()
    (folder / "workflow.json").symlink_to(
        _write(tmp_path / "elsewhere.json", {"definition": DEFINITION}))
    with pytest.raises(DefinitionInvalid, match="link to outside the project folder"):
        load_path(folder)
