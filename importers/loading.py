"""Reading JSON and YAML documents leniently, the way real publishers ship them.

Real API descriptions carry defects a strict parser rejects: a UTF-8 byte-order mark,
trailing commas, Windows-1252 bytes, a raw tab inside a string, duplicate keys. Each is
repaired here and every repair becomes a ``Finding`` (severity ``warning``) that says what
was changed and where, so nothing is repaired silently. A document that is still not
well-formed after those repairs raises ``SpecSyntaxError`` with the line and column of the
first defect. Size, nesting depth and node count are capped (``SpecTooLargeError``), which
also guards against YAML alias bombs.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from importers.errors import SpecSyntaxError, SpecTooLargeError
from importers.model import Finding

MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 200
MAX_NODES = 4_000_000
# Enough for any real file; a file needing more repairs than this is not a near-miss.
_MAX_REPAIRS = 200

_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class Loaded:
    """A parsed document and what had to be repaired to parse it."""

    data: Any
    format: Literal["json", "yaml"]
    findings: list[Finding] = field(default_factory=list)


def load_document(
    raw: bytes,
    *,
    source: str = "",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Loaded:
    """Parses JSON or YAML bytes, repairing the defects real publishers ship.

    Args:
        raw: The document's bytes.
        source: The file name or URL, used in messages and to prefer YAML for ``.yaml``.
        max_bytes: Larger documents raise ``SpecTooLargeError``.
        max_depth: Deeper nesting raises ``SpecTooLargeError``.
        max_nodes: More values (after YAML aliases are expanded) raise ``SpecTooLargeError``.

    Returns:
        The parsed value with one warning ``Finding`` per repair.

    Raises:
        SpecSyntaxError: The document is not well-formed even after the repairs.
        SpecTooLargeError: The document is over a limit.
    """
    if len(raw) > max_bytes:
        raise SpecTooLargeError(
            f"{_name(source)} is {len(raw)} bytes, over the limit of {max_bytes} bytes",
            details=[{"source": source, "bytes": len(raw), "limit": max_bytes}],
        )
    findings: list[Finding] = []
    text = _decode(raw, source, findings)
    fmt: Literal["json", "yaml"] = "json"
    if _looks_like_json(text, source):
        repairs: list[Finding] = []
        try:
            data: Any = _parse_json(text, source, repairs)
            findings.extend(repairs)
        except SpecSyntaxError:
            # A YAML flow mapping (`{openapi: 3.0.0}`) also starts with a brace; a file that
            # does not call itself JSON gets that chance, and the JSON error otherwise.
            if source.lower().endswith(".json"):
                raise
            try:
                data = _parse_yaml(text, source, [])
            except SpecSyntaxError:
                pass
            else:
                return _finish(data, "yaml", findings, source, max_depth, max_nodes)
            raise
    else:
        data = _parse_yaml(text, source, findings)
        fmt = "yaml"
    return _finish(data, fmt, findings, source, max_depth, max_nodes)


def _finish(data: Any, fmt: Literal["json", "yaml"], findings: list[Finding], source: str,
            max_depth: int, max_nodes: int) -> Loaded:
    if isinstance(data, dict | list):
        _check_limits(data, source, max_depth, max_nodes)
    return Loaded(data=data, format=fmt, findings=findings)


def _name(source: str) -> str:
    return repr(source) if source else "the document"


def _decode(raw: bytes, source: str, findings: list[Finding]) -> str:
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM):]
        findings.append(Finding(
            rule="load-bom", severity="warning",
            message="removed a UTF-8 byte-order mark at the start of the document",
        ))
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SpecSyntaxError(f"{_name(source)} is not valid UTF-16: {exc.reason}",
                                  source=source or None) from None
        findings.append(Finding(
            rule="load-encoding", severity="warning",
            message="the document is UTF-16; read it as such (UTF-8 is expected)",
        ))
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col_bytes(raw, exc.start)
        findings.append(Finding(
            rule="load-encoding", severity="warning", line=line, column=column,
            message=(
                f"the document is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at line {line},"
                f" column {column}); read it as Windows-1252"
            ),
        ))
    # Windows-1252 leaves five bytes undefined; Latin-1 maps them to C1 controls instead
    # of failing, which keeps every byte and every position.
    return raw.decode("cp1252", errors="strict") if _cp1252_ok(raw) else raw.decode("latin-1")


def _cp1252_ok(raw: bytes) -> bool:
    return not any(b in raw for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))


def _line_col_bytes(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _looks_like_json(text: str, source: str) -> bool:
    stripped = text.lstrip()
    if source.lower().endswith((".yaml", ".yml")):
        return False
    return stripped.startswith(("{", "["))


class _DuplicateKeys:
    """An ``object_pairs_hook`` that keeps the last value, as JSON parsers do, and notes it."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []
        self.constants: list[str] = []

    def constant(self, name: str) -> str:
        """NaN and Infinity are not JSON; Python reads them, so keep them as text instead."""
        self.constants.append(name)
        return name

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return obj


