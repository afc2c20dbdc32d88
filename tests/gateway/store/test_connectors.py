import pytest

from gateway.errors import NotFound
from gateway.store.connectors import ConnectorStore
from gateway.store.database import Database
from importers import Connector, Finding, Operation

pytestmark = pytest.mark.both_backends  # storage is what these tests test


def connector(description: str = "first") -> Connector:
    return Connector(id="widgets", display_name="Widgets", description=description,
                     source_format="swagger2", base_url="https://api.example.com",
                     operations=[Operation(operation_id="GetItem", method="GET",
                                           path="/items/{id}")])


@pytest.fixture
def store(database_url: str):
    db = Database(database_url)
    db.migrate()
    yield ConnectorStore(db)
    db.dispose()


def test_each_save_is_a_new_current_version(store: ConnectorStore) -> None:
    assert store.save(connector("first"), source="a.json") == 1
    warning = Finding(rule="x", severity="warning", message="m")
    assert store.save(connector("second"), source="b.json", findings=[warning]) == 2
    current = store.get("widgets")
    assert (current.version, current.connector.description) == (2, "second")
    assert current.findings == [warning]
    assert store.get("widgets", 1).connector.description == "first"
    assert [v["version"] for v in store.versions("widgets")] == [1, 2]


def test_the_definition_round_trips_unchanged(store: ConnectorStore) -> None:
    original = connector()
    store.save(original, source="a.json")
    assert store.get("widgets").connector == original


def test_listing_filters_by_kind_tier_and_text(store: ConnectorStore) -> None:
    store.save(connector(), source="a.json")
    store.save(Connector(id="mail", display_name="Mail", kind="managed", tier="enterprise",
                         source_format="swagger2"), source="m.json")
    assert [c["id"] for c in store.summaries(kind="managed")] == ["mail"]
    assert [c["id"] for c in store.summaries(tier="standard")] == ["widgets"]
    assert [c["id"] for c in store.summaries(text="WIDG")] == ["widgets"]


def test_delete_removes_every_version(store: ConnectorStore) -> None:
    store.save(connector(), source="a.json")
    store.delete("widgets")
    with pytest.raises(NotFound):
        store.get("widgets")
    with pytest.raises(NotFound):
        store.delete("widgets")
