"""Storage: the schema, its migrations, and one repository module per resource."""

from gateway.store.database import Database

__all__ = ["Database"]
