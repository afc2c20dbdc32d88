"""The SQL connector's actions on a real database (SQLite and the suite's PostgreSQL):
Logic Apps' output shapes, parameters bound and never formatted in, names checked against
the catalogue, results bounded, errors in the one shape."""

from __future__ import annotations

from typing import Any

import pytest

from gateway import PortwayError, Services
from runtime.builtins.sql import SqlProvider
from tests.runtime.builtins.conftest import execute
from tests.runtime.builtins.support import invoke

pytestmark = pytest.mark.both_backends


def call(services: Services, provider: SqlProvider, url: str, operation: str,
         **parameters: Any) -> Any:
    return invoke(services, provider, operation, {"connectionString": url}, parameters)["body"]


def failure(services: Services, provider: SqlProvider, url: str, operation: str,
            **parameters: Any) -> PortwayError:
    with pytest.raises(PortwayError) as caught:
        call(services, provider, url, operation, **parameters)
    return caught.value


def test_rows_are_inserted_read_updated_and_deleted_in_logic_apps_shapes(
        services: Services, provider: SqlProvider, user_db: str) -> None:
    ada = call(services, provider, user_db, "insertRow", tableName="[dbo].[customers]",
               setColumns={"name": "Ada", "email": "ada@example.com", "city": "London"})
    call(services, provider, user_db, "insertRow", tableName="customers",
         setColumns={"name": "Grace", "city": "Arlington"})
    assert ada == {"id": 1, "name": "Ada", "email": "ada@example.com", "city": "London",
                   "updated_at": None}
    assert [r["name"] for r in call(services, provider, user_db, "getRows", tableName="customers",
                                    queries={"$orderby": "name desc"})] == ["Grace", "Ada"]
    assert call(services, provider, user_db, "getRowsV2", tableName="CUSTOMERS",
                queries={"$select": "id,name", "$top": 1, "$orderby": "id"}) == {
        "value": [{"id": 1, "name": "Ada"}]}
    assert call(services, provider, user_db, "getRows", tableName="customers", primaryKey="2") == [
        {"id": 2, "name": "Grace", "email": None, "city": "Arlington", "updated_at": None}]
    updated = call(services, provider, user_db, "updateRows", tableName="customers",
                   columnValuesForWhereCondition={"city": "London"},
                   setColumns={"city": "Cambridge"})
    assert [(r["id"], r["city"]) for r in updated] == [(1, "Cambridge")]
    deleted = call(services, provider, user_db, "deleteRows", tableName="customers", primaryKey=2)
    assert [r["name"] for r in deleted] == ["Grace"]
    assert execute(user_db, "SELECT id, city FROM customers") == [{"id": 1,
                                                                   "city": "Cambridge"}]
    assert {"fullName": "customers", "displayName": "customers"} in call(
        services, provider, user_db, "getTables")


def test_query_parameters_are_bound_never_formatted_in(services: Services, provider: SqlProvider,
                                                       user_db: str) -> None:
    hostile = "x'); DROP TABLE customers; --"
    call(services, provider, user_db, "executeQuery",
         query="INSERT INTO customers (name, city) VALUES (@name, :city)",
         queryParameters={"@name": hostile, "city": "@city"})
    found = call(services, provider, user_db, "executeQuery",
                 query="SELECT name, city, '@name :city' AS literal FROM customers "
                       "WHERE name = @Name -- @name in a comment",
                 queryParameters={"name": hostile})
    assert found == [[{"name": hostile, "city": "@city", "literal": "@name :city"}]]
    assert call(services, provider, user_db, "executeQuery",
                query="UPDATE customers SET city = @c", queryParameters={"c": "Oslo"}) == []
    dictionary = call(services, provider, user_db, "executeQueryWithOutputAsDictionary",
                      query="SELECT city FROM customers WHERE name = @n",
                      queryParameters={"n": "nobody"})
    assert dictionary == {"resultSets": {"Table1": []}, "outputParameters": {},
                          "returnCode": 0}


@pytest.mark.parametrize("name", [
    "customers; DROP TABLE customers", "customers]; DROP TABLE customers; --",
    '"customers" --', "customers WHERE 1=1", "a.b.c", "", "[unclosed",
])
def test_a_hostile_table_name_is_refused_and_changes_nothing(
        services: Services, provider: SqlProvider, user_db: str, name: str) -> None:
    error = failure(services, provider, user_db, "getRows", tableName=name)
    assert (error.code, error.status_code) in {("SqlObjectNotFound", 404),
                                               ("SqlInvalidRequest", 400)}
    assert execute(user_db, "SELECT count(*) AS n FROM customers") == [{"n": 0}]


