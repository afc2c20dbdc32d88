"""JSON Schemas from zeep's XSD objects, shaped like the JSON the gateway sends and returns.

The JSON for a SOAP message is the content of its body element (for rpc, the wrapper's
parts): one property per child element, under the names zeep uses for its keyword
arguments, so a JSON object can be handed to zeep unchanged. The mapping:

* ``sequence``/``all`` -> object properties; ``minOccurs >= 1`` -> ``required``;
* ``choice`` -> the properties of every branch plus a ``oneOf`` saying exactly one
  branch is used;
* ``maxOccurs > 1`` -> ``array`` (with ``minItems``/``maxItems``);
* attributes -> properties marked ``x-xml-attribute``; ``nillable`` -> also ``null``;
* enumerations, patterns, lengths, bounds -> ``enum``, ``pattern``, ``minLength``...;
* extension -> the base's content first (zeep flattens it), ``x-xsd-base`` names it;
* named complex types -> ``$defs`` and ``$ref``, which also covers recursive types.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from zeep.xsd import ComplexType
from zeep.xsd.elements import Any as XsdAny
from zeep.xsd.elements import Element
from zeep.xsd.elements.indicators import All, Choice, Group, Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.collection import ListType, UnionType

from importers.wsdl.facets import FacetIndex

JsonSchema = dict[str, Any]

_XSD_TO_JSON: dict[str, JsonSchema] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "decimal": {"type": "number"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "integer": {"type": "integer"},
    "duration": {"type": "string", "format": "duration"},
    "dateTime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
    "date": {"type": "string", "format": "date"},
    "base64Binary": {"type": "string", "contentEncoding": "base64"},
    "hexBinary": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$"},
    "anyURI": {"type": "string", "format": "uri"},
}
_INTEGER_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}


class SchemaBuilder:
    """Builds JSON Schemas for one WSDL; named types are shared through ``$defs``.

    Args:
        facets: Facets of named simple types, which zeep does not keep.
    """

    def __init__(self, facets: FacetIndex) -> None:
        self._facets = facets
        self._defs: dict[str, JsonSchema] = {}
        self._def_names: dict[str, str] = {}  # type qname -> $defs key
        self._in_progress: set[int] = set()

    def message(self, body: Element | None) -> tuple[JsonSchema, JsonSchema]:
        """The JSON Schema of a message body, and the ``$defs`` it needs.

        Returns:
            ``(schema, defs)``; ``defs`` holds only the named types ``schema`` reaches.
        """
        if body is None:
            return {"type": "object", "properties": {}, "additionalProperties": False}, {}
        body_type = body.type
        if isinstance(body_type, ComplexType):
            schema = self._complex_content(body_type)
        else:
            name = body.attr_name or body.name
            schema = {"type": "object", "properties": {name: self._element(body)},
                      "required": [name]}
        return schema, self._reachable(schema)

    def headers(self, header: Element | None) -> tuple[JsonSchema | None, JsonSchema]:
        """The JSON Schema of the SOAP headers an operation declares, if any."""
        if header is None or not isinstance(header.type, ComplexType):
            return None, {}
        if not header.type.elements:
            return None, {}
        schema = self._complex_content(header.type)
        schema.pop("required", None)  # headers are the caller's to choose
        return schema, self._reachable(schema)

    # -- complex types -------------------------------------------------------------------

    def _type(self, xsd_type: Any) -> JsonSchema:
        if isinstance(xsd_type, ComplexType):
            qname = xsd_type.qname.text if xsd_type.qname is not None else None
            if qname and xsd_type.is_global:
                return {"$ref": f"#/$defs/{self._define(qname, xsd_type)}"}
            if id(xsd_type) in self._in_progress:
                # An anonymous type reached again through itself: a global element that
                # contains itself. JSON Schema cannot name it, so say so and accept any.
                return {"type": "object", "x-recursive": True}
            self._in_progress.add(id(xsd_type))
            try:
                return self._complex_content(xsd_type)
            finally:
                self._in_progress.discard(id(xsd_type))
        return self._simple(xsd_type)

    def _define(self, qname: str, xsd_type: ComplexType) -> str:
        key = self._def_names.get(qname)
        if key is not None:
            return key
        local = etree.QName(qname).localname
        key = local
        counter = 2
        while key in self._defs:
            key = f"{local}_{counter}"
            counter += 1
        self._def_names[qname] = key
        self._defs[key] = {}  # placeholder: a recursive reference finds the key
        self._defs[key] = self._complex_content(xsd_type)
        return key

    def _complex_content(self, xsd_type: ComplexType) -> JsonSchema:
        schema: JsonSchema = {"type": "object", "properties": {}}
        required: list[str] = []
        constraints: list[JsonSchema] = []
        for name, item in xsd_type.elements_nested:
            if not isinstance(item, Element | XsdAny) and not item.accepts_multiple:
                name = None  # zeep flattens the content model into keyword arguments
            self._item(name, item, schema["properties"], required, constraints, True)
        for name, attribute in xsd_type.attributes:
            if getattr(attribute, "name", None) is None:
                continue  # anyAttribute
            prop = self._simple(attribute.type)
            prop["x-xml-attribute"] = True
            if getattr(attribute, "default", None) is not None:
                prop["default"] = attribute.default
            schema["properties"][name] = prop
            if getattr(attribute, "required", False):
                required.append(name)
        if required:
            schema["required"] = required
        if constraints:
            schema["allOf"] = constraints
        for value_class in getattr(xsd_type, "_extension_types", None) or []:
            base = getattr(getattr(value_class, "_xsd_type", None), "qname", None)
            if base is not None:
                schema["x-xsd-base"] = etree.QName(base).localname
                break
        return schema

    def _item(self, name: str | None, item: Any, props: dict[str, JsonSchema],
              required: list[str], constraints: list[JsonSchema], mandatory: bool) -> None:
        """Add one entry of ``elements_nested`` to an object's properties."""
        if isinstance(item, Element):
            prop_name = str(name or item.attr_name or item.name)
            props[prop_name] = self._occurs(self._element(item), item)
            if mandatory and _min(item) >= 1:
                required.append(prop_name)
        elif isinstance(item, XsdAny):
            key = name or "_value_1"
            # soapenc arrays: zeep models the items as xsd:any restricted to the item type
            restrict = getattr(item, "restrict", None)
            props[key] = self._occurs(self._type(restrict) if restrict is not None else {},
                                      item)
        elif isinstance(item, Choice | Sequence | All | Group):
            if name is not None:
                # A repeated group or choice: zeep takes a list of dicts under this name.
                inner: JsonSchema = {"type": "object", "properties": {}}
                inner_required: list[str] = []
                inner_constraints: list[JsonSchema] = []
                self._indicator(item, inner["properties"], inner_required,
                                inner_constraints, True)
                if inner_required:
                    inner["required"] = inner_required
                if inner_constraints:
                    inner["allOf"] = inner_constraints
                props[name] = self._occurs(inner, item)
            else:
                self._indicator(item, props, required, constraints,
                                mandatory and _min(item) >= 1)

    def _indicator(self, indicator: Any, props: dict[str, JsonSchema], required: list[str],
                   constraints: list[JsonSchema], mandatory: bool) -> None:
        if isinstance(indicator, Group):
            self._item(None, indicator.child, props, required, constraints, mandatory)
            return
        if not isinstance(indicator, Choice):
            for sub_name, sub in indicator.elements_nested:
                self._item(sub_name, sub, props, required, constraints, mandatory)
            return
        # A choice: the branches' properties all go on the object, and oneOf says which.
        branches: list[tuple[list[str], list[str]]] = []  # (property names, required)
        for sub_name, sub in indicator.elements_nested:
            branch_props: dict[str, JsonSchema] = {}
            branch_required: list[str] = []
            self._item(sub_name, sub, branch_props, branch_required, constraints, True)
            if isinstance(sub, Element) and not branch_required:
                # zeep marks a choice's elements minOccurs=0; picking the branch means
                # sending the element.
                branch_required = list(branch_props)
            props.update(branch_props)
            branches.append((list(branch_props), branch_required))
        alternatives: list[JsonSchema] = []
        for index, (names, branch_required) in enumerate(branches):
            others = sorted({n for i, (ns, _) in enumerate(branches) if i != index
                             for n in ns} - set(names))
            alternative: JsonSchema = {}
            if branch_required:
                alternative["required"] = branch_required
            if others:
                alternative["not"] = {"anyOf": [{"required": [n]} for n in others]}
            alternatives.append(alternative)
        if not mandatory:
            every = sorted({n for ns, _ in branches for n in ns})
            if every:
                alternatives.append({"not": {"anyOf": [{"required": [n]} for n in every]}})
        if len(alternatives) > 1:
            constraints.append({"oneOf": alternatives})

    # -- elements and simple types ---------------------------------------------------------

    def _element(self, element: Element) -> JsonSchema:
        schema = self._type(element.type)
        if element.qname is not None and not schema.get("enum"):
            inline = self._facets.for_element(element.qname.text)
            if inline:
                schema = {**schema, **_coerce_enum(inline, schema)}
        if getattr(element, "default", None) is not None:
            schema = {**schema, "default": element.default}
        if getattr(element, "nillable", False):
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema

    def _occurs(self, schema: JsonSchema, item: Any) -> JsonSchema:
        maximum = getattr(item, "max_occurs", 1)
        if maximum == 1:
            return schema
        array: JsonSchema = {"type": "array", "items": schema}
        if _min(item) > 1:
            array["minItems"] = _min(item)
        if isinstance(maximum, int):
            array["maxItems"] = maximum
        return array

    def _simple(self, xsd_type: Any) -> JsonSchema:
        if isinstance(xsd_type, ListType):
            return {"type": "array", "items": self._simple(xsd_type.item_type)}
        if isinstance(xsd_type, UnionType):
            return {"anyOf": [self._simple(t) for t in xsd_type.item_types]}
        base = _builtin_name(xsd_type)
        if base is None:
            # AnyType, or a type zeep could not resolve: anything goes.
            return {}
        schema = dict(_XSD_TO_JSON.get(base, {"type": "string"}))
        if base in _INTEGER_BOUNDS:
            low, high = _INTEGER_BOUNDS[base]
            schema = {"type": "integer"}
            if low is not None:
                schema["minimum"] = low
            if high is not None:
                schema["maximum"] = high
        qname = getattr(xsd_type, "qname", None)
        if qname is not None and etree.QName(qname).namespace not in _XSD_NAMESPACES:
            schema.update(_coerce_enum(self._facets.for_type(etree.QName(qname).text), schema))
        return schema

    def _reachable(self, schema: JsonSchema) -> JsonSchema:
        """The ``$defs`` entries ``schema`` reaches, directly or through other entries."""
        found: dict[str, JsonSchema] = {}
        pending = list(_refs(schema))
        while pending:
            key = pending.pop()
            if key in found or key not in self._defs:
                continue
            found[key] = self._defs[key]
            pending.extend(_refs(self._defs[key]))
        return found


_XSD_NAMESPACES = {"http://www.w3.org/2001/XMLSchema", "http://www.w3.org/1999/XMLSchema",
                   "http://www.w3.org/2000/10/XMLSchema"}


def _min(item: Any) -> int:
    value = getattr(item, "min_occurs", 1)
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 1


def _builtin_name(xsd_type: Any) -> str | None:
    for cls in type(xsd_type).__mro__:
        if cls.__module__ == builtins.__name__ and hasattr(cls, "_default_qname"):
            return str(etree.QName(cls._default_qname).localname)
    return None


def _coerce_enum(keywords: JsonSchema, schema: JsonSchema) -> JsonSchema:
    if "enum" in keywords and schema.get("type") in ("integer", "number"):
        cast = int if schema["type"] == "integer" else float
        try:
            keywords = {**keywords, "enum": [cast(v) for v in keywords["enum"]]}
        except ValueError:
            keywords = {k: v for k, v in keywords.items() if k != "enum"}
    if schema.get("type") not in ("string", None):
        keywords = {k: v for k, v in keywords.items()
                    if k not in ("pattern", "minLength", "maxLength")}
    return keywords


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.append(ref[len("#/$defs/"):])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found
