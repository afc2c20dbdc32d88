"""Values between JSON and the database: rows out as JSON objects (bounded), parameters in,
and the trigger's watermark kept as JSON that binds back to the very value it came from."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.errors import SqlRequestInvalid, SqlResultTooLarge

__all__ = ["Limits", "bind_value", "decode_mark", "encode_mark", "json_value", "read_rows"]


@dataclass(frozen=True)
class Limits:
    max_rows: int = 10_000
    max_bytes: int = 16_000_000


def json_value(value: Any) -> Any:
    """A column's value as Logic Apps gives it: numbers, strings, ISO 8601 times, bytes as
    base64."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return value
    return str(value)


def read_rows(keys: Iterable[str], rows: Iterable[Any], limits: Limits) -> list[dict[str, Any]]:
    """Rows as JSON objects. Raises ``SqlResultTooLarge`` past the limits (the caller
    fetches at most ``max_rows + 1``)."""
    names = list(keys)
    out: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        if len(out) >= limits.max_rows:
            raise SqlResultTooLarge(f"the result has more than {limits.max_rows} rows "
                                    "(sql_max_rows); ask for fewer (LIMIT, $top)")
        item = {name: json_value(value) for name, value in zip(names, row, strict=False)}
        size += len(json.dumps(item, default=str))
        if size > limits.max_bytes:
            raise SqlResultTooLarge(f"the result is larger than {limits.max_bytes} bytes "
                                    "(sql_max_result_bytes); ask for fewer rows or columns")
        out.append(item)
    return out


def bind_value(value: Any, where: str) -> Any:
    """A JSON parameter as the driver binds it (objects and arrays as JSON text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    raise SqlRequestInvalid(f"{where} is not a value a statement can take")


_KINDS: dict[str, Any] = {"datetime": dt.datetime, "date": dt.date, "time": dt.time,
                           "decimal": decimal.Decimal}


def encode_mark(value: Any) -> Any:
    """A watermark value as JSON that ``decode_mark`` turns back into the same value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    for kind, cls in _KINDS.items():
        if isinstance(value, cls):
            text = str(value) if kind == "decimal" else value.isoformat()
            return {"kind": kind, "text": text}
    if isinstance(value, uuid.UUID):
        return {"kind": "uuid", "text": str(value)}
    raise SqlRequestInvalid(f"a watermark column of type {type(value).__name__} cannot be "
                            "kept; use an integer, a time or a text column")


def decode_mark(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    kind, text = value.get("kind"), str(value.get("text", ""))
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "time":
        return dt.time.fromisoformat(text)
    if kind == "decimal":
        return decimal.Decimal(text)
    if kind == "uuid":
        return uuid.UUID(text)
    raise SqlRequestInvalid("the trigger's state holds a watermark Portway cannot read")
