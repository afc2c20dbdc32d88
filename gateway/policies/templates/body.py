"""Body templates: ``setproperty``, ``convertobjecttoarray``, ``convertarraytoobject``,
``stringreplace``, ``stringtoarray``, ``moveproperties``. They work on JSON bodies only
and leave other bodies alone.

Each names a *parent* (``@body()``, ``@body().value``...). When the parent is an array the
template applies to every element, which ``@item()`` then names in the other parameters;
otherwise the parent itself is the item. A *new property path* written with ``@item()``
is relative to that item; written with ``@body()`` it is absolute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gateway.expressions import to_string
from gateway.policies.paths import BodyPath, Key, parse_path, parse_sub_path, read, write
from gateway.policies.templates._common import (
    CompiledPolicy,
    Parameters,
    PolicyCall,
    Section,
)
from gateway.policies.text import MISSING

_SECTIONS: tuple[Section, ...] = ("request", "response", "failure")


def _path(params: Parameters, name: str, *, required: bool = True,
          default: str = "@body()") -> BodyPath:
    text = params.string(name, required=required, default=default)
    try:
        return parse_path(text)
    except ValueError as error:
        raise params.error(f"not a body path: {error}", "x-ms-apimTemplateParameter." + name) \
            from None


def _sub_path(params: Parameters, name: str) -> tuple[Key, ...]:
    try:
        return parse_sub_path(params.string(name, required=False))
    except ValueError as error:
        raise params.error(f"not a property path: {error}",
                           "x-ms-apimTemplateParameter." + name) from None


def _items(call: PolicyCall, parent: BodyPath) -> list[Any]:
    # ``@item()`` in a parent path has no meaning outside a loop; it reads as the body.
    value = read(call.body, parent.keys)
    if isinstance(value, list):
        return [item for item in value if isinstance(item, (dict, list))]
    return [value] if isinstance(value, (dict, list)) else []


def _store(call: PolicyCall, target: BodyPath, item: Any, value: Any) -> None:
    if target.root == "item":
        write(item, target.keys, value)
    elif target.keys:
        write(call.body, target.keys, value)
    else:
        call.body = value


def _each(parent: BodyPath, work: Callable[[PolicyCall, Any], None]
          ) -> Callable[[PolicyCall], None]:
    def apply(call: PolicyCall) -> None:
        if not isinstance(call.body, (dict, list)):
            return
        for item in _items(call, parent):
            work(call, item)
    return apply


def compile_setproperty(params: Parameters) -> CompiledPolicy:
    """Compile a ``setproperty`` instance: set ``parent.sub`` to a value built from text."""
    parent = _path(params, "newPropertyParentPathTemplate")
    sub = _sub_path(params, "newPropertySubPathTemplate")
    if not sub:
        raise params.error("newPropertySubPathTemplate must name a property",
                           "x-ms-apimTemplateParameter.newPropertySubPathTemplate")
    value = params.text("propertyValuePathTemplate", required=False)
    section = params.section("request", _SECTIONS)

    def work(call: PolicyCall, item: Any) -> None:
        # A value built from an absent property is not written (no "[null]" payloads).
        result = value.json_value(call.context(item), call.registry, skip_null=True)
        if result is not MISSING:
            write(item, sub, result)

    return params.compiled(section, _each(parent, work), uses_body=True)


def compile_convertobjecttoarray(params: Parameters) -> CompiledPolicy:
    """Compile ``convertobjecttoarray``: ``{k: v}`` becomes ``[{keyName: k, valueName: v}]``."""
    parent = _path(params, "propertyParentPath")
    sub = _sub_path(params, "propertySubPath")
    target = _path(params, "newPropertyPath")
    key_name = params.string("keyName")
    value_name = params.string("valueName", required=False)
    section = params.section("response", _SECTIONS)

    def work(call: PolicyCall, item: Any) -> None:
        source = read(item, sub)
        if not isinstance(source, dict):
            return
        converted: list[Any] = []
        for key, value in source.items():
            if value_name:
                converted.append({key_name: key, value_name: value})
            elif isinstance(value, dict):
                converted.append({key_name: key, **value})
            else:
                converted.append({key_name: key, "value": value})
        _store(call, target, item, converted)

    return params.compiled(section, _each(parent, work), uses_body=True)


def compile_convertarraytoobject(params: Parameters) -> CompiledPolicy:
    """Compile ``convertarraytoobject``: items keyed by ``keyWithinCollectionPath``."""
    parent = _path(params, "propertyParentPath")
    sub = _sub_path(params, "propertySubPath")
    target = _path(params, "newPropertyPath")
    try:
        key_path = parse_sub_path(params.string("keyWithinCollectionPath"))
    except ValueError as error:
        raise params.error(f"not a property path: {error}",
                           "x-ms-apimTemplateParameter.keyWithinCollectionPath") from None
    retain = params.flag("retainKey", True)
    section = params.section("request", _SECTIONS)

    def work(call: PolicyCall, item: Any) -> None:
        source = read(item, sub)
        if not isinstance(source, list):
            return
        converted: dict[str, Any] = {}
        for element in source:
            if not isinstance(element, dict):
                continue
            key = read(element, key_path)
            if key is None:
                continue
            if retain or len(key_path) != 1:
                converted[to_string(key)] = element
            else:
                converted[to_string(key)] = {k: v for k, v in element.items()
                                             if k != key_path[0]}
        _store(call, target, item, converted)

    return params.compiled(section, _each(parent, work), uses_body=True)


def compile_stringreplace(params: Parameters) -> CompiledPolicy:
    """Compile ``stringreplace``: replace ``sourceString`` in a string property."""
    parent = _path(params, "propertyParentPath", required=False)
    sub = _sub_path(params, "propertySubPath")
    old = params.string("sourceString")
    new = params.string("replacementString", required=False)
    target_text = params.string("newPropertyPath", required=False)
    target = _path(params, "newPropertyPath") if target_text else None
    section = params.section("request", _SECTIONS)

    def work(call: PolicyCall, item: Any) -> None:
        source = read(item, sub)
        if not isinstance(source, str):
            return
        replaced = source.replace(old, new)
        if target is None:
            write(item, sub, replaced)
        else:
            _store(call, target, item, replaced)

    return params.compiled(section, _each(parent, work), uses_body=True)


def compile_stringtoarray(params: Parameters) -> CompiledPolicy:
    """Compile ``stringtoarray``: ``"a;b"`` becomes ``[{child: "a"}, {child: "b"}]``."""
    parent = _path(params, "propertyParentPath", required=False)
    sub = _sub_path(params, "propertySubPath")
    delimiters = params.string("delimiterList")
    child = params.string("childPropertyName")
    target = _path(params, "newPropertyPath")
    # Every character of delimiterList is a delimiter.
    splitter = re.compile("[" + re.escape(delimiters) + "]")
    section = params.section("request", _SECTIONS)

    def work(call: PolicyCall, item: Any) -> None:
        source = read(item, sub)
        if not isinstance(source, str):
            return
        parts = [part for part in splitter.split(source) if part]
        _store(call, target, item, [{child: part} for part in parts])

    return params.compiled(section, _each(parent, work), uses_body=True)


def _remove(target: Any, keys: tuple[Key, ...]) -> None:
    parent = read(target, keys[:-1])
    if isinstance(parent, dict) and isinstance(keys[-1], str):
        parent.pop(keys[-1], None)


def compile_moveproperties(params: Parameters) -> CompiledPolicy:
    """Compile ``moveproperties``: move ``srcParent.srcSub`` to ``dstParent.dstSub``.

    With ``copyOnlySubProperties`` the source object's properties are merged into the
    destination instead; a ``dstSubPath`` of ``null`` (or empty) names the parent itself.
    """
    source_parent = _path(params, "srcParentPath", required=False)
    source_sub = _sub_path(params, "srcSubPath")
    target_parent = _path(params, "dstParentPath", required=False)
    target_text = params.string("dstSubPath", required=False)
    target_sub = () if target_text.strip().lower() in ("", "null") else \
        _sub_path(params, "dstSubPath")
    only_children = params.flag("copyOnlySubProperties", False)
    if not source_sub:
        raise params.error("srcSubPath must name a property",
                           "x-ms-apimTemplateParameter.srcSubPath")
    if source_parent.root == "item" or target_parent.root == "item":
        raise params.error("moveproperties paths must start with body()")
    source_keys = source_parent.keys + source_sub
    target_keys = target_parent.keys + target_sub
    section = params.section("request", _SECTIONS)

    def apply(call: PolicyCall) -> None:
        body = call.body
        if not isinstance(body, dict):
            return
        value = read(body, source_keys)
        if value is None:
            return
        if only_children:
            if not isinstance(value, dict):
                return
            _remove(body, source_keys)
            destination = read(body, target_keys) if target_keys else body
            if isinstance(destination, dict):
                destination.update(value)
            return
        _remove(body, source_keys)
        if target_keys:
            write(body, target_keys, value)

    return params.compiled(section, apply, uses_body=True)
