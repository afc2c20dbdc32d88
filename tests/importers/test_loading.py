from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.errors import SpecSyntaxError, SpecTooLargeError
from importers.loading import load_document


def rules(raw: bytes, source: str = "spec.json") -> list[str]:
    return [f.rule for f in load_document(raw, source=source).findings]


def test_clean_json_has_no_findings() -> None:
    loaded = load_document(b'{"a": [1, 2]}')
    assert (loaded.data, loaded.format, loaded.findings) == ({"a": [1, 2]}, "json", [])


def test_bom_is_removed_with_a_warning() -> None:
    loaded = load_document(b'\xef\xbb\xbf{"a": 1}')
    assert loaded.data == {"a": 1}
    assert [f.rule for f in loaded.findings] == ["load-bom"]


def test_trailing_commas_are_removed_and_located() -> None:
    loaded = load_document(b'{\n  "a": [1, 2,],\n  "b": {"c": 1,\n  },\n}')
    assert loaded.data == {"a": [1, 2], "b": {"c": 1}}
    messages = [f.message for f in loaded.findings]
    assert messages == [
        "removed a trailing comma at line 2, column 13",
        "removed a trailing comma at line 3, column 15",
        "removed a trailing comma at line 4, column 4",
    ]


def test_windows_1252_bytes_are_read_as_such() -> None:
    loaded = load_document(b'{"name": "Br\xf8nn\xf8y \x93quoted\x94"}')
    assert loaded.data == {"name": "Brønnøy \u201cquoted\u201d"}
    assert [f.rule for f in loaded.findings] == ["load-encoding"]
    assert "line 1, column 13" in loaded.findings[0].message


def test_raw_tab_inside_a_string_is_kept() -> None:
    loaded = load_document(b'{"title": "a\tb"}')
    assert loaded.data == {"title": "a\tb"}
    assert [f.rule for f in loaded.findings] == ["load-control-character"]


def test_duplicate_keys_keep_the_last_value_with_a_warning() -> None:
    loaded = load_document(b'{"a": 1, "a": 2}')
    assert loaded.data == {"a": 2}
    assert [f.rule for f in loaded.findings] == ["load-duplicate-key"]
    nested = load_document(b'{"paths": {"/x": {"get": {"operationId": "a", "s": "{[,\\"",\n'
                           b'"operationId": "b"}}}, "list": [{"k": 1, "k": 2}]}')
    assert [(f.pointer, f.line, f.column) for f in nested.findings] == [
        ("/paths/~1x/get/operationId", 2, 1), ("/list/0/k", 2, 42)]
    yaml_loaded = load_document(b"a: 1\nb:\n  c: 1\n  c: 2\n", source="x.yaml")
    assert yaml_loaded.data == {"a": 1, "b": {"c": 2}}
    assert "line 4, column 3" in yaml_loaded.findings[0].message


def test_missing_comma_is_an_error_with_line_and_column() -> None:
    with pytest.raises(SpecSyntaxError) as info:
        load_document(b'{\n  "a": 1\n  "b": 2\n}', source="bad.json")
    assert (info.value.line, info.value.column) == (3, 3)
    assert "bad.json" in info.value.message


def test_broken_yaml_is_an_error_with_line_and_column() -> None:
    with pytest.raises(SpecSyntaxError) as info:
        load_document(b"openapi: 3.0.0\ninfo: [a, b\n", source="bad.yaml")
    assert info.value.line is not None and info.value.line >= 2


def test_yaml_keys_and_dates_become_strings() -> None:
    loaded = load_document(b"responses:\n  200: {description: ok}\nwhen: 2024-01-02\n")
    assert loaded.data == {"responses": {"200": {"description": "ok"}}, "when": "2024-01-02"}
    assert loaded.format == "yaml"


def test_size_limit() -> None:
    with pytest.raises(SpecTooLargeError):
        load_document(b"[" + b"1," * 100 + b"1]", max_bytes=50)


def test_depth_limit() -> None:
    with pytest.raises(SpecTooLargeError):
        load_document(b"[" * 300 + b"]" * 300)
    with pytest.raises(SpecTooLargeError):
        load_document(b"[" * 5000 + b"]" * 5000)


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(SpecTooLargeError):
        load_document("\n".join(lines).encode(), source="bomb.yaml", max_nodes=1_000_000)


def test_nan_and_infinity_become_strings_with_a_warning() -> None:
    loaded = load_document(b'{"a": NaN, "b": [-Infinity]}')
    assert loaded.data == {"a": "NaN", "b": ["-Infinity"]}
    assert [f.rule for f in loaded.findings] == ["load-non-json-number"] * 2


def test_repairs_carry_line_and_column() -> None:
    (finding,) = load_document(b'{"a": [1,\n]}').findings
    assert (finding.line, finding.column) == (1, 9)


def test_a_yaml_flow_mapping_is_read_as_yaml_unless_the_file_says_json() -> None:
    loaded = load_document(b"{openapi: 3.0.0, info: {title: t}}", source="upload")
    assert (loaded.data, loaded.format) == ({"openapi": "3.0.0", "info": {"title": "t"}}, "yaml")
    with pytest.raises(SpecSyntaxError):
        load_document(b"{openapi: 3.0.0}", source="spec.json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(json_values, st.booleans())
def test_any_document_with_trailing_commas_and_a_bom_reads_back(value: object,
                                                               bom: bool) -> None:
    text = json.dumps({"doc": value}, indent=1)
    # A comma before every closing bracket of a non-empty container.
    broken = re.sub(r"(?<=[^\[{\s])(\s*\n\s*[}\]])", r",\1", text)
    raw = (b"\xef\xbb\xbf" if bom else b"") + broken.encode()
    loaded = load_document(raw)
    assert loaded.data == {"doc": value}
    rules = {f.rule for f in loaded.findings}
    assert rules <= {"load-bom", "load-trailing-comma"}
    assert ("load-bom" in rules) == bom
