"""The importers' entry points: sources or uploaded bytes in, ``ImportResult``s out.

Every spec gives exactly one result. A spec that cannot be imported gives a failed result
(``connector`` None, one ``error`` finding saying why and where) rather than an exception,
so a folder of a thousand connectors imports all it can.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from importers.auth import unsafe_urls
from importers.errors import PortwayError, SpecError, SpecTooLargeError, UnsupportedSpecError
from importers.fetch import Fetcher, refuse_fetch
from importers.lint import lint
from importers.loading import load_document
from importers.model import Connector, Finding, ImportResult
from importers.openapi import import_openapi
from importers.properties import Properties, read_properties
from importers.refs import RefError, Resolver
from importers.sources import (
    Container,
    ContainerFiles,
    SpecSource,
    ZipContainer,
    discover,
    walk_container,
)
from importers.swagger import import_swagger

__all__ = ["discover", "import_document", "import_sources", "result_json"]


def _looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _error_finding(exc: PortwayError, pointer: str = "") -> Finding:
    line = column = None
    for detail in exc.details:
        if isinstance(detail, dict) and "line" in detail:
            line, column = detail.get("line"), detail.get("column")
    return Finding(rule=exc.code, severity="error", message=exc.message, pointer=pointer,
                   line=line, column=column)


def _loader(container: Container | None, fetch: Fetcher,
            findings: list[Finding]) -> Any:
    def load(location: str) -> Any:
        if urlsplit(location).scheme in ("http", "https"):
            try:
                raw = fetch(location)
            except SpecError:
                raise
            except PortwayError as exc:
                # The fetcher's own errors (egress refused, upstream down) make this one
                # reference unreadable, which costs only the part that uses it.
                raise RefError(f"cannot read {location}: {exc.message}",
                               details=[{"location": location}]) from None
        elif container is None:
            raise UnsupportedSpecError(
                f"the document refers to the file {location!r}; upload a zip or import the"
                " folder to include it", details=[{"location": location}])
        else:
            raw = container.read(location)
        loaded = load_document(raw, source=location)
        for f in loaded.findings:
            findings.append(f.model_copy(update={"message": f"{location}: {f.message}",
                                                 "pointer": f"{location}#{f.pointer}"}))
        return loaded.data
    return load


def _properties(raw: bytes, label: str, findings: list[Finding]) -> Properties:
    loaded = load_document(raw, source=label)
    for f in loaded.findings:
        findings.append(f.model_copy(update={"message": f"apiProperties.json: {f.message}",
                                             "pointer": "apiProperties.json#" + f.pointer}))
    return read_properties(loaded.data, findings)


def _build(data: bytes, *, source: str, location: str, connector_id: str,
           properties: bytes | None, properties_label: str, script: bool,
           container: Container | None, fetch: Fetcher, findings: list[Finding],
           with_lint: bool = False) -> Connector:
    loaded = load_document(data, source=source)
    findings.extend(loaded.findings)
    doc = loaded.data
    if not isinstance(doc, dict):
        raise UnsupportedSpecError(
            f"{source!r} is not a Swagger or OpenAPI document (its top level is not an object)")
    props = _properties(properties, properties_label, findings) if properties is not None \
        else None
    if script:
        if props is None:
            props = Properties()
        if props.script_operations is None:
            props.script_operations = []
    resolver = Resolver(doc, location=location, loader=_loader(container, fetch, findings),
                        findings=findings)
    swagger = doc.get("swagger")
    # YAML reads an unquoted `openapi: 3.0` as a number.
    version = str(doc["openapi"]) if isinstance(doc.get("openapi"), str | int | float) else None
    if swagger is not None:
        if str(swagger) != "2.0":
            raise UnsupportedSpecError(f"Swagger {swagger!r} is not supported; only 2.0 is",
                                       details=[{"pointer": "/swagger"}])
        connector = import_swagger(doc, connector_id=connector_id, resolver=resolver,
                                   properties=props, findings=findings)
    elif isinstance(version, str) and version.startswith("3."):
        if not version.startswith(("3.0", "3.1")):
            findings.append(Finding(rule="openapi-version", severity="warning",
                                    pointer="/openapi",
                                    message=f"OpenAPI {version} is newer than 3.1; read as 3.1"))
        connector = import_openapi(doc, connector_id=connector_id, resolver=resolver,
                                   properties=props, findings=findings)
    else:
        raise UnsupportedSpecError(
            f"{source!r} is neither Swagger 2.0 nor OpenAPI 3.x (no 'swagger: \"2.0\"' or"
            " 'openapi: 3.x' field)", details=[{"pointer": ""}])
    findings.extend(unsafe_urls(connector))
    if with_lint:
        findings.extend(lint(connector, doc))
    return connector


def _guarded(source: str, findings: list[Finding], build: Any) -> ImportResult:
    try:
        connector = build()
    except PortwayError as exc:
        return ImportResult(source=source, findings=[*findings, _error_finding(exc)])
    except RecursionError:
        exc2 = SpecTooLargeError("the document is nested or refers to itself too deeply")
        return ImportResult(source=source, findings=[*findings, _error_finding(exc2)])
    except Exception as exc:
        return ImportResult(source=source, findings=[*findings, Finding(
            rule="importer-bug", severity="error",
            message=f"the importer failed unexpectedly ({type(exc).__name__}); please report"
                    " this document",
        )])
    return ImportResult(source=source, connector=connector, findings=findings)


def import_document(data: bytes, *, filename: str, connector_id: str,
                    properties: bytes | None = None, fetch: Fetcher = refuse_fetch,
                    with_lint: bool = False) -> ImportResult:
    """Imports one uploaded document (JSON, YAML or XML bytes).

    A zip (a Power Platform folder zipped, or a WSDL with its imports) is walked like a
    folder and must hold exactly one connector.

    Args:
        data: The document, or a zip holding it.
        filename: Its name, used in messages and to tell YAML from JSON.
        connector_id: The id to give the connector.
        properties: The bytes of an apiProperties.json, if uploaded with it.
        fetch: Reads remote ``$ref``s and WSDL imports; the default refuses them.
        with_lint: Also run the certification lint (``validate``); its findings join the
            result's, so an error-level lint finding makes the result fail.

    Returns:
        One result; failed (with an error finding) when the document cannot be imported.
    """
    if data.startswith(_ZIP_MAGIC):
        return _import_zip(data, filename or "upload.zip", connector_id, fetch, with_lint)
    if _looks_like_xml(data):
        return _wsdl(filename or "upload.wsdl", {filename or "upload.wsdl": data},
                     connector_id, fetch)
    findings: list[Finding] = []
    return _guarded(filename, findings, lambda: _build(
        data, source=filename, location=filename, connector_id=connector_id,
        properties=properties, properties_label="apiProperties.json", script=False,
        container=None, fetch=fetch, findings=findings, with_lint=with_lint))


_ZIP_MAGIC = b"PK\x03\x04"


def _import_zip(data: bytes, label: str, connector_id: str, fetch: Fetcher,
                with_lint: bool) -> ImportResult:
    try:
        specs = walk_container(ZipContainer(data, label), label, connector_id)
    except PortwayError as exc:
        return ImportResult(source=label, findings=[_error_finding(exc)])
    if len(specs) != 1:
        found = ", ".join(s.label for s in specs[:5]) or "none"
        return ImportResult(source=label, findings=[_error_finding(UnsupportedSpecError(
            f"the zip must hold exactly one connector (a Power Platform folder or one spec); "
            f"found {len(specs)}: {found}"))])
    return import_spec(specs[0], connector_id=connector_id, fetch=fetch, with_lint=with_lint)


def _wsdl(main: str, files: Mapping[str, bytes], connector_id: str, fetch: Fetcher
          ) -> ImportResult:
    try:
        # Imported here so the REST importers work without (or before) the WSDL importer.
        from importers.wsdl import import_wsdl  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return ImportResult(source=main, findings=[Finding(
            rule="UnsupportedSpec", severity="error",
            message="WSDL documents cannot be imported: the WSDL importer is not installed",
        )])
    result: ImportResult = import_wsdl(main, files, connector_id=connector_id, fetch=fetch)
    return result


def _wsdl_source(spec: SpecSource, connector_id: str, fetch: Fetcher) -> ImportResult:
    files: Mapping[str, bytes]
    if spec.container is None:
        try:
            files = {spec.main: fetch(spec.main)}
        except PortwayError as exc:
            return ImportResult(source=spec.label, findings=[_error_finding(exc)])
    else:
        # The whole folder or zip, read only as the WSDL imports its parts.
        files = ContainerFiles(spec.container)
    result = _wsdl(spec.main, files, connector_id, fetch)
    return result.model_copy(update={"source": spec.label})


def import_spec(spec: SpecSource, *, connector_id: str | None = None,
                properties: bytes | None = None, fetch: Fetcher = refuse_fetch,
                with_lint: bool = False) -> ImportResult:
    """Imports one discovered spec."""
    cid = connector_id or spec.default_id
    if spec.error is not None:
        return ImportResult(source=spec.label, findings=[_error_finding(spec.error)])
    if spec.kind == "wsdl":
        return _wsdl_source(spec, cid, fetch)
    try:
        data = spec.read(fetch)
    except PortwayError as exc:
        return ImportResult(source=spec.label, findings=[_error_finding(exc)])
    if _looks_like_xml(data):
        # A URL (or a mislabelled file) that turns out to hold a WSDL.
        result = _wsdl(spec.main, {spec.main: data}, cid, fetch)
        return result.model_copy(update={"source": spec.label})
    findings: list[Finding] = []

    def build() -> Connector:
        props = properties
        if props is None and spec.properties is not None and spec.container is not None:
            props = spec.container.read(spec.properties)
        return _build(data, source=spec.label, location=spec.main, connector_id=cid,
                      properties=props, properties_label=_beside(spec.label, spec.properties),
                      script=spec.script, container=spec.container, fetch=fetch,
                      findings=findings, with_lint=with_lint)

    return _guarded(spec.label, findings, build)


def _beside(label: str, relative: str | None) -> str:
    if relative is None:
        return "apiProperties.json"
    return label.rsplit("/", 1)[0] + "/" + relative.rsplit("/", 1)[-1]


def import_sources(sources: Sequence[str], *, connector_id: str | None = None,
                   properties: str | None = None, fetch: Fetcher = refuse_fetch,
                   with_lint: bool = False) -> Iterator[ImportResult]:
    """Imports every spec found in the given paths and URLs, one result per spec.

    Args:
        sources: Paths (a file, a folder, a zip) and http(s) URLs.
        connector_id: The id to give the connector when exactly one spec is found;
            otherwise ids are derived (Power Platform folder name, or file stem), slugified
            and unique within the call.
        properties: A path to an apiProperties.json for a single spec.
        fetch: Reads URLs and remote ``$ref``s; the default refuses them.
        with_lint: Also run the certification lint on each REST spec (``portway validate``).

    Yields:
        One ``ImportResult`` per entry of ``discover(sources)``, in that order. A source
        that cannot be read at all (a missing path, a refused zip) yields one failed result
        for itself.
    """
    specs = discover(sources)
    props_bytes: bytes | None = None
    if properties is not None:
        try:
            with open(properties, "rb") as fh:
                props_bytes = fh.read()
        except OSError as exc:
            yield ImportResult(source=properties, findings=[Finding(
                rule="UnsafeSpec", severity="error",
                message=f"cannot read {properties!r}: {exc.strerror}")])
            return
    single = len([s for s in specs if s.error is None]) == 1
    for spec in specs:
        yield import_spec(spec, connector_id=connector_id if single else None,
                          properties=props_bytes if single else None, fetch=fetch,
                          with_lint=with_lint)


def result_json(result: ImportResult) -> dict[str, Any]:
    """The ``--json`` line for one result (PRODUCT.md's shape).

    ``warnings`` and ``errors`` are lists of objects ``{"rule", "severity", "pointer",
    "message"}`` plus ``"line"``/``"column"`` when the finding has them.
    """
    connector = result.connector
    return {
        "source": result.source,
        "connector": connector.id if connector is not None else None,
        "status": "imported" if result.ok else "failed",
        "operations": len(connector.operations) if connector is not None else 0,
        "triggers": len(connector.triggers) if connector is not None else 0,
        "warnings": [_finding_json(f) for f in result.warnings],
        "errors": [_finding_json(f) for f in result.errors],
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return finding.model_dump(exclude_none=True)
