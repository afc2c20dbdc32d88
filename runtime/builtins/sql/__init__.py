"""The SQL built-in connector (``/serviceProviders/sql``) on SQLite and PostgreSQL.

``connection.py`` reads connection strings and keeps one engine per string;
``confinement.py`` says which SQLite file one may open, ``session_guard.py`` which
PostgreSQL session it may keep (never the store's, never a role that reaches past its
database); ``schema.py``
checks every table and column name against the database's catalogue; ``query.py`` binds
``executeQuery``'s parameters; ``operations.py`` holds the actions, ``triggers.py`` the
watermark triggers, ``values.py`` the JSON conversions, ``provider.py`` the provider the
registry calls.
"""

from runtime.builtins.sql.provider import SqlProvider

__all__ = ["SqlProvider"]
