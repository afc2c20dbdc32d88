import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.extensions import discovered_extensions
from gateway.store.database import Database
from gateway.store.tables import metadata

pytestmark = pytest.mark.both_backends  # storage is what these tests test


def _every_table() -> sa.MetaData:
    """The gateway's tables and those of every extension's own migrations."""
    combined = sa.MetaData()
    for source in [metadata, *(e.metadata for e in discovered_extensions() if e.metadata)]:
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def test_migrations_create_exactly_the_tables(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), _every_table())
    db.dispose()
    assert differences == []


def test_migrate_is_idempotent_and_reaches_every_head(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    db.migrate()
    assert db.current_revision() == Database.head_revision()
    assert db.current_heads() == Database.head_revisions()
    assert len(Database.head_revisions()) == 1 + sum(
        1 for e in discovered_extensions() if e.migrations)
    db.dispose()


def test_sqlite_uses_write_ahead_logging(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        mode = conn.execute(sa.text("PRAGMA journal_mode")).scalar()
    db.dispose()
    assert mode == "wal"
