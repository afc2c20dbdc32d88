"""``/serviceProviders/sql``: the provider the registry calls — its catalogue entry, its
actions and its triggers, each run in a worker thread inside one transaction, with the
database's errors translated here and nowhere else."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

from gateway import PortwayError
from runtime.builtins.calling import current_call, runtime_settings
from runtime.builtins.registry import ProviderOperation
from runtime.builtins.sql.connection import Engines, parse_connection_string, vetted_target
from runtime.builtins.sql.operations import ACTIONS
from runtime.builtins.sql.triggers import TRIGGERS, poll_rows
from runtime.builtins.sql.values import Limits
from runtime.errors import SqlFailed, SqlNotSupported, SqlRequestInvalid
from runtime.settings import RuntimeSettings

__all__ = ["SqlProvider"]

T = TypeVar("T")

#: The SQL connector's own worker threads: a poll waiting on a table lock or a slow query
#: holds one of these, never a thread the rest of the runtime needs.
_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="portway-sql")

_TABLE = {"tableName": {"type": "string", "title": "Table name"}}
_WHERE = {"columnValuesForWhereCondition": {"type": "object",
                                            "title": "Column values for the where condition"},
          "primaryKey": {"type": "string", "title": "Primary key value"}}
_QUERY = {"query": {"type": "string", "title": "Query"},
          "queryParameters": {"type": "object", "title": "Query parameters"}}
_PROCEDURE = {"storedProcedureName": {"type": "string", "title": "Procedure name"},
              "storedProcedureParameters": {"type": "object", "title": "Parameters"}}
_ROWS = {"type": "array", "items": {"type": "object"}}
_RESULT = {"type": "object", "properties": {
    "resultSets": {"type": "object"}, "outputParameters": {"type": "object"},
    "returnCode": {"type": "integer"}}}
_TRIGGER = {**_TABLE, "watermarkColumn": {
    "type": "string", "title": "Watermark column (Portway)",
    "description": "The column whose value grows with every change; see docs/builtins.md"}}


def _schema(properties: Mapping[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(required),
            "additionalProperties": False}


_OPERATIONS = [
    ProviderOperation("executeQuery", "Execute query", _schema(_QUERY, "query"),
                      {"type": "array", "items": _ROWS}),
    ProviderOperation("executeQueryWithOutputAsDictionary",
                      "Execute query (results as a dictionary)",
                      _schema({**_QUERY, "includeEmptyResultSets": {"type": "boolean"}},
                              "query"), _RESULT),
    ProviderOperation("executeStoredProcedure", "Execute stored procedure (PostgreSQL)",
                      _schema({**_PROCEDURE, "includeEmptyResultSets": {"type": "boolean"}},
                              "storedProcedureName"), _RESULT),
    ProviderOperation("executeStoredProcedureWithOutputAsDictionary",
                      "Execute stored procedure (results as a dictionary)",
                      _schema(_PROCEDURE, "storedProcedureName"), _RESULT),
    ProviderOperation("getRows", "Get rows",
                      _schema({**_TABLE, **_WHERE, "queries": {"type": "object"}},
                              "tableName"), _ROWS),
    ProviderOperation("getRowsV2", "Get rows (V2)",
                      _schema({**_TABLE, "queries": {"type": "object"}}, "tableName"),
                      {"type": "object", "properties": {"value": _ROWS}}),
    ProviderOperation("insertRow", "Insert row",
                      _schema({**_TABLE, "setColumns": {"type": "object"}}, "tableName"),
                      {"type": "object"}),
    ProviderOperation("updateRows", "Update rows",
                      _schema({**_TABLE, **_WHERE, "setColumns": {"type": "object"}},
                              "tableName", "setColumns"), _ROWS),
    ProviderOperation("deleteRows", "Delete rows", _schema({**_TABLE, **_WHERE},
                                                           "tableName"), _ROWS),
    ProviderOperation("getTables", "Get tables", _schema({}), {"type": "array", "items": {
        "type": "object", "properties": {"fullName": {"type": "string"},
                                         "displayName": {"type": "string"}}}}),
    ProviderOperation("whenARowIsInserted", "When a row is inserted",
                      _schema(_TRIGGER, "tableName"), _ROWS, trigger=True),
    ProviderOperation("whenARowIsModified", "When a row is inserted or modified",
                      _schema(_TRIGGER, "tableName"), _ROWS, trigger=True),
]


class SqlProvider:
    """Logic Apps Standard's built-in SQL connector, on SQLite and PostgreSQL."""

    id = "/serviceProviders/sql"
    display_name = "SQL Server"
    description = ("Query and change rows of a SQLite or PostgreSQL database, call its "
                   "procedures, and start runs when rows are inserted or modified.")
    connection_parameters: Mapping[str, Any] = {
        "type": "object", "required": ["connectionString"], "additionalProperties": False,
        "properties": {"connectionString": {
            "type": "string", "title": "Connection string", "x-ms-secret": True,
            "description": "A SQLAlchemy URL (sqlite:///file.db, postgresql://…) or an "
                           "ADO.NET-style string; see docs/builtins.md"}}}

    def __init__(self) -> None:
        self.engines = Engines()

    def operations(self) -> Mapping[str, ProviderOperation]:
        return {op.operation_id: op for op in _OPERATIONS}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        action = ACTIONS.get(operation_id)
        if action is None:
            raise SqlRequestInvalid(f"the SQL connector has no action {operation_id!r}")
        limits = _limits(runtime_settings())
        body = await self._run(connection, parameters,
                               lambda conn: action(conn, parameters, limits))
        return {"body": body}

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if operation_id not in TRIGGERS:
            raise SqlRequestInvalid(f"the SQL connector has no trigger {operation_id!r}")
        settings = runtime_settings()
        batch, limits = max(1, settings.sql_trigger_batch), _limits(settings)
        return await self._run(connection, parameters, lambda conn: poll_rows(
            conn, operation_id, parameters, state, batch, limits))

    async def _run(self, connection: Mapping[str, Any], parameters: Mapping[str, Any],
                   work: Callable[[sa.Connection], T]) -> T:
        if not isinstance(parameters, Mapping):
            raise SqlRequestInvalid("the operation's 'parameters' must be an object")
        connection_string = connection.get("connectionString")
        database = parse_connection_string(connection_string)
        target = await vetted_target(database)
        settings = runtime_settings()
        engine = self.engines.engine(str(connection_string), database, target,
                                     settings.sql_timeout_seconds, current_call().store_url,
                                     settings.sql_revet_seconds)

        def in_thread() -> T:
            with engine.begin() as conn:
                return work(conn)

        try:
            return await asyncio.get_running_loop().run_in_executor(_THREADS, in_thread)
        except PortwayError:
            raise
        except sa.exc.DBAPIError as exc:
            raise _translated(exc) from None
        except sa.exc.SQLAlchemyError as exc:
            raise SqlFailed(f"the database operation failed: {type(exc).__name__}") from None


