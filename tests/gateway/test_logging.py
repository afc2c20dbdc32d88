import subprocess
import sys
import threading

import pytest

from gateway.logging import MASK, SecretRegistry, redact, register_secret


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


# -- every logger, no locals, a bounded registry (issue 13, item 1) -----------------------

_SCRIPT = r'''
import logging, sys
from gateway.logging import configure_logging, get_logger, register_secret, stdlib_config
import granian.log
granian.log.configure_logging(granian.log.LogLevels.info, stdlib_config("info"))
configure_logging(sys.argv[1], "info")
register_secret("registered-secret-value-1")

def failing(body, authorization):
    cache = {"pw_cachedBearerTokenOfTheOwner0123456789": "owner"}
    raise ValueError("bad body")

try:
    failing('{"api_key": "body-secret-value-2"}', "Bearer pw_callerToken0123456789abcdef")
except ValueError as exc:
    get_logger("portway.test").error("unexpected error", exc_info=exc)
    for name in ("httpx", "hypercorn.error", "sqlalchemy.engine", "zeep", "_granian"):
        logging.getLogger(name).error("%s saw registered-secret-value-1 and "
                                      "Authorization: Bearer pw_callerToken0123456789abcdef",
                                      name, exc_info=exc)
'''


@pytest.mark.parametrize("format", ["plain", "json"])
def test_every_logger_redacts_and_no_traceback_shows_locals(format: str) -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, format], capture_output=True,
                          text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for name in ("httpx", "hypercorn.error", "sqlalchemy.engine", "zeep", "_granian"):
        assert f"{name} saw {MASK}" in output
    assert output.count("ValueError: bad body") == 6  # the traceback itself is kept
    for leaked in ("registered-secret-value-1", "pw_callerToken0123456789abcdef",
                   "pw_cachedBearerTokenOfTheOwner0123456789", "body-secret-value-2"):
        assert leaked not in output


def test_the_secret_registry_is_bounded_and_keeps_the_newest() -> None:
    registry = SecretRegistry(capacity=3)
    for value in ("secret-one", "secret-two", "secret-three", "secret-one", "secret-four"):
        registry.add(value)
    assert len(registry) == 3
    assert registry.scrub("secret-one secret-two secret-three secret-four") == (
        f"{MASK} secret-two {MASK} {MASK}")


def test_the_secret_registry_is_safe_under_threads() -> None:
    registry = SecretRegistry(capacity=500)
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        for index in range(2000):
            registry.add(f"value-{offset}-{index:06d}")

    def read() -> None:
        try:
            for _ in range(2000):
                registry.scrub("value-0-000001 and more text")
        except BaseException as exc:  # a set changed while iterated, say
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry) == 500


def test_credentials_are_masked_by_their_shape() -> None:
    event = redact(None, "info", {"event": "x", "line": "Authorization: Bearer abc.def-ghi "
                                  "and Basic dXNlcjpwYXNz and ?api_key=k3y-value&x=1",
                                  "raw": b"pw_abcdefghijklmnopqrstuvwxyz"})
    assert event["line"] == (f"Authorization: Bearer {MASK} and Basic {MASK} and "
                             f"?api_key={MASK}&x=1")
    assert event["raw"] == MASK
