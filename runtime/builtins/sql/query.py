"""``executeQuery``'s text with its ``queryParameters`` bound, never formatted in.

Logic Apps queries name parameters T-SQL's way, ``@name``; Portway also reads ``:name``.
Each named parameter becomes a bind parameter of the statement. Names inside string
literals, quoted identifiers, comments and PostgreSQL dollar-quoted strings are left alone,
and every other colon is escaped, so nothing in the text is read as a parameter by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from runtime.builtins.sql.values import bind_value
from runtime.errors import SqlRequestInvalid

__all__ = ["MAX_QUERY_CHARS", "bound_query"]

MAX_QUERY_CHARS = 1_000_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def bound_query(text: Any, parameters: Any) -> tuple[sa.TextClause, dict[str, Any]]:
    """The statement and its bind values. Raises ``SqlRequestInvalid``."""
    if not isinstance(text, str) or not text.strip():
        raise SqlRequestInvalid("'query' must be the text of a SQL statement")
    if len(text) > MAX_QUERY_CHARS:
        raise SqlRequestInvalid(f"'query' is longer than {MAX_QUERY_CHARS} characters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise SqlRequestInvalid("'queryParameters' must be an object of names and values")
    named = {str(k).lstrip("@:").lower(): (str(k), v) for k, v in parameters.items()}
    binds: dict[str, Any] = {}
    slots: dict[str, str] = {}
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        end = _skip(text, i)
        if end > i:
            out.append(text[i:end].replace(":", "\\:"))
            i = end
            continue
        if char in "@:" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_@:")):
            found = _NAME.match(text, i + 1)
            following = text[found.end()] if found and found.end() < n else ""
            if found and following != ":" and found.group(0).lower() in named:
                key = found.group(0).lower()
                if key not in slots:
                    slots[key] = f"p{len(slots)}"
                    original, value = named[key]
                    binds[slots[key]] = bind_value(value, f"queryParameters.{original}")
                out.append(":" + slots[key])
                i = found.end()
                continue
        if char == ":":
            double = (i + 1 < n and text[i + 1] == ":") or (i > 0 and text[i - 1] == ":")
            out.append(":" if double else "\\:")
        else:
            out.append(char)
        i += 1
    return sa.text("".join(out)), binds


def _skip(text: str, i: int) -> int:
    """The end of the literal, quoted name or comment starting at ``i`` (``i`` if none)."""
    char = text[i]
    if char in "'\"[`":
        closing = "]" if char == "[" else char
        j = i + 1
        while j < len(text):
            if text[j] == closing:
                if closing != "]" and j + 1 < len(text) and text[j + 1] == closing:
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(text)
    if text.startswith("--", i):
        newline = text.find("\n", i)
        return len(text) if newline < 0 else newline
    if text.startswith("/*", i):
        close = text.find("*/", i + 2)
        return len(text) if close < 0 else close + 2
    if char == "$":
        tag = _DOLLAR.match(text, i)
        if tag and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = text.find(tag.group(0), tag.end())
            return len(text) if close < 0 else close + len(tag.group(0))
    return i
