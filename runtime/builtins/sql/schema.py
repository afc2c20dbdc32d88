"""Tables and columns as the database has them: every name an operation receives is
matched against the reflected catalogue before it reaches a statement, and statements are
built from the catalogue's own names (quoted by SQLAlchemy), so a hostile ``tableName`` or
column name is a ``SqlObjectNotFound``, never SQL.

Names are read as Logic Apps users write them: ``Customers``, ``dbo.Customers``,
``[dbo].[Customers]``, ``"public"."Customers"``. A schema the database does not have
(``dbo`` on SQLite or PostgreSQL) means the default schema. Matching is exact first, then
case-insensitive when that is unambiguous.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from runtime.errors import SqlObjectNotFound, SqlRequestInvalid

__all__ = ["TableInfo", "find_table", "split_name", "table_names"]

_TTL = 5.0
_cache: dict[tuple[str, str | None, str], tuple[float, TableInfo]] = {}


@dataclass(frozen=True)
class TableInfo:
    """A reflected table or view."""

    schema: str | None
    name: str
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    #: Lower-cased type names by column (``integer``, ``timestamp``…).
    types: dict[str, str]

    def table(self, columns: Iterable[str] | None = None) -> sa.TableClause:
        """A lightweight table over the catalogue's names; values pass through untyped."""
        return sa.table(self.name, *(sa.column(c) for c in (columns or self.columns)),
                        schema=self.schema)

    def column(self, wanted: str) -> str:
        """The catalogue's name for ``wanted``. Raises ``SqlObjectNotFound``."""
        return _match(wanted, self.columns, f"column {wanted!r} in table {self.name!r}")

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def split_name(text: object) -> tuple[str | None, str]:
    """``[dbo].[Customers]`` → ``("dbo", "Customers")``. Raises ``SqlRequestInvalid``."""
    if not isinstance(text, str) or not text.strip():
        raise SqlRequestInvalid("'tableName' must be a table's name")
    parts: list[str] = []
    current: list[str] = []
    closing = ""
    for char in text.strip():
        if closing:
            if char == closing:
                closing = ""
            else:
                current.append(char)
        elif char in '["`':
            closing = "]" if char == "[" else char
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    parts = [p.strip() for p in parts]
    if closing or len(parts) > 2 or not all(parts) or len(text) > 300:
        raise SqlRequestInvalid(f"{text[:80]!r} is not a table name ([schema].[table])")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def find_table(conn: sa.Connection, text: object, *, views: bool = True) -> TableInfo:
    """The reflected table ``text`` names. Raises ``SqlObjectNotFound``."""
    schema, name = split_name(text)
    inspector = sa.inspect(conn)
    if schema is not None and schema not in inspector.get_schema_names():
        lowered = {s.lower(): s for s in inspector.get_schema_names()}
        schema = lowered.get(schema.lower())
    key = (repr(conn.engine.url), schema, name)  # repr masks the password
    cached = _cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    names = list(inspector.get_table_names(schema=schema))
    if views:
        names += inspector.get_view_names(schema=schema)
    found = _match(name, names, f"table {name!r}")
    columns = inspector.get_columns(found, schema=schema)
    primary = inspector.get_pk_constraint(found, schema=schema).get("constrained_columns")
    info = TableInfo(schema=schema, name=found,
                     columns=tuple(str(c["name"]) for c in columns),
                     primary_key=tuple(primary or ()),
                     types={str(c["name"]): str(c["type"]).lower() for c in columns})
    if len(_cache) > 1000:
        _cache.clear()
    _cache[key] = (time.monotonic() + _TTL, info)
    return info


def table_names(conn: sa.Connection) -> list[tuple[str | None, str]]:
    """Every table of the default schema (and, on PostgreSQL, of the other user schemas)."""
    inspector = sa.inspect(conn)
    found: list[tuple[str | None, str]] = [(None, n) for n in inspector.get_table_names()]
    if conn.dialect.name == "postgresql":
        default = inspector.default_schema_name
        for schema in inspector.get_schema_names():
            if schema in (default, "information_schema") or schema.startswith("pg_"):
                continue
            found += [(schema, n) for n in inspector.get_table_names(schema=schema)]
    return found


def _match(wanted: str, names: Iterable[str], what: str) -> str:
    names = list(names)
    if wanted in names:
        return wanted
    folded = [n for n in names if n.lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    raise SqlObjectNotFound(f"the database has no {what}"[:300])
