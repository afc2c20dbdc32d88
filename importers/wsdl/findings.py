"""The findings the WSDL importer reports: what zeep skipped and what cannot be called."""

from __future__ import annotations

from importers.model import Finding
from importers.wsdl import xmldoc
from importers.wsdl.declared import Declared
from importers.wsdl.loader import LoadedWsdl

MAX_WARNINGS_LISTED = 50


def zeep_warnings(loaded: LoadedWsdl) -> list[Finding]:
    messages = list(dict.fromkeys(xmldoc.display(m) for m in loaded.warnings))
    findings = [
        Finding(rule="wsdl-zeep-warning", severity="warning", message=message)
        for message in messages[:MAX_WARNINGS_LISTED]
    ]
    if len(messages) > MAX_WARNINGS_LISTED:
        findings.append(Finding(
            rule="wsdl-zeep-warning", severity="warning",
            message=f"... and {len(messages) - MAX_WARNINGS_LISTED} more warnings while "
                    "loading the WSDL",
        ))
    return findings


def repaired(loaded: LoadedWsdl) -> list[Finding]:
    """A warning for each quirk the transport repaired (``importers.wsdl.repairs``)."""
    unique = dict.fromkeys((r.rule, xmldoc.display(r.message)) for r in loaded.transport.repairs)
    return [Finding(rule=rule, severity="warning", message=message)
            for rule, message in unique]


def check_ports(declared: Declared, findings: list[Finding]) -> None:
    for port in declared.ports:
        if port.binding not in declared.bindings:
            findings.append(Finding(
                rule="wsdl-port-missing-binding", severity="warning",
                message=f"port {port.name!r} of service {_local(port.service)!r} names "
                        f"binding {port.binding!r}, which is not defined; the port is skipped",
            ))


def not_offered(declared: Declared, port_type: str, names: list[str]) -> Finding:
    kinds = {b.kind for b in declared.bindings.values() if b.port_type == port_type}
    listed = ", ".join(names)
    if not kinds:
        reason = "no binding implements it"
    elif kinds & {"soap1.1", "soap1.2", "http"}:
        reason = "no service port offers its binding, so it has no address"
    else:
        reason = "its bindings are of a kind Portway does not call"
    return Finding(
        rule="wsdl-port-type-not-offered", severity="warning",
        message=f"port type {_local(port_type)!r}: {reason}; its operations are not "
                f"imported: {listed}",
    )


def not_loaded(loaded: LoadedWsdl, declared: Declared, port_type: str,
                name: str) -> Finding:
    needles = [repr(name), *(repr(m) for m in declared.messages.get((port_type, name), []))]
    related = [w for w in loaded.warnings if any(n in w for n in needles)]
    why = f" ({xmldoc.display(related[0])})" if related else (
        " (no SOAP binding of the port type binds it)")
    return Finding(
        rule="wsdl-operation-not-loaded", severity="error",
        message=f"operation {name!r} of port type {_local(port_type)!r} is declared but "
                f"did not load{why}",
    )


def no_operations(declared: Declared) -> Finding:
    if declared.operation_count() == 0:
        message = "the WSDL declares no operations (no wsdl:portType has a wsdl:operation)"
    else:
        message = (f"the WSDL declares {declared.operation_count()} operations, but none "
                   "is offered by a service port over a SOAP or HTTP binding")
    return Finding(rule="wsdl-no-operations", severity="error", message=message)


def _local(qname: str) -> str:
    return qname.rpartition("}")[2]