_WS = " \t\r\n"


def _parse_json(text: str, source: str, findings: list[Finding]) -> Any:
    strict = True
    chars: list[str] | None = None  # a mutable copy, made on the first repair
    current = text
    for _ in range(_MAX_REPAIRS):
        hook = _DuplicateKeys()
        try:
            data = json.loads(current, object_pairs_hook=hook, strict=strict,
                              parse_constant=hook.constant)
        except json.JSONDecodeError as exc:
            pos = exc.pos
            if strict and exc.msg.startswith("Invalid control character"):
                strict = False
                findings.append(Finding(
                    rule="load-control-character", severity="warning",
                    line=exc.lineno, column=exc.colno,
                    message=(
                        f"a raw control character (U+{ord(current[pos]):04X}) inside a string"
                        f" at line {exc.lineno}, column {exc.colno}; read it as that character"
                    ),
                ))
                continue
            comma = _trailing_comma(current, pos)
            if comma is None:
                raise SpecSyntaxError(
                    f"{_name(source)} is not valid JSON: {exc.msg}",
                    line=exc.lineno, column=exc.colno, source=source or None,
                ) from None
            if chars is None:
                chars = list(current)
            # A space, not a deletion, so later line/column numbers still match the file.
            chars[comma] = " "
            current = "".join(chars)
            line, column = _line_col(current, comma)
            findings.append(Finding(
                rule="load-trailing-comma", severity="warning", line=line, column=column,
                message=f"removed a trailing comma at line {line}, column {column}",
            ))
            continue
        except RecursionError:
            raise SpecTooLargeError(
                f"{_name(source)} is nested too deeply to read",
                details=[{"source": source}],
            ) from None
        for name in hook.constants:
            findings.append(Finding(
                rule="load-non-json-number", severity="warning",
                message=f"{name} is not a JSON number; read as the string {name!r}",
            ))
        if hook.duplicates:
            for key, where, line, column in _locate_duplicates(current):
                findings.append(Finding(
                    rule="load-duplicate-key", severity="warning", pointer=where, line=line,
                    column=column,
                    message=f"the key {key!r} at line {line}, column {column} appears twice in"
                            " one object; the last value is kept",
                ))
        return data
    raise SpecSyntaxError(
        f"{_name(source)} needs more than {_MAX_REPAIRS} repairs to read as JSON",
        source=source or None,
    )


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]', re.S)


def _locate_duplicates(text: str) -> list[tuple[str, str, int, int]]:
    """Where each repeated key is: ``(key, JSON pointer, line, column)``.

    The parser's hook sees an object's pairs but not where the object is, so the (rare)
    document with duplicates is scanned once more, structure only, to say where.
    """
    out: list[tuple[str, str, int, int]] = []
    # Per open container: [is_object, keys seen, current key or index, expecting a key]
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):
        piece = match.group()
        top = stack[-1] if stack else None
        if piece in "{[":
            stack.append([piece == "{", set(), None if piece == "{" else 0, piece == "{"])
        elif piece in "}]":
            if stack:
                stack.pop()
        elif piece == ",":
            if top is not None and top[0]:
                top[3] = True
            elif top is not None:
                top[2] += 1
        elif top is not None and top[0] and top[3]:
            key = json.loads(piece, strict=False)
            top[3] = False
            top[2] = key
            if key in top[1]:
                line, column = _line_col(text, match.start())
                where = "".join("/" + str(entry[2]).replace("~", "~0").replace("/", "~1")
                                for entry in stack)
                out.append((key, where, line, column))
            top[1].add(key)
    return out


