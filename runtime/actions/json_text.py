"""JSON text as Logic Apps writes bodies (Newtonsoft.Json, compact).

Python's ``json`` agrees on everything but floats: .NET writes the shortest round-trip
digits with an exponent from ``1E+15`` up and at ``1E-05`` and below (two exponent digits at
least), and Newtonsoft keeps a ``.0`` on whole numbers; ``NaN`` and the infinities are
written as strings. Non-ASCII text is not escaped.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from gateway.expressions import to_json_compatible


def dotnet_float(value: float) -> str:
    """A double as Newtonsoft writes it (``1.0``, ``0.1``, ``1E+15``, ``1.5E-07``)."""
    if not math.isfinite(value):
        return '"NaN"' if math.isnan(value) else ('"Infinity"' if value > 0
                                                    else '"-Infinity"')
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    scientific = len(digits) + exponent - 1
    prefix = "-" if sign else ""
    if -5 < scientific < 15:
        if scientific >= 0:
            whole, fraction = text[:scientific + 1].ljust(scientific + 1, "0"), \
                text[scientific + 1:]
        else:
            whole, fraction = "0", "0" * (-scientific - 1) + text
        return f"{prefix}{whole}.{fraction or '0'}"
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    mark = "+" if scientific >= 0 else "-"
    return f"{prefix}{mantissa}E{mark}{abs(scientific):02d}"


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, float):
        out.append(dotnet_float(value))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def json_text(value: Any) -> str:
    """``value`` (binary content as its ``$content`` envelope) as compact JSON."""
    out: list[str] = []
    _write(to_json_compatible(value), out)
    return "".join(out)
