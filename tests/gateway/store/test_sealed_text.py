"""Values an owner keeps in its own rows, sealed by the vault's keyring (a run's secure
action outputs): they open only for the identity they were sealed for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway import Reseal
from gateway.services import build_services
from gateway.store.tables import secrets
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


def test_a_rotation_reseals_the_tokens_kept_elsewhere_in_its_transaction(
        tmp_path: Path) -> None:
    services = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}"))
    try:
        vault = services.vault
        kept = {"token": vault.seal_text("run", "r1", "Secret", "tok-4711")}
        lost = vault.seal_text("run", "r1", "Secret", "x")
        new = vault.keyring.with_new_active_key()

        def reseal_rows(conn: Any, reseal: Reseal) -> int:
            with pytest.raises(ValueError):  # not sealed for this identity
                reseal("run", "r2", "Secret", kept["token"])
            kept["token"] = reseal("run", "r1", "Secret", kept["token"])
            return 1

        def broken(conn: Any, reseal: Reseal) -> int:
            raise RuntimeError("the rows cannot be read")

        with pytest.raises(RuntimeError):  # all or nothing: the keyring stays as it was
            vault.rotate(new, [broken])
        assert vault.keyring.active != new.active
        with services.db.engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(secrets)).scalar()
        assert vault.rotate(new, [reseal_rows]) == stored + 1
        # The old key retired, as the CLI does: gone from memory and from the file.
        new.only_active().save(Path(services.settings.security.master_key_file))
        vault.keyring = new.only_active()
        assert vault.open_text("run", "r1", "Secret", kept["token"]) == "tok-4711"
        with pytest.raises(ValueError):
            vault.open_text("run", "r1", "Secret", lost)  # not kept by anyone: not moved
    finally:
        services.db.dispose()
