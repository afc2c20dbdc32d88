import pytest

from gateway.errors import BadRequest
from gateway.store.database import Database
from gateway.store.principals import PrincipalStore

pytestmark = pytest.mark.both_backends  # storage is what these tests test


@pytest.fixture
def store(database_url: str):
    db = Database(database_url)
    db.migrate()
    yield PrincipalStore(db)
    db.dispose()


def test_a_token_authenticates_its_principal_with_its_roles(store: PrincipalStore) -> None:
    token = store.create_token("bob", "reader")
    store.grant("bob", "contributor", "connections/demo")
    principal = store.authenticate(token)
    assert principal is not None
    assert principal.name == "bob"
    assert principal.role_on("connections/demo") == "contributor"
    assert principal.role_on("connections/other") == "reader"


def test_unknown_tokens_do_not_authenticate(store: PrincipalStore) -> None:
    store.create_token("bob", "reader")
    assert store.authenticate("pw_not-a-real-token") is None


def test_the_strongest_role_wins(store: PrincipalStore) -> None:
    store.create_token("ann", "owner")
    store.grant("ann", "reader", "connections/x")
    principal = store.get("ann")
    assert principal is not None
    assert principal.role_on("connections/x") == "owner"


def test_owners_are_counted(store: PrincipalStore) -> None:
    assert store.count_owners() == 0
    store.create_token("ann", "owner")
    store.create_token("bob", "reader")
    assert store.count_owners() == 1


@pytest.mark.parametrize("name", ["", "a b", "x/y", "é" * 3, "a" * 201])
def test_bad_names_are_refused(store: PrincipalStore, name: str) -> None:
    with pytest.raises(BadRequest):
        store.create_token(name, "reader")
    assert store.get(name) is None
