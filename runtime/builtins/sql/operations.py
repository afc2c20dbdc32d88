"""The SQL connector's actions, each a function of one open connection (run in a worker
thread, inside one transaction) and the action's ``parameters``.

Output shapes, as Logic Apps Standard's built-in SQL connector gives them:

- ``executeQuery``: an array of result sets, each an array of row objects (a statement
  that returns no rows gives ``[]``);
- ``executeQueryWithOutputAsDictionary`` and ``executeStoredProcedure``:
  ``{"resultSets": {"Table1": [...]}, "outputParameters": {...}, "returnCode": 0}``;
- ``getRows``: an array of rows; ``getRowsV2``: ``{"value": [...]}``;
- ``insertRow``: the inserted row; ``updateRows``/``deleteRows``: the rows changed;
- ``getTables``: ``[{"fullName", "displayName"}]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from runtime.builtins.sql.query import bound_query
from runtime.builtins.sql.schema import TableInfo, find_table, split_name, table_names
from runtime.builtins.sql.values import Limits, bind_value, read_rows
from runtime.errors import SqlNotSupported, SqlObjectNotFound, SqlRequestInvalid

__all__ = ["ACTIONS"]

Action = Callable[[sa.Connection, Mapping[str, Any], Limits], Any]


def _fetch(result: sa.CursorResult[Any], limits: Limits) -> list[dict[str, Any]]:
    if not result.returns_rows:
        return []
    return read_rows(result.keys(), result.fetchmany(limits.max_rows + 1), limits)


def execute_query(conn: sa.Connection, parameters: Mapping[str, Any],
                  limits: Limits) -> Any:
    statement, binds = bound_query(parameters.get("query"),
                                   parameters.get("queryParameters"))
    result = conn.execute(statement, binds)
    return [_fetch(result, limits)] if result.returns_rows else []


def execute_query_dictionary(conn: sa.Connection, parameters: Mapping[str, Any],
                             limits: Limits) -> Any:
    statement, binds = bound_query(parameters.get("query"),
                                   parameters.get("queryParameters"))
    result = conn.execute(statement, binds)
    rows = _fetch(result, limits)
    keep = result.returns_rows and (rows or parameters.get("includeEmptyResultSets", True)
                                    is not False)
    sets = {"Table1": rows} if keep else {}
    return {"resultSets": sets, "outputParameters": {}, "returnCode": 0}


def _columns(info: TableInfo, values: Any, what: str) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SqlRequestInvalid(f"'{what}' must be an object of column names and values")
    return {info.column(str(k)): _untyped(bind_value(v, f"{what}.{k}"))
            for k, v in values.items()}


def _untyped(value: Any) -> Any:
    """A bound value with no type of SQLAlchemy's (which would cast text to VARCHAR on
    PostgreSQL): the server reads it as the column's type."""
    return None if value is None else sa.bindparam(None, value, type_=sa.types.NullType())


def _where(info: TableInfo, parameters: Mapping[str, Any]) -> list[Any]:
    conditions = _columns(info, parameters.get("columnValuesForWhereCondition"),
                          "columnValuesForWhereCondition")
    key = parameters.get("primaryKey")
    if key not in (None, ""):
        if len(info.primary_key) != 1:
            raise SqlRequestInvalid(f"'primaryKey' needs a table with a one-column primary "
                                    f"key; {info.display!r} has {len(info.primary_key)}")
        conditions.setdefault(info.primary_key[0], _untyped(bind_value(key, "primaryKey")))
    return [sa.column(name) == value if value is not None else sa.column(name).is_(None)
            for name, value in conditions.items()]


