"""XML functions: ``xml()``, ``xpath()``, and ``json()`` of an XML value.

An XML value is an ``XmlValue``: a ``str`` holding the document's text, so everything
that takes a string takes it too, while ``json()`` and ``xpath()`` know it is XML. Written
to JSON it is an ``application/xml;charset=utf-8`` content envelope, as Logic Apps shows
``xml()`` results and the nodes ``xpath()`` finds.
Parsing is safe by default: no DTDs, no entities, no network; a document with a
DOCTYPE is refused.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import XmlValue, binary_content, is_number, to_string

__all__ = ["XmlValue", "register", "xml_to_json"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?\Z")
_ATTRIBUTE = {'"': "&quot;"}


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_blank_text=False)


def parse_xml(text: str, index: int = 1) -> Any:
    """Parse ``text`` into an lxml element tree, refusing DTDs.

    Raises:
        ArgumentTypeError: The text is not well-formed XML, or declares a DOCTYPE.
    """
    data = text.strip().encode("utf-8")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise _args.bad_value(index, "is not well-formed XML") from None
    if root.getroottree().docinfo.doctype:
        raise _args.bad_value(index, "declares a DOCTYPE, which Portway refuses")
    return root


def _xml_text(value: Any) -> str:
    # As Newtonsoft writes JSON scalars into XML: booleans in lower case.
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_string(value)


def _write(name: str, value: Any, out: list[str]) -> None:
    """Write ``value`` as the element ``name``: ``@`` keys are attributes (``@xmlns``
    ones declare namespaces), ``#text`` and ``#cdata-section`` the content, arrays
    repeat the element."""
    if not _NAME.match(name):
        raise ArgumentTypeError(f"'{name}' cannot be an XML element name")
    out.append(f"<{name}")
    body: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key.startswith("@"):
                if not _NAME.match(key[1:]):
                    raise ArgumentTypeError(f"'{key[1:]}' cannot be an XML attribute name")
                out.append(f' {key[1:]}="{escape(_xml_text(child), _ATTRIBUTE)}"')
            elif key == "#text":
                items = child if isinstance(child, list) else [child]
                body.extend(escape(_xml_text(item)) for item in items)
            elif key == "#cdata-section":
                body.append(f"<![CDATA[{_xml_text(child).replace(']]>', ']]]]><![CDATA[>')}]]>")
            elif key.startswith(("?", "#")):
                continue
            else:
                for item in child if isinstance(child, list) else [child]:
                    if isinstance(item, list):
                        raise ArgumentTypeError("an array cannot hold an array in XML")
                    _write(key, item, body)
    elif isinstance(value, list):
        raise ArgumentTypeError("an array cannot hold an array in XML")
    elif value is not None:
        body.append(escape(_xml_text(value)))
    if body:
        out.append(">")
        out.extend(body)
        out.append(f"</{name}>")
    else:
        # .NET's XmlDocument writes an element without content as "<e />".
        out.append(" />") if value is None else out.append(f"></{name}>")


def _declaration(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    pseudo = " ".join(f'{key[1:]}="{escape(_xml_text(item), _ATTRIBUTE)}"'
                      for key, item in value.items() if key.startswith("@"))
    return f"<?xml {pseudo}?>" if pseudo else ""


def to_xml(ctx: EvaluationContext, value: Any) -> XmlValue:
    if isinstance(value, XmlValue):
        return value
    content = binary_content(value)
    if content is not None:  # an XML body arrives as content
        value = content.decode("utf-8-sig", errors="replace")
    if isinstance(value, dict):
        roots = [(k, v) for k, v in value.items() if not k.startswith("?")]
        if len(roots) != 1 or isinstance(roots[0][1], list):
            raise _args.bad_value(1, "must be an object with exactly one root property "
                                     "that is not an array")
        out = [_declaration(value.get("?xml"))]
        _write(*roots[0], out)
        text = "".join(out)
        _args.ensure_size(ctx, len(text))
        parse_xml(text)  # undeclared prefixes and the like are refused here
        return XmlValue(text)
    text = _args.string(value, 1)
    parse_xml(text)
    return XmlValue(text.strip())


def _qualified(node: Any, name: str) -> str:
    """``prefix:local`` as the document wrote the name (Newtonsoft keeps prefixes)."""
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    if node.prefix is not None and node.nsmap.get(node.prefix) == uri and name == node.tag:
        return f"{node.prefix}:{local}"
    prefix = next((p for p, u in node.nsmap.items() if u == uri and p is not None), None)
    return f"{prefix}:{local}" if prefix else local


def _declarations(node: Any) -> dict[str, str]:
    """The namespaces this element declares, as ``@xmlns``/``@xmlns:p`` attributes."""
    parent = node.getparent()
    inherited = parent.nsmap if parent is not None else {}
    return {("@xmlns" if prefix is None else f"@xmlns:{prefix}"): uri
            for prefix, uri in node.nsmap.items() if inherited.get(prefix) != uri}


def _node_json(node: Any) -> Any:
    result: dict[str, Any] = _declarations(node)
    result.update({f"@{_qualified(node, k)}": v for k, v in node.attrib.items()})
    children = [child for child in node if isinstance(child.tag, str)]
    texts = [piece.strip() for piece in
             [node.text, *(child.tail for child in node)] if piece and piece.strip()]
    if not children and not result:
        return texts[0] if len(texts) == 1 else (texts or None)
    for child in children:
        name = _qualified(child, child.tag)
        value = _node_json(child)
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) \
                else [existing, value]
        else:
            result[name] = value
    if texts:
        result["#text"] = texts[0] if len(texts) == 1 else texts
    return result


def xml_to_json(text: str) -> dict[str, Any]:
    """Convert an XML document to JSON the way Logic Apps' ``json(xml(...))`` does."""
    root = parse_xml(text)
    result: dict[str, Any] = {}
    header = re.match(r"\s*<\?xml([^>]*)\?>", text)
    if header:
        # The declaration's pseudo-attributes, in the order written.
        result["?xml"] = {f"@{name}": value for name, _, value in
                          re.findall(r"([A-Za-z]+)\s*=\s*([\"'])(.*?)\2", header.group(1))}
    result[_qualified(root, root.tag)] = _node_json(root)
    return result


def _xpath_item(item: Any) -> Any:
    if isinstance(item, str):  # text, attribute values (lxml "smart strings")
        return str(item)
    if isinstance(item, bool):
        return item
    if isinstance(item, float):
        return int(item) if item.is_integer() else item
    if isinstance(getattr(item, "tag", None), str):
        return XmlValue(etree.tostring(item, encoding="unicode", with_tail=False))
    return to_string(item)


def xpath(ctx: EvaluationContext, document: Any, expression: Any) -> Any:
    text = document if isinstance(document, str) else to_string(document)
    root = parse_xml(text)
    path = _args.string(expression, 2)
    try:
        found = root.getroottree().xpath(path)
    except (etree.XPathError, ValueError):
        raise _args.bad_value(2, "is not a valid XPath expression") from None
    if isinstance(found, list):
        items = [_xpath_item(item) for item in found]
        return items[0] if len(items) == 1 else items
    if is_number(found) or isinstance(found, (str, bool)):
        return _xpath_item(found)
    return to_string(found)


def register(registry: FunctionRegistry) -> None:
    """Add ``xml`` and ``xpath`` to ``registry``."""
    registry.register("xml", to_xml, 1, 1)
    registry.register("xpath", xpath, 2, 2)
