from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from importers import discover, import_document, import_sources, result_json
from importers.errors import PortwayError, UnsafeSpecError
from tests.importers.conftest import swagger_doc

OPENAPI = {"openapi": "3.0.3", "info": {"title": "Pets", "version": "1"},
           "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {
               "200": {"description": "ok", "content": {"application/json": {
                   "schema": {"$ref": "common/pet.yaml#/Pet"}}}}}}}}}
PET_YAML = b"Pet:\n  type: object\n  properties:\n    name: {type: string}\n"


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path / "pp" / "My Connector (EU)" / "apiDefinition.swagger.json", swagger_doc())
    write(tmp_path / "pp" / "My Connector (EU)" / "apiProperties.json",
          {"properties": {"publisher": "Me"}})
    write(tmp_path / "specs" / "pets.json", OPENAPI)
    write(tmp_path / "specs" / "common" / "pet.yaml", PET_YAML)
    write(tmp_path / "specs" / "notes.json", {"just": "data"})
    return tmp_path


def test_a_folder_walk_finds_each_spec_once(tree: Path) -> None:
    specs = discover([str(tree)])
    assert sorted((s.default_id, s.main) for s in specs) == [
        ("my-connector-eu", "pp/My Connector (EU)/apiDefinition.swagger.json"),
        ("pets", "specs/pets.json"),
    ]
    results = list(import_sources([str(tree)]))
    assert [r.ok for r in results] == [True, True]
    pp = next(r for r in results if "pp" in r.source).connector
    assert pp is not None and pp.metadata["publisher"] == "Me"


def test_sibling_file_refs_are_followed(tree: Path) -> None:
    (result,) = import_sources([str(tree / "specs" / "pets.json")], connector_id="pets")
    assert result.ok
    c = result.connector
    assert c is not None and c.id == "pets"
    schema = c.operations[0].responses[0].json_schema
    assert schema == {"type": "object", "properties": {"name": {"type": "string"}}}
    assert c.openapi is not None
    assert "$ref" not in json.dumps(c.openapi)


def test_refs_may_not_leave_the_folder(tmp_path: Path) -> None:
    doc = dict(OPENAPI, paths={"/x": {"get": {"responses": {"200": {
        "description": "ok", "content": {"application/json": {
            "schema": {"$ref": "../secret.yaml#/Pet"}}}}}}}})
    write(tmp_path / "secret.yaml", PET_YAML)
    spec = write(tmp_path / "inner" / "api.json", doc)
    (result,) = import_sources([str(spec)])
    schema = result.connector.operations[0].responses[0].json_schema  # type: ignore[union-attr]
    assert schema == {"x-portway-unresolved": "../secret.yaml#/Pet"}
    assert any("leaves the folder" in f.message for f in result.findings)


def test_a_power_platform_folder_given_directly_with_its_name(tree: Path) -> None:
    (result,) = import_sources([str(tree / "pp" / "My Connector (EU)")], connector_id="mine")
    assert result.connector is not None and result.connector.id == "mine"


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_import(tmp_path: Path) -> None:
    archive = write(tmp_path / "bundle.zip", make_zip({
        "api/pets.json": json.dumps(OPENAPI).encode(), "api/common/pet.yaml": PET_YAML}))
    (result,) = import_sources([str(archive)])
    assert result.ok and result.source == f"{archive}/api/pets.json"


def test_zip_with_path_traversal_is_refused(tmp_path: Path) -> None:
    archive = write(tmp_path / "evil.zip", make_zip({"../../etc/x.json": b"{}"}))
    (result,) = import_sources([str(archive)])
    assert not result.ok
    assert result.errors[0].rule == "UnsafeSpec"


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = write(tmp_path / "bomb.zip", make_zip({"a.json": b" " * 5_000_000}))
    (result,) = import_sources([str(archive)])
    assert result.errors[0].rule == "SpecTooLarge"


def test_missing_path_fails_with_a_result_and_counts_as_one() -> None:
    assert len(discover(["/nonexistent/spec.json"])) == 1
    (result,) = import_sources(["/nonexistent/spec.json"])
    assert result_json(result)["status"] == "failed"
    assert result.errors[0].rule == "UnsafeSpec"


WSDL_FIXTURES = Path(__file__).parent / "wsdl" / "fixtures"


def test_wsdl_files_in_a_folder_go_to_the_wsdl_importer(tmp_path: Path) -> None:
    write(tmp_path / "svc" / "calc.wsdl", (WSDL_FIXTURES / "calc.wsdl").read_bytes())
    write(tmp_path / "svc" / "pets.json", OPENAPI)
    write(tmp_path / "svc" / "common" / "pet.yaml", PET_YAML)
    results = {Path(r.source).name: r for r in import_sources([str(tmp_path)])}
    assert set(results) == {"calc.wsdl", "pets.json"}
    calc = results["calc.wsdl"].connector
    assert calc is not None and calc.source_format == "wsdl" and calc.id == "calc"
    assert calc.operations


