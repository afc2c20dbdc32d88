"""The SQL connector's triggers, ``whenARowIsInserted`` and ``whenARowIsModified``: a poll
returns the rows past the watermark kept in the trigger's state, oldest first, and the
watermark after them.

The watermark rule (``docs/builtins.md`` says it for users):

- Rows are ordered by ``(watermark column, primary key)``; the state keeps the last pair
  fired. A poll takes the rows after it, in that order, at most ``sql_trigger_batch``. The
  same state gives the same rows in the same order, so a poll repeated after a crash
  fires the same runs (the scheduler commits runs and state together).
- ``whenARowIsInserted``: the watermark column is the table's primary key, a single
  column whose values grow with every insert (an identity, serial or ``INTEGER PRIMARY
  KEY``), unless ``watermarkColumn`` names another. ``whenARowIsModified``: the
  ``watermarkColumn`` (a row version or updated-at column the writer sets on every insert
  and update), by default the first of ``rowversion``, ``updated_at``, ``modified_at``,
  ``last_modified`` (any case, ``_`` optional) the table has. Rows whose watermark is
  NULL never fire.
- A value is only final once the transaction writing it has committed: on PostgreSQL two
  inserts can commit out of the order of their keys, and a watermark moved past the later
  one would skip the earlier. So each poll first takes ``LOCK TABLE … IN SHARE MODE``
  (it waits for the writers in flight and holds new ones for the few milliseconds of the
  read); after it, every key handed out by an insert on that table is visible. SQLite
  has one writer at a time, so commit order is key order there.
- The first poll only records where the table is (rows already there do not fire, as in
  Logic Apps, where the trigger starts from its creation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from runtime.builtins.sql.schema import TableInfo, find_table
from runtime.builtins.sql.values import Limits, decode_mark, encode_mark, read_rows
from runtime.errors import SqlRequestInvalid

__all__ = ["TRIGGERS", "poll_rows"]

TRIGGERS = ("whenARowIsInserted", "whenARowIsModified")
_MODIFIED_COLUMNS = ("rowversion", "updatedat", "modifiedat", "lastmodified",
                     "lastmodifiedat", "updatedon", "modifiedon")


def _watermark(info: TableInfo, operation: str, parameters: Mapping[str, Any]
               ) -> tuple[str, str]:
    """The watermark column and the tie-breaking key column."""
    if len(info.primary_key) != 1:
        raise SqlRequestInvalid(f"a SQL trigger needs a table with a one-column primary key; "
                                f"{info.display!r} has {len(info.primary_key)}")
    key = info.primary_key[0]
    named = parameters.get("watermarkColumn")
    if named not in (None, ""):
        return info.column(str(named)), key
    if operation == "whenARowIsInserted":
        return key, key
    for column in info.columns:
        if column.lower().replace("_", "") in _MODIFIED_COLUMNS:
            return column, key
    raise SqlRequestInvalid(f"whenARowIsModified needs a row version or updated-at column "
                            f"of {info.display!r}: name it in 'watermarkColumn'")


def poll_rows(conn: sa.Connection, operation: str, parameters: Mapping[str, Any],
              state: Mapping[str, Any], batch: int, limits: Limits
              ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """One poll in the caller's transaction: the trigger outputs (``{"body": rows}``) or
    None, and the state after them."""
    info = find_table(conn, parameters.get("tableName"), views=False)
    column, key = _watermark(info, operation, parameters)
    if conn.dialect.name == "postgresql":
        preparer = conn.dialect.identifier_preparer
        name = preparer.quote(info.name)
        if info.schema:
            name = f"{preparer.quote_schema(info.schema)}.{name}"
        conn.execute(sa.text(f"LOCK TABLE {name} IN SHARE MODE"))
    table = info.table()
    mark: sa.ColumnClause[Any] = sa.column(column)
    tie: sa.ColumnClause[Any] = sa.column(key)
    order = [mark, tie] if column != key else [mark]
    if not state.get("started"):
        last = conn.execute(sa.select(*order).select_from(table).where(mark.is_not(None))
                            .order_by(*(c.desc() for c in order)).limit(1)).first()
        return None, _state(info, column, key, last[0] if last else None,
                            last[-1] if last else None)
    if state.get("table") != info.display or state.get("column") != column:
        raise SqlRequestInvalid("the trigger's state was kept for another table or column; "
                                "redeploy the workflow to start it afresh")
    columns: list[sa.ColumnClause[Any]] = [sa.column(c) for c in info.columns]
    statement: Any = sa.select(*columns).select_from(table).where(
        mark.is_not(None))
    value = state.get("value")
    if value is not None:
        after, last_key = decode_mark(value), decode_mark(state.get("last"))
        statement = statement.where(mark > after if column == key else sa.or_(
            mark > after, sa.and_(mark == after, tie > last_key)))
    raw = conn.execute(statement.order_by(*order).limit(batch)).all()
    if not raw:
        return None, dict(state)
    rows = read_rows(info.columns, raw, Limits(max_rows=batch, max_bytes=limits.max_bytes))
    final = raw[-1]
    at_mark, at_key = info.columns.index(column), info.columns.index(key)
    return {"body": rows}, _state(info, column, key, final[at_mark], final[at_key])


def _state(info: TableInfo, column: str, key: str, value: Any, last: Any) -> dict[str, Any]:
    return {"started": True, "table": info.display, "column": column, "key": key,
            "value": encode_mark(value), "last": encode_mark(last)}
