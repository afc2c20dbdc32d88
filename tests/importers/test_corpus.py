"""The REST importers over the whole shared corpus, file by file.

Expected counts are computed here from the raw files, independently of the importer: every
HTTP method under ``paths`` is an operation, every operation with ``x-ms-trigger`` a trigger
(for OpenAPI 3, ``ops=N`` in MANIFEST.tsv). Each corpus runs in one test that collects every
mismatch into one readable assertion message.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.testing import MockRequest

from importers import Connector, ImportResult, lint, result_json
from importers.lint import RULES as LINT_RULES
from importers.loading import load_document
from importers.sources import discover

pytestmark = pytest.mark.corpus

#: ``corpus_imports`` (tests/conftest.py): each corpus imported once per session.
Imported = Callable[[str], list[ImportResult]]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The files SOURCE.md lists as broken beyond repair (missing commas, unbalanced brackets,
# extra data), by connector folder; the file named is the one that is broken. The corpus
# here is most of the published set; the whole set has one more, found by _unreadable().
BROKEN = {
    "certified-connectors/CognitiveServicesTextAnalytics": "apiDefinition.swagger.json",
    "certified-connectors/IN-D Invoice Data Capture": "apiDefinition.swagger.json",
    "certified-connectors/SigningHub": "apiProperties.json",
    "certified-connectors/Shopranos": "apiProperties.json",
    "certified-connectors/gofileroom": "apiProperties.json",
    "independent-publisher-connectors/Icon Horse": "apiDefinition.swagger.json",
    "independent-publisher-connectors/StabilityAI": "apiDefinition.swagger.json",
    "independent-publisher-connectors/GIPHY": "apiDefinition.swagger.json",
    "independent-publisher-connectors/AccuWeather": "apiDefinition.swagger.json",
    "independent-publisher-connectors/XSOAR": "apiDefinition.swagger.json",
}


def _read_leniently(path: Path) -> Any:
    """A second, independent reading of a (possibly defective) JSON file, for the counts."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text, strict=False)


