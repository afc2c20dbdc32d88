"""Which store a command acts on: ``--config`` everywhere, the store named on stderr, no new
store made by accident, the owner token never overwritten, ``--url``/``--token`` talking
to a running gateway over its API, and ``--version``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.bootstrap import ensure_owner_token
from gateway.cli import main
from gateway.services import build_services
from gateway.store.database import Database
from gateway.store.principals import PrincipalStore
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.test_catalogue import connector_count, widgets_spec


def _config(path: Path, database: Path) -> Path:
    path.write_text(f'[database]\nurl = "sqlite:///{database}"\n\n'
                    f'[security]\nmaster_key_file = "{path.parent / "master.key"}"\n')
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is not where any gateway runs, with no PORTWAY_* settings."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PORTWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTWAY_CONFIG", raising=False)
    return folder


def _principal(database: Path, token: str) -> str | None:
    db = Database(f"sqlite:///{database}")
    try:
        found = PrincipalStore(db).authenticate(token)
    finally:
        db.dispose()
    return found.name if found is not None else None


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_honoured_before_and_after_the_command(
        elsewhere: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        where: str) -> None:
    database = tmp_path / "store" / "portway.db"
    config = _config(tmp_path / "portway.toml", database)
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    command = ["tokens", "create", "--principal", "ci", "--role", "reader"]
    argv = (["--config", str(config), *command] if where == "before"
            else [*command, "--config", str(config)])
    assert main(argv) == 0
    out, err = capsys.readouterr()
    token = out.strip().splitlines()[-1]
    assert _principal(database, token) == "ci"
    assert f"store sqlite:///{database}" in err
    assert f"settings: {config}" in err
    assert not (elsewhere / "var").exists()


@pytest.mark.parametrize("command", [
    ["serve"], ["db", "upgrade"], ["keys", "rotate"], ["import", "x.json"],
    ["tokens", "create", "--principal", "a", "--role", "reader"]])
def test_a_missing_config_file_is_an_error_for_every_command(
        elsewhere: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main(["--config", "nowhere.toml", *command]) == 2
    assert "'nowhere.toml' does not exist" in capsys.readouterr().err
    assert not (elsewhere / "var").exists()


def test_a_command_run_from_another_folder_makes_no_store_of_its_own(
        elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = elsewhere / "widgets.json"
    spec.write_text(json.dumps(widgets_spec()))
    assert main(["import", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"there is no Portway store at {elsewhere / 'var' / 'portway.db'}" in err
    assert "--config" in err and "--url" in err
    assert main(["tokens", "create", "--principal", "a", "--role", "owner"]) == 2
    assert main(["keys", "rotate"]) == 2
    assert not (elsewhere / "var").exists()


def test_the_owner_token_file_is_never_overwritten(tmp_path: Path) -> None:
    first = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'one.db'}"))
    second = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'two.db'}"))
    try:
        written = ensure_owner_token(first)
        assert written == tmp_path / "owner.token"
        before = written.read_text()
        other = ensure_owner_token(second)
        assert other is not None and other != written
        assert other.parent == tmp_path and other.name.startswith("owner-")
        assert other.stat().st_mode & 0o777 == 0o600
        assert written.read_text() == before
        assert first.principals.authenticate(before.strip()) is not None
        assert second.principals.authenticate(other.read_text().strip()) is not None
        assert ensure_owner_token(second) is None  # an owner exists: nothing written
    finally:
        first.db.dispose()
        second.db.dispose()


def test_import_validate_and_tokens_over_the_api(
        gateway: RunningGateway, elsewhere: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    spec = elsewhere / "widgets.json"
    spec.write_text(json.dumps(widgets_spec()))
    remote = ["--url", gateway.url, "--token", gateway.owner_token]
    assert main(["import", str(spec), "--name", "remote-widgets", "--json", *remote]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (line["status"], line["connector"], line["version"], line["operations"]) == (
        "imported", "remote-widgets", 1, 2)
    assert gateway.services.connectors.get("remote-widgets").version == 1
    assert main(["validate", str(spec), "--json", *remote]) == 0
    checked = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (checked["status"], checked["valid"]) == ("imported", True)
    token_file = elsewhere / "owner.token"
    token_file.write_text(gateway.owner_token + "\n")
    assert main(["--url", gateway.url, "--token-file", str(token_file), "tokens", "create",
                 "--principal", "remote-bot", "--role", "reader"]) == 0
    token = capsys.readouterr().out.strip()
    bot = gateway.services.principals.authenticate(token)
    assert bot is not None and bot.role_on("*") == "reader"
    assert not (elsewhere / "var").exists()


def test_the_api_mode_reports_refusals_in_the_json_line(
        gateway: RunningGateway, elsewhere: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    reader = gateway.token("rita", "reader")
    spec = elsewhere / "widgets.json"
    spec.write_text(json.dumps(widgets_spec()))
    assert main(["import", str(spec), "--json", "--url", gateway.url, "--token", reader]) == 1
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["status"] == "failed"
    assert line["errors"][0]["rule"] == "Forbidden"
    assert connector_count(gateway.services) == (0, 0)
    assert main(["tokens", "create", "--principal", "x", "--role", "owner",
                 "--url", gateway.url, "--token", "pw_wrong"]) == 2
    assert "Unauthenticated" in capsys.readouterr().err


def test_url_needs_a_token_and_only_goes_with_api_commands(
        elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "x.json", "--url", "http://127.0.0.1:9"]) == 2
    assert "--url needs --token" in capsys.readouterr().err
    assert main(["--url", "http://127.0.0.1:9", "--token", "t", "keys", "rotate"]) == 2
    assert "not over --url" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("portway 0.")
