from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway


def test_owner_creates_a_token_shown_once_and_stored_hashed(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = client.post("/v1/tokens", json={"principal": "bob", "role": "reader"})
    assert response.status_code == 201
    token = response.json()["token"]
    with gateway.client(token) as bob:
        assert bob.get("/v1/connectors").status_code == 200
    with gateway.services.db.engine.connect() as conn:
        stored = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM tokens"))
    assert token not in stored


def test_only_owners_create_tokens(gateway: RunningGateway) -> None:
    reader = gateway.token("rita", "reader")
    with gateway.client(reader) as client:
        response = client.post("/v1/tokens", json={"principal": "eve", "role": "owner"})
    assert_error_shape(response, 403, "Forbidden")
    assert gateway.services.principals.get("eve") is None


def test_bad_roles_and_names_change_nothing(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        bad_role = client.post("/v1/tokens", json={"principal": "bob", "role": "god"})
        bad_name = client.post("/v1/tokens", json={"principal": "bo b/../", "role": "reader"})
        not_object = client.post("/v1/tokens", json=["bob"])
    assert_error_shape(bad_role, 400, "BadRequest")
    assert_error_shape(bad_name, 400, "BadRequest")
    assert_error_shape(not_object, 400, "BadRequest")
    assert gateway.services.principals.get("bob") is None


def test_a_denial_is_written_to_the_audit_log_once(gateway: RunningGateway) -> None:
    reader = gateway.token("rita", "reader")
    with gateway.client(reader) as client:
        client.post("/v1/tokens", json={"principal": "eve", "role": "owner"})
    denials = gateway.services.audit.query(actor="rita", outcome="denied")
    assert len(denials) == 1
    assert denials[0]["resource"] == "/v1/tokens"
    assert denials[0]["details"]["check"] == "role"