def _declared(doc: Any) -> tuple[int, int]:
    ops = triggers = 0
    for item in (doc.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                ops += 1
                if "x-ms-trigger" in item[method]:
                    triggers += 1
    return ops, triggers


# Files SOURCE.md lists as repairable, by folder: what the importer must say it repaired.
REPAIRED = {
    "certified-connectors/AvePoint Cloud Governance": "load-bom",
    "certified-connectors/Microsoft Bookings": "load-bom",
    "certified-connectors/SignNow": "load-bom",
    "certified-connectors/InEight": "load-bom",
    "certified-connectors/DocuSignDemo": "load-trailing-comma",
    "certified-connectors/PUG Gamified Engagement": "load-trailing-comma",
    "certified-connectors/Revizto (Ireland)": "load-trailing-comma",
    "certified-connectors/envoy": "load-trailing-comma",
    "certified-connectors/Plumsail Documents": "load-trailing-comma",
    "independent-publisher-connectors/Yelp": "load-encoding",
    "independent-publisher-connectors/Brønnøysundregistrene": "load-encoding",
    "certified-connectors/Easyvista_Service._Manager": "load-control-character",
    "certified-connectors/EleadProductReference": "load-duplicate-key",
    "certified-connectors/RecordedFutureV2": "load-duplicate-key",
    "certified-connectors/Rainbird": "load-duplicate-key",
    "independent-publisher-connectors/Hashify": "load-duplicate-key",
    "independent-publisher-connectors/De Lijn": "load-duplicate-key",
}


def _unreadable(folder: Path, spec: Path) -> str | None:
    """The file of a connector that this test's own lenient reading cannot parse, if any."""
    for path in (spec, folder / "apiProperties.json"):
        if path.is_file():
            try:
                _read_leniently(path)
            except ValueError:
                return path.name
    return None


def test_powerplatform_corpus(corpus: Path, corpus_imports: Imported) -> None:
    """Every connector imports with the counts its spec declares, or is broken and says where.

    A connector counts as broken when this test's own, independent lenient reading cannot
    parse its spec or apiProperties.json; the ten files SOURCE.md names must be among them.
    """
    root = corpus / "powerplatform"
    problems: list[str] = []
    imported = total_ops = total_triggers = 0
    failed_folders: set[str] = set()
    for result in corpus_imports("powerplatform"):
        line = result_json(result)
        spec = Path(result.source)
        folder = str(spec.parent.relative_to(root))
        broken = _unreadable(spec.parent, spec)
        if line["status"] == "failed":
            failed_folders.add(folder)
            if broken is None:
                problems.append(f"{folder}: failed but is not a broken file: {line['errors']}")
                continue
            (error,) = line["errors"]
            if broken not in error["message"] or "line" not in error or "column" not in error:
                problems.append(f"{folder}: the error does not say where in {broken}: {error}")
            continue
        imported += 1
        if broken is not None:
            problems.append(f"{folder}: imported, but {broken} is broken")
            continue
        repair = REPAIRED.get(folder)
        if repair is not None and repair not in {w["rule"] for w in line["warnings"]}:
            problems.append(f"{folder}: no {repair} warning")
        raw = _read_leniently(spec)
        ops, triggers = _declared(raw)
        total_ops += ops
        total_triggers += triggers
        if (line["operations"], line["triggers"]) != (ops, triggers):
            problems.append(f"{folder}: {line['operations']} operations and {line['triggers']}"
                            f" triggers; the spec declares {ops} and {triggers}")
        assert result.connector is not None and result.connector.openapi is not None
        if len(result.connector.openapi["paths"]) != len(raw.get("paths") or {}):
            problems.append(f"{folder}: the OpenAPI 3 conversion lost paths")
    assert not problems, "\n".join(problems)
    assert {f for f in BROKEN if (root / f).is_dir()} <= failed_folders
    assert imported > 850
    assert total_ops > 13_000
    assert total_triggers > 600


def _manifest(root: Path) -> list[dict[str, str]]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_openapi3_corpus(corpus: Path, corpus_imports: Imported) -> None:
    root = corpus / "openapi3"
    rows = {r["file"]: r for r in _manifest(root)}
    results = {str(Path(r.source).relative_to(root)): r for r in corpus_imports("openapi3")}
    problems: list[str] = []
    for name, row in rows.items():
        if row["kind"].startswith("companion"):
            if name in results:
                problems.append(f"{name}: a companion file was imported as a spec")
            continue
        result = results.get(name)
        if result is None:
            problems.append(f"{name}: not found by the walk")
            continue
        line = result_json(result)
        match = re.search(r"ops=(\d+)", row["features"])
        assert match, row
        if line["status"] != "imported":
            problems.append(f"{name}: failed: {line['errors']}")
            continue
        if line["operations"] != int(match.group(1)) or line["triggers"] != 0:
            problems.append(f"{name}: {line['operations']} operations, {line['triggers']}"
                            f" triggers; the manifest says {match.group(1)} and 0")
        if row["schema_test_expectation"].startswith("invalid"):
            assert result.connector is not None
            doc = yaml.safe_load((root / name).read_bytes())
            errors = [f for f in lint(result.connector, doc) if f.severity == "error"
                      and f.rule in ("spec-schema", "example-and-examples", "link-fields")]
            if not errors:
                problems.append(f"{name}: invalid on purpose, yet the lint finds nothing")
    specs = [name for name, row in rows.items() if not row["kind"].startswith("companion")]
    assert sorted(results) == sorted(specs)
    assert not problems, "\n".join(problems)


def test_discover_counts_each_power_platform_folder_once(corpus: Path) -> None:
    root = corpus / "powerplatform"
    folders = {p.parent for p in root.glob("*/*/*.swagger.json")
               if (p.parent / "apiProperties.json").is_file()}
    specs = discover([str(root)])
    assert sorted(Path(s.label).parent for s in specs) == sorted(folders)
    assert len({s.default_id for s in specs}) == len(specs)


def _request_for(base_url: str, method: str, path: str) -> MockRequest:
    parts = urlsplit(base_url or "https://upstream.invalid")
    host = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://upstream.invalid"
    return MockRequest(host, method.lower(), parts.path.rstrip("/") + path)


@pytest.mark.slow
def test_openapi_core_routes_the_converted_power_platform_operations(
        corpus_imports: Imported) -> None:
    """Every converted document compiles in openapi-core and routes its operations."""
    problems: list[str] = []
    config = Config(spec_validator_cls=None)
    for result in corpus_imports("powerplatform"):
        if result.connector is None:
            continue
        c = result.connector
        assert c.openapi is not None
        api = OpenAPI.from_dict(c.openapi, config=config)
        for op in c.operations[:5]:
            path = op.path
            for p in op.parameters:
                if p.location == "path":
                    path = path.replace("{" + p.name + "}", "1")
            with warnings.catch_warnings():
                # openapi-core warns about security schemes it cannot check (oauth2); the
                # gateway injects credentials itself.
                warnings.simplefilter("ignore", UserWarning)
                try:
                    api.validate_request(_request_for(c.base_url, op.method, path))
                except (PathNotFound, OperationNotFound, ServerNotFound) as exc:
                    problems.append(f"{c.id} {op.method} {op.path}: {exc}")
                except OpenAPIError:
                    pass  # a missing parameter or credential: the route itself was found
                except KeyError:
                    # openapi-core formats templates with str.format, so a variable with a
                    # dot ({webhook.id}) breaks it; the gateway's own router is not affected.
                    if not re.search(r"\{[^}]*\.[^}]*\}", op.path):
                        raise
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_lint_and_json_round_trip_over_both_corpora(corpus_imports: Imported) -> None:
    """The lint reads every real document without failing; definitions round-trip."""
    known = set(LINT_RULES)
    unknown: set[str] = set()
    counted = 0
    for name in ("powerplatform", "openapi3"):
        for index, result in enumerate(corpus_imports(name)):
            if result.connector is None:
                continue
            doc = load_document(Path(result.source).read_bytes(), source=result.source).data
            unknown |= {f.rule for f in lint(result.connector, doc)} - known
            counted += 1
            if index % 10 == 0:
                text = result.connector.model_dump_json()
                assert Connector.model_validate_json(text) == result.connector
    assert unknown == set()
    assert counted > 1000