def get_rows(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    info = find_table(conn, parameters.get("tableName"))
    queries = parameters.get("queries") or {}
    if not isinstance(queries, Mapping):
        raise SqlRequestInvalid("'queries' must be an object ($select, $orderby, $top, "
                                "$skip)")
    unknown = sorted(set(queries) - {"$select", "$orderby", "$top", "$skip"})
    if unknown:
        raise SqlRequestInvalid(f"'queries' does not take {', '.join(unknown)} "
                                "($select, $orderby, $top, $skip)")
    selected = [info.column(c.strip()) for c in str(queries.get("$select") or "").split(",")
                if c.strip()] or list(info.columns)
    statement: Any = sa.select(*(sa.column(c) for c in selected)).select_from(
        info.table())
    statement = statement.where(*_where(info, parameters))
    for part in str(queries.get("$orderby") or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise SqlRequestInvalid(f"'$orderby' cannot read {part.strip()[:80]!r}")
        column: sa.ColumnClause[Any] = sa.column(info.column(words[0]))
        statement = statement.order_by(column.desc() if words[-1].lower() == "desc"
                                       and len(words) == 2 else column.asc())
    top = _count(queries.get("$top"), "$top")
    statement = statement.limit(min(top, limits.max_rows + 1) if top is not None
                                else limits.max_rows + 1)
    skip = _count(queries.get("$skip"), "$skip")
    if skip:
        statement = statement.offset(skip)
    return _fetch(conn.execute(statement), limits)


def _count(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SqlRequestInvalid(f"'{name}' must be a whole number") from None
    if number < 0:
        raise SqlRequestInvalid(f"'{name}' must not be negative")
    return number


def get_rows_v2(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    return {"value": get_rows(conn, parameters, limits)}


def insert_row(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    info = find_table(conn, parameters.get("tableName"), views=False)
    values = _columns(info, parameters.get("setColumns"), "setColumns")
    statement: Any = sa.insert(info.table()).returning(*(sa.column(c) for c in info.columns))
    statement = statement.values(values) if values else statement
    rows = _fetch(conn.execute(statement), limits)
    return rows[0] if rows else {}


def update_rows(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    info = find_table(conn, parameters.get("tableName"), views=False)
    values = _columns(info, parameters.get("setColumns"), "setColumns")
    if not values:
        raise SqlRequestInvalid("'setColumns' must name at least one column")
    conditions = _where(info, parameters)
    if not conditions:
        raise SqlRequestInvalid("updateRows needs 'columnValuesForWhereCondition' or "
                                "'primaryKey' (Portway never updates a whole table)")
    statement: Any = sa.update(info.table()).where(*conditions).values(values).returning(
        *(sa.column(c) for c in info.columns))
    return _fetch(conn.execute(statement), limits)


def delete_rows(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    info = find_table(conn, parameters.get("tableName"), views=False)
    conditions = _where(info, parameters)
    if not conditions:
        raise SqlRequestInvalid("deleteRows needs 'columnValuesForWhereCondition' or "
                                "'primaryKey' (Portway never empties a whole table)")
    statement: Any = sa.delete(info.table()).where(*conditions).returning(
        *(sa.column(c) for c in info.columns))
    return _fetch(conn.execute(statement), limits)


def get_tables(conn: sa.Connection, parameters: Mapping[str, Any], limits: Limits) -> Any:
    return [{"fullName": f"{schema}.{name}" if schema else name, "displayName": name}
            for schema, name in table_names(conn)][:limits.max_rows]


def execute_stored_procedure(conn: sa.Connection, parameters: Mapping[str, Any],
                             limits: Limits) -> Any:
    if conn.dialect.name != "postgresql":
        raise SqlNotSupported("SQLite has no stored procedures; use executeQuery")
    schema, name = split_name(parameters.get("storedProcedureName"))
    given = parameters.get("storedProcedureParameters") or {}
    if not isinstance(given, Mapping):
        raise SqlRequestInvalid("'storedProcedureParameters' must be an object of names "
                                "and values")
    found = conn.execute(sa.text(
        "SELECT n.nspname, p.proname, p.prokind, p.proargnames, p.proargmodes, "
        "ARRAY(SELECT format_type(a.t, NULL) FROM unnest(coalesce(p.proallargtypes, "
        "p.proargtypes::oid[])) WITH ORDINALITY a(t, i) ORDER BY a.i) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE lower(p.proname) = lower(:name) AND p.prokind IN ('f', 'p') AND "
        "(CASE WHEN CAST(:schema AS text) IS NULL OR NOT EXISTS (SELECT 1 FROM pg_namespace "
        "WHERE lower(nspname) = lower(:schema)) THEN n.nspname = ANY(current_schemas(false)) "
        "ELSE lower(n.nspname) = lower(:schema) END)"),
        {"name": name, "schema": schema}).all()
    if not found:
        raise SqlObjectNotFound(f"the database has no procedure or function {name!r}"[:300])
    if len(found) > 1:
        raise SqlRequestInvalid(f"{name!r} names {len(found)} procedures or functions "
                                "(overloads); Portway calls one by name")
    namespace, proname, kind, argnames, argmodes, argtypes = (
        str(found[0][0]), str(found[0][1]), found[0][2], found[0][3], found[0][4], found[0][5])
    names: list[str] = list(argnames or [])
    modes: list[str] = list(argmodes or ["i"] * len(names))
    types: dict[str, str] = dict(zip(names, argtypes or [], strict=False))
    inputs = {n.lower(): n for n, m in zip(names, modes, strict=False) if m in ("i", "b", "v")}
    quote = conn.dialect.identifier_preparer.quote
    arguments, binds = [], {}
    for index, (key, value) in enumerate(given.items()):
        wanted = str(key).lstrip("@").lower()
        if wanted not in inputs:
            raise SqlObjectNotFound(f"{proname!r} takes no parameter {str(key)[:80]!r}")
        # The catalogue's own type name: CALL cannot infer an untyped parameter's type.
        arguments.append(f"{quote(inputs[wanted])} => CAST(:a{index} AS "
                         f"{types.get(inputs[wanted], 'text')})")
        binds[f"a{index}"] = bind_value(value, f"storedProcedureParameters.{key}")
    target = f"{quote(namespace)}.{quote(proname)}"
    if kind == "p":
        outs = [n for n, m in zip(names, modes, strict=False) if m == "o"]
        arguments += [f"{quote(n)} => NULL" for n in outs]  # CALL takes OUT arguments too
        result = conn.execute(sa.text(f"CALL {target}({', '.join(arguments)})"), binds)
        rows = _fetch(result, limits)
        return {"resultSets": {}, "outputParameters": rows[0] if rows else {},
                "returnCode": 0}
    result = conn.execute(sa.text(f"SELECT * FROM {target}({', '.join(arguments)})"), binds)  # noqa: S608
    return {"resultSets": {"Table1": _fetch(result, limits)}, "outputParameters": {},
            "returnCode": 0}


ACTIONS: dict[str, Action] = {
    "executeQuery": execute_query,
    "executeQueryWithOutputAsDictionary": execute_query_dictionary,
    "executeStoredProcedure": execute_stored_procedure,
    "executeStoredProcedureWithOutputAsDictionary": execute_stored_procedure,
    "getRows": get_rows,
    "getRowsV2": get_rows_v2,
    "insertRow": insert_row,
    "updateRows": update_rows,
    "deleteRows": delete_rows,
    "getTables": get_tables,
}