def test_urls_and_remote_refs_go_through_the_fetcher() -> None:
    served = {
        "https://specs.example/api.json": json.dumps(dict(OPENAPI, paths={"/p": {"get": {
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "pet.yaml#/Pet"}}}}}}}})).encode(),
        "https://specs.example/pet.yaml": PET_YAML,
    }
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        if url not in served:
            raise UnsafeSpecError(f"not allowed: {url}")
        return served[url]

    (result,) = import_sources(["https://specs.example/api.json"], fetch=fetch)
    assert result.ok
    assert asked == ["https://specs.example/api.json", "https://specs.example/pet.yaml"]
    (refused,) = import_sources(["https://specs.example/api.json"])
    assert refused.errors[0].rule == "UnsafeSpec"


class Unreachable(PortwayError):
    code = "UpstreamUnreachable"


def test_a_remote_ref_the_fetcher_cannot_read_costs_only_that_schema() -> None:
    main = json.dumps(dict(OPENAPI, paths={"/p": {"get": {"responses": {"200": {
        "description": "ok", "content": {"application/json": {
            "schema": {"$ref": "https://down.example/pet.yaml#/Pet"}}}}}}}})).encode()

    def fetch(url: str) -> bytes:
        raise Unreachable(f"{url} is down")

    result = import_document(main, filename="api.json", connector_id="a", fetch=fetch)
    assert result.ok
    (finding,) = [f for f in result.findings if f.rule == "unresolved-ref"]
    assert "is down" in finding.message


def test_upload_with_a_file_ref_warns_and_keeps_going() -> None:
    result = import_document(json.dumps(OPENAPI).encode(), filename="pets.json",
                             connector_id="pets")
    assert result.ok
    assert [f.rule for f in result.findings] == ["unresolved-ref"]


def test_result_json_shape() -> None:
    result = import_document(b'{"swagger": "2.0", "info": {"title": "t", "version": "1"},'
                             b' "paths": {"/a": {"get": {"x-ms-trigger": "single",'
                             b' "responses": {}}}},}', filename="s.json", connector_id="s")
    line = result_json(result)
    assert set(line) == {"source", "connector", "status", "operations", "triggers",
                         "warnings", "errors"}
    assert (line["source"], line["connector"], line["status"], line["operations"],
            line["triggers"], line["errors"]) == ("s.json", "s", "imported", 1, 1, [])
    assert {w["rule"] for w in line["warnings"]} == {"load-trailing-comma",
                                                    "missing-operation-id"}
    assert set(line["warnings"][0]) >= {"rule", "severity", "pointer", "message"}
    failed = result_json(import_document(b"{", filename="b.json", connector_id="b"))
    assert failed["status"] == "failed" and failed["connector"] is None
    assert (failed["errors"][0]["line"], failed["errors"][0]["column"]) == (1, 2)


def test_xml_uploads_go_to_the_wsdl_importer() -> None:
    result = import_document(b"<definitions/>", filename="svc.wsdl", connector_id="svc")
    assert result.connector is None or result.connector.source_format == "wsdl"
    assert result.source == "svc.wsdl"


def test_script_csx_beside_the_spec_flags_every_operation(tree: Path) -> None:
    folder = tree / "pp" / "My Connector (EU)"
    write(folder / "script.csx", b"public class Script : ScriptBase {}")
    (result,) = import_sources([str(folder)])
    c = result.connector
    assert c is not None
    assert all(op.unsupported for op in c.operations)
    assert [f.rule for f in result.findings] == ["script-operation"] * len(c.operations)


def test_properties_given_separately_for_one_spec(tmp_path: Path) -> None:
    spec = write(tmp_path / "api.json", swagger_doc())
    props = write(tmp_path / "elsewhere" / "props.json",
                  {"properties": {"publisher": "Someone"}})
    (result,) = import_sources([str(spec)], properties=str(props), connector_id="x")
    assert result.connector is not None
    assert (result.connector.id, result.connector.metadata["publisher"]) == ("x", "Someone")


def test_a_wsdl_file_reads_the_documents_it_imports_from_its_folder() -> None:
    (result,) = import_sources([str(WSDL_FIXTURES / "multi" / "main.wsdl")])
    assert result.connector is not None and result.ok
    assert (result.connector.id, len(result.connector.operations)) == ("main", 3)
