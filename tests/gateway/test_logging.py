from gateway.logging import MASK, redact, register_secret


def test_values_under_secret_keys_are_masked() -> None:
    event = redact(None, "info", {"event": "x", "api_key": "abc", "password": "p",
                                  "nested": {"Authorization": "Bearer t", "ok": 1}})
    assert event["api_key"] == MASK
    assert event["password"] == MASK
    assert event["nested"] == {"Authorization": MASK, "ok": 1}


def test_registered_secrets_are_masked_wherever_they_appear() -> None:
    register_secret("s3cr3t-value-xyz")
    event = redact(None, "info", {"event": "call failed",
                                  "error": "upstream said s3cr3t-value-xyz is wrong",
                                  "items": ["a", "s3cr3t-value-xyz"]})
    assert "s3cr3t-value-xyz" not in str(event)
    assert event["error"] == f"upstream said {MASK} is wrong"
