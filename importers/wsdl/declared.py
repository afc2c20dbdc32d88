"""What the WSDL documents declare, read from the raw XML rather than from zeep.

zeep quietly drops what it cannot resolve (a port naming a missing binding, an operation
whose message is missing). Comparing what is declared here with what zeep loaded is how
the importer names everything that did not load, instead of importing a silent part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from importers.wsdl.xmldoc import WSDL11_NS

SOAP11_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
HTTP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/http/"


@dataclass
class DeclaredBindingOperation:
    """A ``wsdl:binding/wsdl:operation`` and the facts zeep does not keep."""

    name: str
    style: str = ""
    input_use: str = "literal"


@dataclass
class DeclaredBinding:
    """A ``wsdl:binding``: its port type, its kind and its operations."""

    qname: str
    port_type: str
    kind: str  # "soap1.1", "soap1.2", "http" or "other"
    style: str = "document"
    operations: dict[str, DeclaredBindingOperation] = field(default_factory=dict)


@dataclass
class DeclaredPort:
    """A ``wsdl:service/wsdl:port``."""

    service: str
    name: str
    binding: str


@dataclass
class Declared:
    """Everything the WSDL documents declare, across every imported definition."""

    port_types: dict[str, list[str]] = field(default_factory=dict)  # qname -> op names
    # (port type qname, operation name) -> qnames of its input and output messages
    messages: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # (port type qname, operation name) -> the operation's wsdl:documentation text
    documentation: dict[tuple[str, str], str] = field(default_factory=dict)
    title: str = ""  # the root definitions' name attribute
    description: str = ""  # the root definitions' or first service's documentation
    bindings: dict[str, DeclaredBinding] = field(default_factory=dict)
    ports: list[DeclaredPort] = field(default_factory=list)

    def operation_count(self) -> int:
        """How many port-type operations are declared in all."""
        return sum(len(ops) for ops in self.port_types.values())


def _qname(element: etree._Element, value: str | None, tns: str) -> str:
    """Resolve a ``prefix:name`` attribute value in the scope of ``element``."""
    value = (value or "").strip()
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None, tns if not prefix else None)
    return str(etree.QName(namespace or None, local).text)


def scan(roots: Iterable[etree._Element]) -> Declared:
    """Read port types, bindings and service ports from every WSDL document."""
    declared = Declared()
    w = f"{{{WSDL11_NS}}}"
    for root in roots:
        if root.tag != f"{w}definitions":
            continue
        tns = root.get("targetNamespace") or ""
        for port_type in root.findall(f"{w}portType"):
            qname = etree.QName(tns or None, port_type.get("name", "")).text
            names = [op.get("name", "") for op in port_type.findall(f"{w}operation")]
            declared.port_types.setdefault(qname, names)
            for op in port_type.findall(f"{w}operation"):
                declared.messages[(qname, op.get("name", ""))] = [
                    _qname(io, io.get("message"), tns)
                    for io in (op.find(f"{w}input"), op.find(f"{w}output")) if io is not None
                ]
                text = _documentation(op)
                if text:
                    declared.documentation[(qname, op.get("name", ""))] = text
        if not declared.title:
            declared.title = root.get("name") or ""
        if not declared.description:
            declared.description = _documentation(root) or next(
                (d for d in map(_documentation, root.findall(f"{w}service")) if d), "")
        for binding in root.findall(f"{w}binding"):
            declared_binding = _binding(binding, tns)
            declared.bindings.setdefault(declared_binding.qname, declared_binding)
        for service in root.findall(f"{w}service"):
            service_name = etree.QName(tns or None, service.get("name", "")).text
            for port in service.findall(f"{w}port"):
                declared.ports.append(DeclaredPort(
                    service=service_name, name=port.get("name", ""),
                    binding=_qname(port, port.get("binding"), tns),
                ))
    _match_local_names(declared)
    return declared


def _match_local_names(declared: Declared) -> None:
    """Repair references whose namespace is wrong but whose local name is unique.

    Real WSDLs write ``type="pt1"`` under a default namespace that is not the target
    namespace; zeep falls back to the local name in that case, and so does this.
    """
    def by_local(names: Iterable[str]) -> dict[str, str]:
        table: dict[str, str] = {}
        for name in names:
            table.setdefault(etree.QName(name).localname, name)
        return table

    port_types = by_local(declared.port_types)
    for binding in declared.bindings.values():
        if binding.port_type not in declared.port_types:
            local = etree.QName(binding.port_type).localname
            binding.port_type = port_types.get(local, binding.port_type)
    bindings = by_local(declared.bindings)
    for port in declared.ports:
        if port.binding not in declared.bindings:
            local = etree.QName(port.binding).localname
            port.binding = bindings.get(local, port.binding)


def _documentation(element: etree._Element) -> str:
    node = element.find(f"{{{WSDL11_NS}}}documentation")
    if node is None:
        return ""
    return " ".join("".join(node.itertext()).split())


def _binding(binding: etree._Element, tns: str) -> DeclaredBinding:
    w = f"{{{WSDL11_NS}}}"
    kind, style = "other", "document"
    for namespace, name in ((SOAP11_BINDING_NS, "soap1.1"), (SOAP12_BINDING_NS, "soap1.2")):
        marker = binding.find(f"{{{namespace}}}binding")
        if marker is not None:
            kind, style = name, marker.get("style") or "document"
    if kind == "other" and binding.find(f"{{{HTTP_BINDING_NS}}}binding") is not None:
        kind = "http"
    result = DeclaredBinding(
        qname=etree.QName(tns or None, binding.get("name", "")).text,
        port_type=_qname(binding, binding.get("type"), tns),
        kind=kind, style=style,
    )
    for operation in binding.findall(f"{w}operation"):
        op = DeclaredBindingOperation(name=operation.get("name", ""))
        for namespace in (SOAP11_BINDING_NS, SOAP12_BINDING_NS):
            soap_op = operation.find(f"{{{namespace}}}operation")
            if soap_op is not None and soap_op.get("style"):
                op.style = soap_op.get("style", "")
            body = operation.find(f"{w}input/{{{namespace}}}body")
            if body is not None:
                op.input_use = body.get("use") or "literal"
        result.operations[op.name] = op
    return result
