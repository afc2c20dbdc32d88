"""JSON Schema validation with errors shaped as Logic Apps reports them (``ParseJson``).

Logic Apps validates with Newtonsoft's JSON Schema library and lists each problem as
``{"message", "lineNumber", "linePosition", "path", "value", "schemaId", "errorType",
"childErrors"}``, with messages like ``Invalid type. Expected String but got Null.``
and one ``Required properties are missing from object: a, b.`` per object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema_rs

_TYPE_WORDS = {"string": "String", "integer": "Integer", "number": "Number",
               "boolean": "Boolean", "object": "Object", "array": "Array", "null": "Null"}


class SchemaInvalid(ValueError):
    """The schema itself is not a usable JSON Schema."""


def json_type_word(value: Any) -> str:
    """Newtonsoft's name for a JSON value's type."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def schema_errors(schema: Mapping[str, Any], instance: Any) -> list[dict[str, Any]]:
    """Validate ``instance``; return the errors in Logic Apps' shape (empty when valid).

    Raises:
        SchemaInvalid: The schema cannot be compiled.
    """
    try:
        validator = jsonschema_rs.validator_for(dict(schema))
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise SchemaInvalid(str(exc)) from None
    errors: list[dict[str, Any]] = []
    missing: dict[tuple[str | int, ...], list[str]] = {}
    for error in validator.iter_errors(instance):
        path = tuple(error.instance_path)
        schema_path = tuple(error.schema_path)
        kind = type(error.kind).__name__
        if kind == "Required":
            key = path
            if key not in missing:
                missing[key] = []
                errors.append(_entry("", path, None, schema_path[:-1], "required"))
                errors[-1]["_missing"] = key
            missing[key].append(str(getattr(error.kind, "property", "")))
            continue
        value = _at(instance, path)
        message = _message(kind, error, schema, schema_path, value)
        errors.append(_entry(message, path, value, schema_path[:-1], kind.lower()))
    for entry in errors:
        key = entry.pop("_missing", None)
        if key is not None:
            names = ", ".join(missing[key])
            entry["message"] = f"Required properties are missing from object: {names}."
            entry["value"] = missing[key]
    return errors


def _message(kind: str, error: jsonschema_rs.ValidationError, schema: Mapping[str, Any],
             schema_path: Sequence[str | int], value: Any) -> str:
    if kind == "Type":
        wanted = _at(schema, tuple(schema_path))
        names = wanted if isinstance(wanted, list) else [wanted]
        expected = ", ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)
        return f"Invalid type. Expected {expected} but got {json_type_word(value)}."
    if kind == "Enum":
        return f"Value {_short(value)} is not defined in enum."
    if kind == "MinLength":
        return f"String '{value}' is less than minimum length of " \
               f"{_at(schema, tuple(schema_path))}."
    if kind == "MaxLength":
        return f"String '{value}' exceeds maximum length of " \
               f"{_at(schema, tuple(schema_path))}."
    if kind == "Pattern":
        return f"String '{value}' does not match regex pattern " \
               f"'{_at(schema, tuple(schema_path))}'."
    if kind == "AdditionalProperties":
        extra = getattr(error.kind, "unexpected", None) or []
        return "Property '" + "', '".join(map(str, extra)) + \
            "' has not been defined and the schema does not allow additional properties."
    return error.message[:1].upper() + error.message[1:] + \
        ("" if error.message.endswith(".") else ".")


def _short(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _entry(message: str, path: Sequence[str | int], value: Any,
           schema_path: Sequence[str | int], error_type: str) -> dict[str, Any]:
    return {"message": message, "lineNumber": 0, "linePosition": 0,
            "path": _newtonsoft_path(path), "value": value,
            "schemaId": "#/" + "/".join(str(part) for part in schema_path)
            if schema_path else "#",
            "errorType": error_type, "childErrors": []}


def _newtonsoft_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(document, list) and isinstance(part, int) and part < len(document):
            document = document[part]
        elif isinstance(document, Mapping) and str(part) in document:
            document = document[str(part)]
        else:
            return None
    return document
