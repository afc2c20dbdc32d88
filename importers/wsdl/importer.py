"""WSDL 1.1 in, connector definition out: ``import_wsdl``.

One connector operation per port-type operation. Where a port type is offered by several
ports (SOAP 1.1 and 1.2, or several services), the operation calls the port whose SOAP
version is the preferred one; the others are listed in the operation's extensions.
Operation ids are the operation names, prefixed by the port type (then the service) only
where two port types declare the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zeep.wsdl.bindings.http import HttpBinding, HttpGetBinding
from zeep.wsdl.bindings.soap import Soap12Binding, SoapBinding

from importers.errors import PortwayError
from importers.fetch import Fetcher, refuse_fetch
from importers.model import (
    Connector,
    Finding,
    ImportResult,
    Operation,
    Response,
)
from importers.model import SoapBinding as SoapBindingModel
from importers.wsdl import xmldoc
from importers.wsdl.declared import Declared, scan
from importers.wsdl.facets import FacetIndex
from importers.wsdl.findings import (
    check_ports,
    no_operations,
    not_loaded,
    not_offered,
    repaired,
    zeep_warnings,
)
from importers.wsdl.jsonschema import SchemaBuilder
from importers.wsdl.loader import LoadedWsdl, load_wsdl
from importers.wsdl.signin import parameter_sets


@dataclass
class _Port:
    service: str
    port: str
    binding: Any  # a zeep SoapBinding or HttpBinding
    version: str  # "1.1", "1.2" or "http" (a WSDL HTTP GET/POST binding)
    address: str
    order: int


def import_wsdl(
    main: str,
    files: Mapping[str, bytes],
    *,
    connector_id: str,
    fetch: Fetcher = refuse_fetch,
    preferred_soap_version: str = "1.2",
) -> ImportResult:
    """Import the WSDL ``files[main]`` (and what it imports) as a SOAP connector.

    Args:
        main: Key in ``files`` of the root WSDL.
        files: Every document of the upload (the folder or zip), by relative path.
        connector_id: The id of the connector to create.
        fetch: Reaches remote documents; the gateway passes one built on its egress
            guard. The default refuses every fetch.
        preferred_soap_version: ``"1.2"`` or ``"1.1"``: which binding an operation calls
            when its port type is offered over both.

    Returns:
        The connector and the findings. When any finding is an error, ``connector`` is
        None: a WSDL whose declared operations did not all load is not imported in part.
        A document that cannot be loaded at all (too large, unsafe, not WSDL 1.1, a
        missing import, a fetch the egress guard refused...) gives one error finding
        whose ``rule`` is the error's code (see ``importers.wsdl.errors``), like the
        REST importers do.
    """
    try:
        return import_wsdl_or_raise(main, files, connector_id=connector_id, fetch=fetch,
                                    preferred_soap_version=preferred_soap_version)
    except PortwayError as exc:
        return ImportResult(source=xmldoc.normalise_path(main), findings=[
            Finding(rule=exc.code, severity="error", message=exc.message)])


def import_wsdl_or_raise(
    main: str,
    files: Mapping[str, bytes],
    *,
    connector_id: str,
    fetch: Fetcher = refuse_fetch,
    preferred_soap_version: str = "1.2",
) -> ImportResult:
    """``import_wsdl``, but raising the ``SpecError`` when the documents cannot load.

    For callers that map errors to HTTP statuses themselves (413 for too large...).
    """
    if preferred_soap_version not in ("1.1", "1.2"):
        raise ValueError("preferred_soap_version must be '1.1' or '1.2'")
    return _import(main, files, connector_id, fetch, preferred_soap_version)


def _import(main: str, files: Mapping[str, bytes], connector_id: str, fetch: Fetcher,
            preferred_soap_version: str) -> ImportResult:
    loaded = load_wsdl(main, files, fetch)
    declared = scan(loaded.transport.trees.values())
    findings = [*repaired(loaded), *zeep_warnings(loaded)]
    builder = SchemaBuilder(FacetIndex(loaded.transport.trees.values()))
    operations = _operations(loaded, declared, builder, preferred_soap_version, findings)
    if not operations and not any(f.severity == "error" for f in findings):
        findings.append(no_operations(declared))
    source = loaded.main
    if any(f.severity == "error" for f in findings):
        return ImportResult(source=source, findings=findings)
    connector = Connector(
        id=connector_id,
        display_name=declared.title or _first_service(loaded) or connector_id,
        description=declared.description,
        protocol="soap",
        source_format="wsdl",
        base_url=_base_url(operations),
        operations=operations,
        connection_parameter_sets=parameter_sets(),
        documents={key: xmldoc.as_text(data, key)
                   for key, data in loaded.transport.loaded.items()},
        metadata={"wsdlMain": loaded.main},
    )
    return ImportResult(source=source, connector=connector, findings=findings)


def _ports(loaded: LoadedWsdl) -> dict[str, list[_Port]]:
    """SOAP and HTTP ports zeep loaded, by port type, across every definition."""
    by_port_type: dict[str, list[_Port]] = {}
    seen: set[tuple[str, str]] = set()
    order = 0
    for definition in loaded.document._definitions.values():
        for service in definition.services.values():
            for port in service.ports.values():
                binding = port.binding
                if not isinstance(binding, SoapBinding | HttpBinding) or \
                        binding.port_type is None:
                    continue
                if (service.name, port.name) in seen:
                    continue
                seen.add((service.name, port.name))
                version = ("http" if isinstance(binding, HttpBinding)
                           else "1.2" if isinstance(binding, Soap12Binding) else "1.1")
                address = (port.binding_options or {}).get("address") or ""
                by_port_type.setdefault(binding.port_type.name.text, []).append(
                    _Port(service.name, port.name, binding, version, address, order))
                order += 1
    return by_port_type


def _operations(loaded: LoadedWsdl, declared: Declared, builder: SchemaBuilder,
                preferred: str, findings: list[Finding]) -> list[Operation]:
    ports = _ports(loaded)
    check_ports(declared, findings)
    chosen: list[tuple[str, str, _Port, Any]] = []  # (port type, op name, port, zeep op)
    for port_type, names in declared.port_types.items():
        # The preferred SOAP version first, then the other, then HTTP GET/POST.
        candidates = sorted(ports.get(port_type, []),
                            key=lambda p: (p.version == "http", p.version != preferred, p.order))
        if not candidates:
            if names:
                findings.append(not_offered(declared, port_type, names))
            continue
        for name in names:
            port = next((p for p in candidates if name in p.binding._operations), None)
            if port is None:
                findings.append(not_loaded(loaded, declared, port_type, name))
                continue
            chosen.append((port_type, name, port, port.binding._operations[name]))
    ids = _operation_ids([(pt, name, port.service, port.version != "http")
                          for pt, name, port, _ in chosen])
    operations = []
    for (port_type, name, port, zeep_op), op_id in zip(chosen, ids, strict=True):
        others = [f"{p.service}/{p.port}" for p in ports.get(port_type, []) if p is not port]
        try:
            operations.append(_operation(op_id, port_type, name, port, zeep_op, declared,
                                         builder, others))
        except (RecursionError, AttributeError, TypeError, ValueError, LookupError) as exc:
            # zeep's type objects for a broken schema can fail when walked; say which.
            findings.append(Finding(
                rule="wsdl-operation-not-loaded", severity="error",
                message=f"operation {name!r} of port type {_local(port_type)!r}: its "
                        f"messages cannot be described as JSON ({type(exc).__name__}: "
                        f"{xmldoc.display(str(exc))[:200]})"))
    return operations


def _operation(op_id: str, port_type: str, name: str, port: _Port, zeep_op: Any,
               declared: Declared, builder: SchemaBuilder, others: list[str]) -> Operation:
    binding_name = port.binding.name.text
    declared_binding = declared.bindings.get(binding_name)
    declared_op = declared_binding.operations.get(name) if declared_binding else None
    style = (zeep_op.style or (declared_binding.style if declared_binding else "")
             or "document")
    use = declared_op.input_use if declared_op else "literal"
    request, request_defs = builder.message(getattr(zeep_op.input, "body", None))
    headers, header_defs = builder.headers(getattr(zeep_op.input, "header", None))
    response, response_defs = builder.message(
        getattr(zeep_op.output, "body", None) if zeep_op.output is not None else None)
    if headers is not None:
        if header_defs:
            headers["$defs"] = header_defs
        request["properties"]["_soapheaders"] = {
            **{k: v for k, v in headers.items() if k != "$defs"},
            "description": "SOAP headers of the request",
        }
        request_defs = {**request_defs, **header_defs}
    if request_defs:
        request["$defs"] = request_defs
    if response_defs:
        response["$defs"] = response_defs
    documentation = declared.documentation.get((port_type, name), "")
    extensions: dict[str, Any] = {"x-soap-port-type": port_type}
    if others:
        extensions["x-soap-other-ports"] = others
    if port.version == "http":
        # A WSDL HTTP binding: the gateway calls it with this verb at address + location
        # (``soap.soap_version``, ``style`` and ``use`` do not apply).
        extensions["x-wsdl-http-verb"] = (
            "GET" if isinstance(port.binding, HttpGetBinding) else "POST")
        extensions["x-wsdl-http-location"] = getattr(zeep_op, "location", "") or ""
    return Operation(
        operation_id=op_id,
        method="POST",
        path=f"/{op_id}",
        summary=name,
        description=documentation,
        request_content_types=["application/json"],
        request_schema=request,
        responses=[
            Response(status="200", description="The SOAP response body as JSON",
                     json_schema=response if zeep_op.output is not None else None),
            Response(status="502", description="The service answered with a SOAP fault"),
        ],
        soap=SoapBindingModel(
            service=port.service,
            port=port.port,
            binding=binding_name,
            operation=name,
            soap_version="1.2" if port.version == "1.2" else "1.1",
            style="rpc" if style == "rpc" else "document",
            use="encoded" if use == "encoded" else "literal",
            action=getattr(zeep_op, "soapaction", "") or "",
            address=port.address,
            input_headers=headers,
        ),
        extensions=extensions,
    )


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _operation_ids(items: list[tuple[str, str, str, bool]]) -> list[str]:
    """Readable unique ids: the name, else PortType_name, else Service_PortType_name.

    Each item is (port type, operation name, service, is SOAP). Only names that clash
    get a prefix, and a SOAP operation keeps the plain name when the same name is also
    offered over an HTTP GET/POST binding.
    """
    def local(qname: str) -> str:
        return qname.rpartition("}")[2]

    def clean(text: str) -> str:
        return _ID_UNSAFE.sub("_", text).strip("_") or "operation"

    options = [
        [clean(name), clean(f"{local(pt)}_{name}"), clean(f"{service}_{local(pt)}_{name}")]
        for pt, name, service, _ in items
    ]
    ids: list[str | None] = [None] * len(items)
    taken: set[str] = set()
    # SOAP operations choose first, so that they keep the plainest names.
    order = sorted(range(len(items)), key=lambda i: (not items[i][3], i))
    for level in range(3):
        counts: dict[str, int] = {}
        for i in order:
            if ids[i] is None:
                counts[options[i][level]] = counts.get(options[i][level], 0) + 1
        soap_names = {options[i][level] for i in order if ids[i] is None and items[i][3]}
        for i in order:
            candidate = options[i][level]
            if ids[i] is not None or candidate in taken:
                continue
            unique = counts[candidate] == 1
            # A SOAP operation wins a name it shares only with HTTP operations.
            soap_wins = items[i][3] and sum(
                1 for j in order if ids[j] is None and options[j][level] == candidate
                and items[j][3]) == 1
            if unique or (soap_wins and candidate in soap_names):
                ids[i] = candidate
                taken.add(candidate)
    # Still clashing (names differing only in unsafe characters): number the repeats.
    for i in order:
        if ids[i] is None:
            base, counter = options[i][2], 2
            while f"{base}_{counter}" in taken:
                counter += 1
            ids[i] = f"{base}_{counter}"
            taken.add(f"{base}_{counter}")
    return [i for i in ids if i is not None]


def _local(qname: str) -> str:
    return qname.rpartition("}")[2]


def _first_service(loaded: LoadedWsdl) -> str:
    for definition in loaded.document._definitions.values():
        for service in definition.services.values():
            return str(service.name)
    return ""


def _base_url(operations: list[Operation]) -> str:
    for operation in operations:
        if operation.soap is not None and operation.soap.address:
            return operation.soap.address
    return ""