def _trailing_comma(text: str, pos: int) -> int | None:
    """The offset of a comma directly before a closing bracket at ``pos``, if that's the error."""
    if pos >= len(text) or text[pos] not in "]}":
        return None
    i = pos - 1
    while i >= 0 and text[i] in _WS:
        i -= 1
    if i >= 0 and text[i] == ",":
        return i
    return None


# --- YAML -----------------------------------------------------------------------------

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """A safe loader that notes duplicate keys and keeps timestamps as strings."""

    duplicates: list[tuple[str, int, int]]


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if type(key) is not str:
            # JSON keys are strings: YAML's `200:` is the response "200".
            if isinstance(key, list | dict | set):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found a key that is not a scalar", key_node.start_mark,
                )
            key = _key_text(key)
        if key in result:
            loader.duplicates.append(
                (str(key), key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float | str:
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    # JSON has no infinity or NaN: keep the text the publisher wrote.
    return value if math.isfinite(value) else str(loader.construct_scalar(node))


def _construct_binary(loader: Any, node: yaml.ScalarNode) -> str:
    # The base64 text itself: JSON has no bytes.
    return "".join(str(loader.construct_scalar(node)).split())


def _construct_set(loader: Any, node: yaml.MappingNode) -> list[Any]:
    return list(_construct_mapping(loader, node))


def _construct_pairs(loader: Any, node: yaml.SequenceNode) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            result.update(_construct_mapping(loader, item))
    return result


# Every value a document can hold must be plain JSON, so the connector round-trips through
# JSON unchanged: YAML's extra types are read as the nearest JSON.
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)
_Loader.add_constructor("tag:yaml.org,2002:set", _construct_set)
_Loader.add_constructor("tag:yaml.org,2002:omap", _construct_pairs)
_Loader.add_constructor("tag:yaml.org,2002:pairs", _construct_pairs)


def _parse_yaml(text: str, source: str, findings: list[Finding]) -> Any:
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecSyntaxError(
            f"{_name(source)} is not valid YAML or JSON: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            source=source or None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"{_name(source)} is not valid YAML or JSON: {exc}",
                              source=source or None) from None
    except RecursionError:
        raise SpecTooLargeError(f"{_name(source)} is nested too deeply to read",
                                details=[{"source": source}]) from None
    finally:
        loader.dispose()
    for key, line, column in loader.duplicates:
        findings.append(Finding(
            rule="load-duplicate-key", severity="warning", line=line, column=column,
            message=(
                f"the key {key!r} at line {line}, column {column} appears twice in one mapping;"
                " the last value is kept"
            ),
        ))
    return data


# --- limits --------------------------------------------------------------------------


def _check_limits(data: Any, source: str, max_depth: int, max_nodes: int) -> None:
    """Enforces the depth and node limits.

    The walk is iterative (a deep document must not exhaust the interpreter's stack) and
    counts every visit, so a YAML alias bomb, whose nodes are shared, is stopped by the
    count. It only looks at containers: this runs over every byte of every import.
    """
    nodes = 1
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise SpecTooLargeError(
                f"{_name(source)} is nested deeper than {max_depth} levels",
                details=[{"source": source, "limit": max_depth}],
            )
        children = value.values() if type(value) is dict else value
        nodes += len(children)
        if nodes > max_nodes:
            raise SpecTooLargeError(
                f"{_name(source)} has more than {max_nodes} values",
                details=[{"source": source, "limit": max_nodes}],
            )
        deeper = depth + 1
        for item in children:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, deeper))


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)
