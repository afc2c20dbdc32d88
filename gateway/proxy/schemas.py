"""OpenAPI 3.0 schema objects as compiled JSON Schema validators.

An OpenAPI 3.0 schema is JSON Schema draft 4/5 with a few twists; ``to_json_schema``
straightens them (``nullable``, and keywords with no meaning to a validator) and
``compile_schema`` builds a validator in Rust (jsonschema-rs) that never fetches anything:
references resolve only inside the connector's own document (``#/components/...``); a
schema that cannot be compiled (a reference elsewhere) is reported and not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from gateway.logging import get_logger

log = get_logger("portway.proxy")

_DROPPED = frozenset({"nullable", "discriminator", "xml", "externalDocs", "example",
                      "deprecated", "readOnly", "writeOnly"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "items"})


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as an equivalent JSON Schema (draft 4)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key.startswith("x-"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Problem:
    """One way a value breaks its schema: where (a JSON pointer) and why."""

    pointer: str
    message: str


class CompiledSchema:
    """A compiled validator for one schema of a connector's document."""

    def __init__(self, schema: dict[str, Any], document: dict[str, Any] | None = None) -> None:
        converted = to_json_schema(schema)
        root: dict[str, Any] = converted
        if document is not None and "$ref" in json.dumps(converted):
            # References point into the connector's document: carry its components along
            # so they resolve locally, converted the same way.
            root = {"allOf": [converted]}
            if isinstance(document.get("components"), dict):
                root["components"] = _convert_section(document["components"])
            if isinstance(document.get("definitions"), dict):
                root["definitions"] = {name: to_json_schema(schema)
                                       for name, schema in document["definitions"].items()}
        #: Why the schema cannot be used ("" when it can); an unusable schema checks nothing
        #: (the upstream still validates) rather than make the operation uncallable.
        self.unusable = ""
        self._root = root
        self._validator: Any = None
        try:
            self._validator = jsonschema_rs.Draft4Validator(
                root, retriever=_refuse, validate_formats=False)
        except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError
                ) as exc:
            self.unusable = str(exc).splitlines()[0][:300]
            log.warning("a schema of the connector cannot be compiled; it is not checked",
                        reason=self.unusable)

    def is_valid(self, value: Any) -> bool:
        validator = self._validator
        return validator is None or validator.is_valid(value) is True

    def problems(self, value: Any, prefix: str = "", limit: int = 20) -> list[Problem]:
        found: list[Problem] = []
        if self._validator is None:
            return found
        for error in self._validator.iter_errors(value):
            parts = list(error.instance_path)
            if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
                # Point at the field that is missing, not at the object that lacks it.
                parts.append(error.kind.property)
            deeper = self._inside_nullable(error, prefix + json_pointer(parts), limit)
            found.extend(deeper or [Problem(prefix + json_pointer(parts),
                                            error.message[:300])])
            if len(found) >= limit:
                break
        return found[:limit]

    def _inside_nullable(self, error: Any, pointer: str, limit: int) -> list[Problem]:
        """For a value that fits neither branch of ``anyOf: [schema, null]`` (how nullable
        and nillable fields read), the problems inside the one branch it meant: the field
        that is wrong, not "is not valid under any of the schemas"."""
        if not isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AnyOf) \
                or error.instance is None:
            return []
        node: Any = self._root
        for part in error.schema_path:
            node = node[part] if isinstance(node, dict | list) else None
        branches = [b for b in node or () if b != {"type": "null"}] \
            if isinstance(node, list) else []
        if len(branches) != 1 or len(node) != 2:
            return []
        root = {key: value for key, value in self._root.items()
                if key in ("components", "definitions", "$defs")}
        try:
            branch = jsonschema_rs.Draft4Validator({**root, "allOf": branches},
                                                   retriever=_refuse, validate_formats=False)
        except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
            return []
        narrowed = CompiledSchema.__new__(CompiledSchema)
        narrowed.unusable, narrowed._root, narrowed._validator = "", root, branch
        return narrowed.problems(error.instance, prefix=pointer, limit=limit)


def json_pointer(parts: list[Any]) -> str:
    """The JSON pointer (RFC 6901) of a path of keys and indexes ("" for the root)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _convert_section(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in section.items():
        if name == "schemas" and isinstance(value, dict):
            out[name] = {key: to_json_schema(schema) for key, schema in value.items()}
        elif isinstance(value, dict) and name != "securitySchemes":
            out[name] = value
    return out


def _refuse(uri: str) -> Any:
    raise ValueError(f"references outside the connector's document are not followed: {uri}")
