"""``portway import`` and ``portway validate`` through the real entry point: folders, the
Power Platform layout, versions and breaking changes, --dry-run, --properties, --name,
exit status, and once (slow) the whole Power Platform corpus into SQLite."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.cli import main
from gateway.services import Services, build_services
from gateway.settings import load_settings
from gateway.store.database import Database
from tests.gateway.test_catalogue import SHIPPED, SHIPPED_IDS, connector_count, widgets_spec
from tests.support.servers import serve_in_thread

PROPERTIES = {"properties": {"connectionParameters": {
    "api_key": {"type": "securestring", "uiDefinition": {"displayName": "Key"}},
    "tenant": {"type": "string", "uiDefinition": {"displayName": "Tenant"}},
}}}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTWAY_DATABASE_URL", database_url)
    return tmp_path


def _services() -> Services:
    return build_services(load_settings())


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _folder(root: Path) -> Path:
    """Three specs: a Power Platform folder, a YAML OpenAPI-free Swagger file, and JSON."""
    specs = root / "specs"
    (specs / "Gadget Hub").mkdir(parents=True)
    (specs / "Gadget Hub" / "apiDefinition.swagger.json").write_text(
        json.dumps(widgets_spec(title="Gadget Hub")))
    (specs / "Gadget Hub" / "apiProperties.json").write_text(json.dumps(PROPERTIES))
    (specs / "more").mkdir()
    (specs / "more" / "tools.yaml").write_text(yaml.safe_dump(widgets_spec(title="Tools")))
    (specs / "widgets.json").write_text(json.dumps(widgets_spec()))
    (specs / "notes.txt").write_text("not a spec")
    return specs


def test_import_a_folder_stores_every_connector(workdir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(workdir)
    assert main(["import", str(specs), "--json"]) == 0
    lines = _lines(capsys)
    assert sorted((x["connector"], x["status"], x["operations"], x["version"])
                  for x in lines) == [
        ("gadget-hub", "imported", 2, 1), ("tools", "imported", 2, 1),
        ("widgets", "imported", 2, 1)]
    services = _services()
    try:
        assert connector_count(services) == (3, 3)
        hub = services.connectors.get("gadget-hub").connector
        assert [p.name for p in hub.connection_parameters] == ["api_key", "tenant"]
        assert hub.kind == "custom"
    finally:
        services.db.dispose()
    # Again: nothing changed, nothing new.
    assert main(["import", str(specs), "--json"]) == 0
    assert [(x["version"], x["unchanged"]) for x in _lines(capsys)] == [(1, True)] * 3


def test_the_plain_report_goes_to_stderr(workdir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(workdir)
    assert main(["import", str(specs)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "ok   " in err and "-> widgets (version 1): 2 operation(s)" in err


def test_breaking_changes_need_allow_breaking(workdir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    spec = workdir / "widgets.json"
    spec.write_text(json.dumps(widgets_spec()))
    assert main(["import", str(spec), "--json"]) == 0
    capsys.readouterr()
    spec.write_text(json.dumps(widgets_spec(limit_required=True)))
    assert main(["import", str(spec), "--json"]) == 1
    [refused] = _lines(capsys)
    assert refused["status"] == "failed"
    assert [e["rule"] for e in refused["errors"]] == ["BreakingChanges"]
    assert "--allow-breaking" in refused["errors"][0]["message"]
    assert [c["rule"] for c in refused["breakingChanges"]] == ["new-required-parameter"]
    assert main(["import", str(spec), "--json", "--allow-breaking"]) == 0
    [accepted] = _lines(capsys)
    assert (accepted["version"], [c["rule"] for c in accepted["breakingChanges"]]) == (
        2, ["new-required-parameter"])


def test_one_failure_makes_the_exit_status_1_and_the_rest_still_import(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(workdir)
    (specs / "broken.json").write_text('{"swagger": "2.0",\n "info": }')
    assert main(["import", str(specs), "--json"]) == 1
    lines = _lines(capsys)
    assert sorted(x["status"] for x in lines) == ["failed", "imported", "imported",
                                                  "imported"]
    [failed] = [x for x in lines if x["status"] == "failed"]
    assert failed["source"].endswith("broken.json")
    assert failed["errors"][0]["line"] == 2
    services = _services()
    try:
        assert connector_count(services) == (3, 3)
    finally:
        services.db.dispose()


def test_dry_run_stores_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(workdir)
    assert main(["import", str(specs), "--json", "--dry-run"]) == 0
    assert [x["status"] for x in _lines(capsys)] == ["imported"] * 3
    services = _services()
    try:
        assert connector_count(services) == (0, 0)
    finally:
        services.db.dispose()
    # With a catalogue in place, a dry run reports what a real import would refuse.
    assert main(["import", str(specs / "widgets.json")]) == 0
    (specs / "widgets.json").write_text(json.dumps(widgets_spec(drop_list=True)))
    assert main(["import", str(specs / "widgets.json"), "--json", "--dry-run"]) == 1
    [line] = _lines(capsys)
    assert [c["rule"] for c in line["breakingChanges"]] == ["removed-operation"]
    services = _services()
    try:
        assert connector_count(services) == (1, 1)
    finally:
        services.db.dispose()


def test_dry_run_without_a_database_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTWAY_DATABASE_URL", raising=False)
    specs = _folder(tmp_path)
    assert main(["import", str(specs), "--json", "--dry-run"]) == 0
    assert len(_lines(capsys)) == 3
    assert not (tmp_path / "var").exists()


def test_properties_and_name_for_one_spec(workdir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    spec = workdir / "spec.json"
    spec.write_text(json.dumps(widgets_spec()))
    props = workdir / "props.json"
    props.write_text(json.dumps(PROPERTIES))
    assert main(["import", str(spec), "--name", "my-widgets", "--properties", str(props),
                 "--json"]) == 0
    [line] = _lines(capsys)
    assert line["connector"] == "my-widgets"
    services = _services()
    try:
        stored = services.connectors.get("my-widgets").connector
        assert [p.name for p in stored.connection_parameters] == ["api_key", "tenant"]
    finally:
        services.db.dispose()


@pytest.mark.parametrize("option", [["--name", "one"], ["--properties", "props.json"]])
def test_name_and_properties_need_exactly_one_spec(
        workdir: Path, capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    specs = _folder(workdir)
    (workdir / "props.json").write_text(json.dumps(PROPERTIES))
    assert main(["import", str(specs), *option, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{option[0]} applies to exactly one spec, and 3 were found" in err
    services = _services()
    try:
        assert connector_count(services) == (0, 0)
    finally:
        services.db.dispose()


def test_a_bad_name_is_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = workdir / "spec.json"
    spec.write_text(json.dumps(widgets_spec()))
    assert main(["import", str(spec), "--name", "no spaces"]) == 2
    assert "connector name" in capsys.readouterr().err


def test_validate_exit_status_follows_error_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(widgets_spec()))
    assert main(["validate", str(clean), "--json"]) == 0
    [line] = _lines(capsys)
    assert (line["status"], line["errors"]) == ("imported", [])
    flawed = tmp_path / "flawed.json"
    flawed.write_text(json.dumps(widgets_spec(title="Widget API Connector")))
    assert main(["validate", str(clean), str(flawed), "--json"]) == 1
    lines = _lines(capsys)
    assert [x["status"] for x in lines] == ["imported", "failed"]
    assert "title-words" in {e["rule"] for e in lines[1]["errors"]}
    assert not (tmp_path / "var").exists()


def test_the_shipped_catalogue_validates_cleanly(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(SHIPPED), "--json"]) == 0
    lines = _lines(capsys)
    assert [x["connector"] for x in lines] == SHIPPED_IDS
    assert [f for x in lines for f in x["errors"]] == []
    assert all(x["operations"] >= 2 for x in lines)
    assert sum(x["triggers"] for x in lines) == 2


async def _spec_server(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A plain ASGI app that serves the widgets spec at any path."""
    if scope["type"] != "http":
        return
    body = json.dumps(widgets_spec()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def test_import_from_a_url_goes_through_the_egress_guard(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(_spec_server) as url:
        spec_url = f"{url}/specs/widgets.json"
        monkeypatch.delenv("PORTWAY_EGRESS_ALLOW", raising=False)
        assert main(["import", spec_url, "--json"]) == 1
        [refused] = _lines(capsys)
        assert refused["status"] == "failed"
        assert "127.0.0.1" in refused["errors"][0]["message"]
        monkeypatch.setenv("PORTWAY_EGRESS_ALLOW", "127.0.0.1/32")
        assert main(["import", spec_url, "--json", "--name", "remote"]) == 0
        [line] = _lines(capsys)
    assert (line["connector"], line["status"], line["version"]) == ("remote", "imported", 1)


_PORTWAY = ["-c", "import sys; from gateway.cli import main; sys.exit(main(sys.argv[1:]))"]


def _run_with_terminal_stderr(args: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """Runs ``portway ARGS`` with stderr on a pseudo-terminal; (status, stdout, terminal)."""
    store = Database(f"sqlite:///{cwd / 'p.db'}")  # import acts on an existing store
    store.migrate()
    store.dispose()
    controller, terminal = pty.openpty()
    env = {**os.environ, "PORTWAY_DATABASE_URL": f"sqlite:///{cwd / 'p.db'}", "TERM": "xterm",
           "COLUMNS": "100"}
    process = subprocess.Popen([sys.executable, *_PORTWAY, *args], stdout=subprocess.PIPE,
                               stderr=terminal, env=env, cwd=cwd)
    os.close(terminal)
    stdout, _ = process.communicate(timeout=60)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.returncode, stdout, shown


def test_a_folder_shows_a_progress_bar_on_a_terminal_and_json_stays_on_stdout(
        tmp_path: Path) -> None:
    specs = _folder(tmp_path)
    code, stdout, shown = _run_with_terminal_stderr(["import", str(specs), "--json"],
                                                    tmp_path)
    assert code == 0
    assert len(stdout.splitlines()) == 3
    assert b"importing" in shown and b"\xe2\x94\x81" in shown  # the bar's line glyph
    assert b'"source"' not in shown
    piped = subprocess.run([sys.executable, *_PORTWAY, "import", str(specs), "--json"],
                           capture_output=True, cwd=tmp_path, timeout=60, check=False,
                           env={**os.environ, "PORTWAY_DATABASE_URL":
                                f"sqlite:///{tmp_path / 'p.db'}"})
    assert (piped.returncode, len(piped.stdout.splitlines())) == (0, 3)  # unchanged now
    assert b"importing" not in piped.stderr


@pytest.mark.slow
@pytest.mark.corpus
def test_import_the_power_platform_corpus_into_sqlite(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'corpus.db'}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    started = time.perf_counter()
    code = main(["import", str(corpus / "powerplatform"), "--json"])
    elapsed = time.perf_counter() - started
    lines = _lines(capsys)
    imported = [x for x in lines if x["status"] == "imported"]
    failed = [x for x in lines if x["status"] == "failed"]
    # Only genuinely broken files fail, each with an error that says what and where.
    assert code == (1 if failed else 0)
    assert all(x["errors"] and x["errors"][0]["message"] for x in failed)
    assert len(imported) > 800
    services = _services()
    try:
        assert connector_count(services) == (len(imported), len(imported))
    finally:
        services.db.dispose()
    print(f"\n{len(imported)} of {len(lines)} connectors stored in {elapsed:.1f} s "
          f"({len(lines) / elapsed:.0f} specs/s)")
    assert elapsed < 60