def _limits(settings: RuntimeSettings) -> Limits:
    return Limits(settings.sql_max_rows, settings.sql_max_result_bytes)


_TRANSIENT = ("locked", "connect", "timeout", "terminat", "closed")
#: SQLite's words when the connection's authorizer or its attach limit refused a statement.
_CONFINED = ("not authorized", "authorization denied", "too many attached databases")


def _translated(exc: sa.exc.DBAPIError) -> PortwayError:
    """The driver's own message (its first line: never the statement or its values)."""
    text = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
    text = text[:300] or type(exc.orig).__name__
    if isinstance(exc.orig, sqlite3.Error) and any(w in text for w in _CONFINED):
        return SqlNotSupported("a SQLite connection reaches its own file only: ATTACH, "
                               "DETACH, VACUUM INTO, load_extension and process-wide "
                               "pragmas (temp_store_directory, heap limits) are not "
                               "supported")
    if "interrupted" in text or "statement timeout" in text or "lock timeout" in text:
        return SqlFailed(f"the statement ran out of time: {text}", code="SqlTimeout",
                         retryable=True)
    transient = exc.connection_invalidated or (
        isinstance(exc, sa.exc.OperationalError)
        and any(word in text.lower() for word in _TRANSIENT))
    if transient:
        return SqlFailed(f"the database could not be used: {text}", retryable=True)
    return SqlFailed(f"the database refused the statement: {text}")
