"""Paths into a JSON body, as body policy templates write them.

A path is ``@body()`` or ``@item()`` followed by accessors: ``@body().value``,
``@body()['@odata.type']``, ``@item().resourceLink``. ``body()`` is the request or
response body; ``item()`` is the current element when a parent path names an array.
A sub-path is a dotted property path (``payments``, ``peopleObject.XYZ.Age``), accessors
(``['@odata.id']``, for a name that holds a dot), or empty for the parent itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Literal as TypingLiteral

from gateway.expressions import Access, Call, ExpressionError, Literal, parse_expression

__all__ = ["BodyPath", "parse_path", "parse_sub_path", "read", "write"]

Key = str | int


@dataclass(frozen=True)
class BodyPath:
    """``root`` is ``"body"`` or ``"item"``; ``keys`` lead from it to the value."""

    root: TypingLiteral["body", "item"]
    keys: tuple[Key, ...]


def _keys(node: Any) -> tuple[Any, tuple[Key, ...]]:
    keys: list[Key] = []
    while isinstance(node, Access):
        key = node.key
        if not isinstance(key, Literal) or not isinstance(key.value, (str, int)) \
                or isinstance(key.value, bool):
            raise ValueError("a path may only use literal property names and indexes")
        keys.append(key.value)
        node = node.target
    return node, tuple(reversed(keys))


def parse_path(text: str) -> BodyPath:
    """Parse ``@body()...`` or ``@item()...`` (the ``@`` may be left out).

    Raises:
        ValueError: The text is not such a path.
    """
    source = text.strip()
    source = source[1:] if source.startswith("@") else source
    lowered = source.lower()
    for root in ("body", "item"):
        # The template documentation also writes "@body.x" for "@body().x".
        if lowered == root or lowered.startswith((root + ".", root + "[")):
            source = source[:len(root)] + "()" + source[len(root):]
            break
    try:
        node = parse_expression(source)
    except ExpressionError as error:
        raise ValueError(str(error)) from None
    root, keys = _keys(node)
    if not isinstance(root, Call) or root.args or root.name.lower() not in ("body", "item"):
        raise ValueError("a path must start with body() or item()")
    return BodyPath("body" if root.name.lower() == "body" else "item", keys)


def parse_sub_path(text: str | None) -> tuple[Key, ...]:
    """Parse a sub-path: dotted names (``peopleObject.XYZ.Age``), accessors
    (``['@odata.id']``, for names holding a dot), or nothing.

    Raises:
        ValueError: Accessors that are not literal names or indexes, or an empty name.
    """
    source = (text or "").strip()
    if not source:
        return ()
    if source.startswith(("[", ".", "?")):
        return parse_path("body()" + source).keys
    names = tuple(source.split("."))
    if not all(names):
        raise ValueError("a dotted sub-path has an empty name")
    return names


def read(value: Any, keys: tuple[Key, ...]) -> Any:
    """Follow ``keys`` from ``value``; None where the way is missing."""
    for key in keys:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def write(target: Any, keys: tuple[Key, ...], value: Any) -> bool:
    """Set the value at ``keys`` under ``target``, creating objects on the way.

    Returns:
        False (and changes nothing) when something other than an object is in the way.
    """
    if not keys:
        return False
    for index, key in enumerate(keys[:-1]):
        if isinstance(key, int):
            if not isinstance(target, list) or not 0 <= key < len(target):
                return False
            target = target[key]
            continue
        if not isinstance(target, dict):
            return False
        child = target.get(key)
        if child is None:
            child = [] if isinstance(keys[index + 1], int) else {}
            if isinstance(child, list):
                return False
            target[key] = child
        target = child
    last = keys[-1]
    if isinstance(last, int):
        if isinstance(target, list) and 0 <= last < len(target):
            target[last] = value
            return True
        return False
    if not isinstance(target, dict):
        return False
    target[last] = value
    return True
