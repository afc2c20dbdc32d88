"""The ``portway`` command through its real entry point, in a temporary working folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.store.database import Database
from gateway.store.principals import PrincipalStore


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTWAY_DATABASE_URL", database_url)
    return tmp_path


@pytest.mark.both_backends  # the CLI honours PORTWAY_DATABASE_URL on either
def test_db_upgrade_brings_the_schema_to_head(workdir: Path, database_url: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert Database.head_revision() in capsys.readouterr().out
    db = Database(database_url)
    assert db.current_revision() == Database.head_revision()
    db.dispose()


def test_tokens_create_prints_a_token_that_authenticates(
        workdir: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "--principal", "ci-bot", "--role", "contributor"]) == 0
    token = capsys.readouterr().out.strip()
    db = Database(database_url)
    principal = PrincipalStore(db).authenticate(token)
    db.dispose()
    assert principal is not None and principal.role_on("*") == "contributor"


def test_an_unknown_setting_is_a_clear_error(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PORTWAY_DATABASE_URLL", "x")
    assert main(["db", "upgrade"]) == 2
    assert "PORTWAY_DATABASE_URLL" in capsys.readouterr().err


def test_import_json_lines_and_exit_status(workdir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    good = workdir / "good.json"
    good.write_text(json.dumps({
        "swagger": "2.0", "info": {"title": "Good", "version": "1"}, "host": "example.com",
        "paths": {"/a": {"get": {"operationId": "A", "responses": {"200": {
            "description": "ok"}}}}}}))
    bad = workdir / "bad.json"
    bad.write_text('{"swagger": "2.0", "info": ')
    assert main(["import", str(good), "--json"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (line["status"], line["operations"], line["triggers"]) == ("imported", 1, 0)
    assert main(["import", str(good), str(bad), "--json"]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["status"] for x in lines] == ["imported", "failed"]
    assert lines[1]["errors"]
