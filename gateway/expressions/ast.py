"""The syntax tree of a WDL expression, and the printer that turns it back into text.

Nodes are frozen dataclasses, so a parsed tree is shared safely between threads and
cached. ``to_source(parse(text))`` is a canonical spelling of ``text``; parsing it again
gives an equal tree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Access", "Call", "Literal", "Node", "Template", "expression_source", "to_source"]

LiteralValue: TypeAlias = str | int | float | bool | None

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, integer, float, boolean or null written in the expression."""

    value: LiteralValue


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``name(arg, ...)``; ``name`` keeps the spelling it was written in."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Access:
    """A member or index access: ``t.k``, ``t?.k``, ``t['k']``, ``t?['k']``, ``t[0]``.

    ``dotted`` remembers the ``.k`` spelling (``key`` is then a string ``Literal``);
    ``optional`` is the ``?`` form, which yields null instead of failing.
    """

    target: Node
    key: Node
    optional: bool = False
    dotted: bool = False


Node: TypeAlias = Literal | Call | Access


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed string value: literal text, one whole expression, or an interpolation.

    ``whole`` is True for ``"@expr"``: the value keeps the expression's type. Otherwise
    the value is the concatenation of ``parts``, text as is and each node stringified.
    """

    parts: tuple[str | Node, ...]
    whole: bool = False


def _literal_source(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a literal float must be finite")
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    return str(value)


def expression_source(node: Node) -> str:
    """Return the canonical text of an expression node (without the leading ``@``)."""
    if isinstance(node, Literal):
        return _literal_source(node.value)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(expression_source(a) for a in node.args)})"
    target = expression_source(node.target)
    mark = "?" if node.optional else ""
    key = node.key
    if node.dotted and isinstance(key, Literal) and isinstance(key.value, str) \
            and _IDENTIFIER.match(key.value):
        return f"{target}{mark}.{key.value}"
    return f"{target}{mark}[{expression_source(key)}]"


def _escape_text(text: str) -> str:
    return text.replace("@{", "@@{")


def to_source(template: Template) -> str:
    """Return a string that parses back to ``template``."""
    if template.whole:
        (node,) = template.parts
        assert not isinstance(node, str)
        return "@" + expression_source(node)
    pieces: list[str] = []
    parts = template.parts
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            pieces.append("@{" + expression_source(part) + "}")
            continue
        text = part
        trailing = ""
        if index + 1 < len(parts) and not isinstance(parts[index + 1], str):
            # "@" right before "@{" would read as the "@@{" escape; such "@"s are
            # written as an interpolated literal, which the parser folds back into text.
            stripped = text.rstrip("@")
            trailing, text = text[len(stripped):], stripped
        pieces.append(_escape_text(text))
        if trailing:
            pieces.append("@{" + _literal_source(trailing) + "}")
    source = "".join(pieces)
    # A leading "@" would start a whole expression; "@@" escapes it ("@@{" already is one).
    if source.startswith("@") and not source.startswith(("@{", "@@{")):
        return "@" + source
    return source