def test_hostile_column_names_and_missing_conditions_are_refused(
        services: Services, provider: SqlProvider, user_db: str) -> None:
    call(services, provider, user_db, "insertRow", tableName="customers",
         setColumns={"name": "Ada"})
    error = failure(services, provider, user_db, "insertRow", tableName="customers",
                    setColumns={"name) VALUES ('x'); DROP TABLE customers; --": "y"})
    assert error.code == "SqlObjectNotFound"
    error = failure(services, provider, user_db, "getRows", tableName="customers",
                    queries={"$orderby": "name; DROP TABLE customers"})
    assert error.code == "SqlInvalidRequest"
    error = failure(services, provider, user_db, "getRows", tableName="customers",
                    queries={"$filter": "1 eq 1"})
    assert error.code == "SqlInvalidRequest"
    assert failure(services, provider, user_db, "deleteRows", tableName="customers").code == \
        "SqlInvalidRequest"
    assert failure(services, provider, user_db, "updateRows", tableName="customers",
                   setColumns={"name": "x"}).code == "SqlInvalidRequest"
    assert execute(user_db, "SELECT name FROM customers") == [{"name": "Ada"}]


def test_a_result_past_the_limits_is_an_error_not_a_memory_spike(
        services: Services, provider: SqlProvider, user_db: str) -> None:
    for n in range(6):
        call(services, provider, user_db, "insertRow", tableName="customers",
             setColumns={"name": f"c{n}", "city": "x" * 1000})
    services.settings = services.settings.replace(runtime={"sql_max_rows": 5})
    error = failure(services, provider, user_db, "executeQuery", query="SELECT * FROM customers")
    assert (error.code, error.status_code) == ("SqlResultTooLarge", 413)
    assert len(call(services, provider, user_db, "getRows", tableName="customers",
                    queries={"$top": 5})) == 5
    services.settings = services.settings.replace(runtime={"sql_max_rows": 100,
                                                           "sql_max_result_bytes": 3000})
    assert failure(services, provider, user_db, "getRows", tableName="customers").code == \
        "SqlResultTooLarge"


def test_a_statement_past_the_timeout_is_stopped(services: Services, provider: SqlProvider,
                                                 user_db: str) -> None:
    services.settings = services.settings.replace(runtime={"sql_timeout_seconds": 0.3})
    slow = "SELECT pg_sleep(5)" if user_db.startswith("postgresql") else (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT count(*) FROM c")
    error = failure(services, provider, user_db, "executeQuery", query=slow)
    assert (error.code, error.retryable) == ("SqlTimeout", True)


def test_database_errors_are_the_connectors_own_and_name_no_values(
        services: Services, provider: SqlProvider, user_db: str) -> None:
    error = failure(services, provider, user_db, "executeQuery",
                    query="SELECT * FROM nowhere WHERE secret = @s",
                    queryParameters={"s": "hunter2"})
    assert error.code == "SqlOperationFailed"
    assert "nowhere" in error.message
    assert "hunter2" not in error.message
    blank = failure(services, provider, user_db, "executeQuery", query="  ")
    assert blank.code == "SqlInvalidRequest"
    assert failure(services, provider, user_db, "executeQuery", query="SELECT 1",
                   queryParameters=[1]).code == "SqlInvalidRequest"


def test_stored_procedures_run_on_postgresql_and_sqlite_says_it_has_none(
        services: Services, provider: SqlProvider, user_db: str) -> None:
    if not user_db.startswith("postgresql"):
        error = failure(services, provider, user_db, "executeStoredProcedure",
                        storedProcedureName="anything")
        assert (error.code, error.status_code) == ("SqlOperationNotSupported", 400)
        return
    execute(user_db, "CREATE FUNCTION customers_in(wanted TEXT) RETURNS SETOF customers "
                     "LANGUAGE sql AS $$ SELECT * FROM customers WHERE city = wanted $$")
    execute(user_db, "CREATE PROCEDURE add_customer(who TEXT, INOUT total INTEGER "
                     "DEFAULT NULL) LANGUAGE plpgsql AS $$ BEGIN "
                     "INSERT INTO customers (name) VALUES (who); "
                     "SELECT count(*) INTO total FROM customers; END $$")
    called = call(services, provider, user_db, "executeStoredProcedure",
                  storedProcedureName="[dbo].[add_customer]",
                  storedProcedureParameters={"@who": "Ada"})
    assert called == {"resultSets": {}, "outputParameters": {"total": 1}, "returnCode": 0}
    execute(user_db, "UPDATE customers SET city = 'Oslo'")
    rows = call(services, provider, user_db, "executeStoredProcedure",
                storedProcedureName="customers_in", storedProcedureParameters={"wanted": "Oslo"})
    assert [r["name"] for r in rows["resultSets"]["Table1"]] == ["Ada"]
    error = failure(services, provider, user_db, "executeStoredProcedure",
                    storedProcedureName="customers_in",
                    storedProcedureParameters={"wanted => 'x'); DROP TABLE customers; --": 1})
    assert error.code == "SqlObjectNotFound"
    assert failure(services, provider, user_db, "executeStoredProcedure",
                   storedProcedureName="no_such; DROP TABLE customers").code == \
        "SqlObjectNotFound"
