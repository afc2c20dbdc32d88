"""``portway keys rotate`` round-trips: every secret moves to a new key, the old key is
retired, values are unchanged, and a running gateway keeps working without a restart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import ConfigError
from gateway.keys import load_keyring
from gateway.security.crypto import Keyring, SealedSecret, SecretDecryptionError, open_sealed
from gateway.services import build_services
from gateway.settings import Settings
from gateway.store.connections import OWNER_KIND
from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import Upstream

API_KEY = "rot-" + "Ww3e" * 6


def _config(gateway: RunningGateway, tmp_path: Path) -> Path:
    settings = gateway.services.settings
    path = tmp_path / "portway.toml"
    path.write_text(
        "[database]\n"
        f"url = {json.dumps(settings.database.url)}\n"
        "[security]\n"
        f"master_key_file = {json.dumps(settings.security.master_key_file)}\n"
        f"owner_token_file = {json.dumps(settings.security.owner_token_file)}\n"
        "[catalogue]\n"
        f"directory = {json.dumps(settings.catalogue.directory)}\n", encoding="utf-8")
    return path


def _key_ids(gateway: RunningGateway) -> set[str]:
    with gateway.services.db.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql("SELECT key_id FROM secrets")}


@pytest.mark.both_backends  # every stored secret is re-sealed in place
def test_rotation_round_trips_while_the_gateway_runs(
        gateway: RunningGateway, keyed: Upstream, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with gateway.client() as client:
        for name in ("one", "two"):
            assert client.put(f"/v1/connections/{name}", json={
                "connector": "keyed", "parameters": {"api_key": API_KEY + name}},
            ).status_code == 201
    key_file = Path(gateway.services.settings.security.master_key_file)
    old = Keyring.load(key_file)
    assert _key_ids(gateway) == {old.active}
    capsys.readouterr()

    for variable in [v for v in os.environ if v.startswith("PORTWAY_")]:
        monkeypatch.delenv(variable)
    assert main(["keys", "rotate", "--config", str(_config(gateway, tmp_path))]) == 0
    printed = capsys.readouterr().out

    new = Keyring.load(key_file)
    assert new.active != old.active
    assert new.key_ids == [new.active]  # the old key is retired
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert f"re-encrypted 2 secret(s) under key {new.active}" in printed
    assert _key_ids(gateway) == {new.active}

    # The values are unchanged, opened by a fresh process with only the new key...
    fresh = build_services(gateway.services.settings)
    try:
        assert fresh.connections.secrets("one") == {"api_key": API_KEY + "one"}
        assert fresh.connections.secrets("two") == {"api_key": API_KEY + "two"}
    finally:
        fresh.db.dispose()
    # ...and no longer by the old key alone.
    with gateway.services.db.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT key_id, wrapped_key, ciphertext FROM secrets "
                                   "WHERE owner_id = 'one'").first()
    with pytest.raises(SecretDecryptionError):
        open_sealed(old, OWNER_KIND, "one", "api_key",
                    SealedSecret(row[0], bytes(row[1]), bytes(row[2])))

    # The running gateway picks the new key up from the keyring file by itself.
    with gateway.client() as client:
        assert client.get("/apim/keyed/one/things/1").status_code == 200
        assert client.put("/v1/connections/three", json={
            "connector": "keyed", "parameters": {"api_key": API_KEY}}).status_code == 201
    assert keyed.seen[-1]["headers"]["x-api-key"] == API_KEY + "one"
    assert _key_ids(gateway) == {new.active}
    with gateway.client() as client:
        audit = client.get("/v1/audit", params={"action": "keys.rotate"}).json()["value"]
    assert audit[0]["details"]["resealed"] == 2


def test_production_mode_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    settings = Settings().replace(security={"mode": "production",
                                            "master_key_file": str(tmp_path / "none.key")})
    with pytest.raises(ConfigError, match="no master key"):
        load_keyring(settings)
    assert not (tmp_path / "none.key").exists()


def test_development_mode_creates_a_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "master.key"
    keyring = load_keyring(Settings().replace(security={"master_key_file": str(path)}))
    assert path.stat().st_mode & 0o777 == 0o600
    assert Keyring.load(path).active == keyring.active
