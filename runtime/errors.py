"""The runtime's branch of Portway's one error tree (``gateway.errors`` draws the root).

::

    gateway.BadRequest (400)
    ├── DefinitionInvalid (400)      a workflow does not validate: every finding, with
    │                                its file and JSON pointer, in ``details``
    ├── TriggerRequestInvalid (400)  a trigger call's body breaks the trigger's schema
    ├── RecurrenceInvalid (400)      a trigger's recurrence cannot be scheduled
    ├── SqlRequestInvalid (400)      a SQL built-in operation's parameters, connection
    │                                string or query do not hold (nothing was run)
    └── SqlNotSupported (400)        the database has no such thing (a stored procedure
                                     on SQLite), or a SQLite statement would reach past
                                     its file (ATTACH, VACUUM INTO, load_extension)
    gateway.Unauthenticated (401)
    └── SignatureInvalid (401)       a trigger URL's signature is missing, wrong or stale
    gateway.Forbidden (403)
    ├── CallerNotAllowed (403)       a trigger URL called from outside the allowed
    │                                caller addresses
    ├── SqliteFileNotAllowed (403)   a SQL connection's SQLite file outside
    │                                ``[runtime] sql_sqlite_roots`` (or none listed)
    ├── StoreDatabaseNotAllowed (403) a SQL connection to Portway's own database, by
    │                                any name or route (its server says which it is)
    └── SqlRoleNotAllowed (403)      a PostgreSQL connection whose role reaches past its
                                     database: a superuser, CREATEROLE, the server-file
                                     and program roles; on the store's server its roles
    gateway.NotFound (404)
    └── SqlObjectNotFound (404)      a table, column or procedure the database lacks
    gateway.PayloadTooLarge (413)
    └── SqlResultTooLarge (413)      a SQL result past ``[runtime] sql_max_rows`` or
                                     ``sql_max_result_bytes``
    gateway.Conflict (409)
    └── WorkflowDisabled (409)       a disabled workflow's trigger was called
    gateway.UpstreamError (502)
    ├── NoResponse (502)             a run polled for its asynchronous Response ended
    │                                without one
    └── SqlFailed (502)              the database refused or failed a statement
                                     (retryable when it could not be reached or timed out)
"""

from __future__ import annotations

from gateway import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UpstreamError,
)


class DefinitionInvalid(BadRequest):
    """A workflow definition (or a project around it) does not validate."""

    code = "InvalidDefinition"


class TriggerRequestInvalid(BadRequest):
    """A trigger call does not satisfy what its trigger asks for."""

    code = "InvalidRequestContent"


class RecurrenceInvalid(BadRequest):
    """A trigger's ``recurrence`` block names no schedule Portway can compute."""

    code = "InvalidTriggerRecurrence"


class SignatureInvalid(Unauthenticated):
    """A trigger URL's signature does not hold."""

    code = "DirectApiAuthorizationRequired"


class CallerNotAllowed(Forbidden):
    """A trigger URL was called from an address the allow-list does not hold."""

    code = "CallerIpAddressNotAllowed"


class WorkflowDisabled(Conflict):
    code = "WorkflowDisabled"


class NoResponse(UpstreamError):
    code = "NoResponse"
    retryable = False


class SqlRequestInvalid(BadRequest):
    code = "SqlInvalidRequest"


class SqlNotSupported(BadRequest):
    code = "SqlOperationNotSupported"


class SqliteFileNotAllowed(Forbidden):
    """A SQLite file outside ``[runtime] sql_sqlite_roots`` (or none listed)."""

    code = "SqliteFileNotAllowed"


class StoreDatabaseNotAllowed(Forbidden):
    """A connection to Portway's own database."""

    code = "StoreDatabaseNotAllowed"


class SqlRoleNotAllowed(Forbidden):
    """A PostgreSQL connection whose role could reach past its own database."""

    code = "SqlRoleNotAllowed"


class SqlObjectNotFound(NotFound):
    code = "SqlObjectNotFound"


class SqlResultTooLarge(PayloadTooLarge):
    code = "SqlResultTooLarge"


class SqlFailed(UpstreamError):
    code = "SqlOperationFailed"
    retryable = False
