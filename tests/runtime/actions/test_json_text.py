"""JSON text as Newtonsoft writes Logic Apps' bodies."""

from __future__ import annotations

import json

import pytest

from runtime.actions.json_text import dotnet_float, json_text


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1.0"), (100.0, "100.0"), (0.1, "0.1"), (1.5, "1.5"), (-2.25, "-2.25"),
    (0.0, "0.0"), (0.0001, "0.0001"), (0.00001, "1E-05"), (1.5e-7, "1.5E-07"),
    (123456789012345.0, "123456789012345.0"), (1e15, "1E+15"), (1.25e20, "1.25E+20"),
    (0.30000000000000004, "0.30000000000000004"), (float("nan"), '"NaN"'),
])
def test_floats(value: float, text: str) -> None:
    assert dotnet_float(value) == text


def test_values_compact_in_order_unescaped() -> None:
    value = {"b": [1, 2.0, None, True], "a": "caf\u00e9 \"q\"", "n": {"x": 1e16}}
    text = json_text(value)
    assert text == '{"b":[1,2.0,null,true],"a":"caf\u00e9 \\"q\\"","n":{"x":1E+16}}'
    assert json.loads(text) == value
