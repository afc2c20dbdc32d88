"""The SQL built-in connector (``/serviceProviders/sql``) on SQLite and PostgreSQL.

``connection.py`` reads connection strings and keeps one engine per string; ``schema.py``
checks every table and column name against the database's catalogue; ``query.py`` binds
``executeQuery``'s parameters; ``operations.py`` holds the actions, ``triggers.py`` the
watermark triggers, ``values.py`` the JSON conversions, ``provider.py`` the provider the
registry calls.
"""

from runtime.builtins.sql.provider import SqlProvider

__all__ = ["SqlProvider"]
