"""XSD facets zeep drops: enumerations, patterns, lengths and bounds of simple types.

zeep keeps a restricted simple type only as its base type, so the importer reads the
facets from the raw schema documents, indexed by the simple type's qualified name (and by
global element name for elements with an inline simple type).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from importers.wsdl.xmldoc import XSD_NAMESPACES

_NUMERIC = {"minInclusive": "minimum", "maxInclusive": "maximum",
            "minExclusive": "exclusiveMinimum", "maxExclusive": "exclusiveMaximum"}
_LENGTHS = {"minLength": "minLength", "maxLength": "maxLength"}


class FacetIndex:
    """JSON Schema keywords for named simple types, read from the raw schema documents."""

    def __init__(self, roots: Iterable[etree._Element]) -> None:
        self._by_type: dict[str, dict[str, Any]] = {}
        self._by_element: dict[str, dict[str, Any]] = {}
        for root in roots:
            for xsd_ns in XSD_NAMESPACES:
                for schema in root.iter(f"{{{xsd_ns}}}schema"):
                    self._index_schema(schema, xsd_ns)

    def _index_schema(self, schema: etree._Element, xsd_ns: str) -> None:
        tns = schema.get("targetNamespace") or ""
        for simple in schema.findall(f"{{{xsd_ns}}}simpleType"):
            name = simple.get("name")
            if name:
                keywords = _keywords(simple, xsd_ns)
                if keywords:
                    self._by_type[etree.QName(tns or None, name).text] = keywords
        for element in schema.findall(f"{{{xsd_ns}}}element"):
            name = element.get("name")
            simple = element.find(f"{{{xsd_ns}}}simpleType")
            if name and simple is not None:
                keywords = _keywords(simple, xsd_ns)
                if keywords:
                    self._by_element[etree.QName(tns or None, name).text] = keywords

    def for_type(self, qname: str | None) -> dict[str, Any]:
        """Keywords for the simple type ``qname`` (Clark notation), or ``{}``."""
        return dict(self._by_type.get(qname or "", {}))

    def for_element(self, qname: str | None) -> dict[str, Any]:
        """Keywords for a global element with an inline simple type, or ``{}``."""
        return dict(self._by_element.get(qname or "", {}))


def _keywords(simple: etree._Element, xsd_ns: str) -> dict[str, Any]:
    restriction = simple.find(f"{{{xsd_ns}}}restriction")
    if restriction is None:
        return {}
    result: dict[str, Any] = {}
    enum = [e.get("value", "") for e in restriction.findall(f"{{{xsd_ns}}}enumeration")]
    if enum:
        result["enum"] = enum
    patterns = [p.get("value", "") for p in restriction.findall(f"{{{xsd_ns}}}pattern")]
    if len(patterns) == 1:
        # XSD patterns are implicitly anchored; JSON Schema's are not.
        result["pattern"] = f"^(?:{patterns[0]})$"
    for facet, keyword in _LENGTHS.items():
        node = restriction.find(f"{{{xsd_ns}}}{facet}")
        if node is not None and (node.get("value") or "").isdigit():
            result[keyword] = int(node.get("value", "0"))
    length = restriction.find(f"{{{xsd_ns}}}length")
    if length is not None and (length.get("value") or "").isdigit():
        result["minLength"] = result["maxLength"] = int(length.get("value", "0"))
    for facet, keyword in _NUMERIC.items():
        node = restriction.find(f"{{{xsd_ns}}}{facet}")
        if node is not None:
            number = _number(node.get("value") or "")
            if number is not None:
                result[keyword] = number
    return result


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None
