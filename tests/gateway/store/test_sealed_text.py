"""Values an owner keeps in its own rows, sealed by the vault's keyring (a run's secure
action outputs): they open only for the identity they were sealed for."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.services import build_services
from tests.gateway.conftest import make_settings


def test_a_sealed_text_opens_for_its_identity_only_and_shows_nothing_of_the_value(
        tmp_path: Path) -> None:
    services = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}"))
    try:
        vault = services.vault
        token = vault.seal_text("run", "r1", "Secret", '{"outputs":"tok-4711"}')
        assert "tok-4711" not in token and token.isprintable()
        assert vault.open_text("run", "r1", "Secret", token) == '{"outputs":"tok-4711"}'
        for identity in (("run", "r2", "Secret"), ("run", "r1", "Other")):
            with pytest.raises(ValueError):
                vault.open_text(*identity, token)
        with pytest.raises(ValueError):
            vault.open_text("run", "r1", "Secret", token[:-4] + "AAAA")
        with pytest.raises(ValueError):
            vault.open_text("run", "r1", "Secret", "not a token")
    finally:
        services.db.dispose()
