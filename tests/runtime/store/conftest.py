"""The store tests share the trigger tests' services (SQLite, and PostgreSQL where marked)."""

from tests.runtime.triggers.conftest import services  # noqa: F401
