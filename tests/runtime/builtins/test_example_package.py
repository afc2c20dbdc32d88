"""The example third-party connector package (docs/examples/portway-connector-example):
its provider's rules, its lint, and — really installed with pip beside a package whose
entry point is broken — its workflows running on the real ``portway serve``."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import importers
from gateway import BadRequest
from runtime.builtins.catalogue import catalogue_entry
from tests.support.servers import portway_process

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / \
    "portway-connector-example"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import portway_jsonlines

    yield portway_jsonlines
    for name in [n for n in sys.modules if n.startswith("portway_jsonlines")]:
        del sys.modules[name]


def _poll(provider: Any, folder: Path, state: dict[str, Any], **parameters: Any
          ) -> tuple[Any, dict[str, Any]]:
    outputs, after = asyncio.run(provider.poll(
        "whenRecordsAreAppended", {"folder": str(folder)},
        {"fileName": "log.jsonl", **parameters}, state))
    return outputs, dict(after)


def test_appended_records_are_polled_once_in_order_and_a_half_line_waits(
        example: ModuleType, tmp_path: Path) -> None:
    provider = example.JsonLinesProvider()
    assert _poll(provider, tmp_path, {}) == (None, {"offset": 0})  # no file yet
    appended = asyncio.run(provider.invoke("appendRecords", {"folder": str(tmp_path)}, {
        "fileName": "log.jsonl", "records": [{"n": 1}, {"n": 2}, "three"]}))
    assert appended["body"]["appended"] == 3
    outputs, state = _poll(provider, tmp_path, {}, maxRecords=2)
    assert outputs == {"body": [{"n": 1}, {"n": 2}]}
    assert _poll(provider, tmp_path, {}, maxRecords=2)[0] == outputs  # same state, same items
    with (tmp_path / "log.jsonl").open("ab") as handle:
        handle.write(b"not json\n{\"n\": 5")  # a bad line, and one still being written
    outputs, state = _poll(provider, tmp_path, state)
    assert outputs == {"body": ["three", {"unparsedLine": "not json"}]}
    assert _poll(provider, tmp_path, state) == (None, state)
    with (tmp_path / "log.jsonl").open("ab") as handle:
        handle.write(b"}\n")
    outputs, state = _poll(provider, tmp_path, state)
    assert outputs == {"body": [{"n": 5}]}
    (tmp_path / "log.jsonl").write_bytes(b'{"n": "new file"}\n')  # replaced, shorter
    assert _poll(provider, tmp_path, state)[0] == {"body": [{"n": "new file"}]}


@pytest.mark.parametrize("parameters", [
    {"fileName": "../outside.jsonl", "records": []},
    {"fileName": "/etc/passwd", "records": []},
    {"fileName": ".hidden", "records": []},
    {"fileName": "a\nb", "records": []},
    {"fileName": "log.jsonl", "records": "not a list"},
    {"fileName": "log.jsonl", "records": list(range(1001))},
])
def test_hostile_parameters_are_refused_and_write_nothing(
        example: ModuleType, tmp_path: Path, parameters: dict[str, Any]) -> None:
    folder = tmp_path / "inside"
    folder.mkdir()
    with pytest.raises(BadRequest):
        asyncio.run(example.JsonLinesProvider().invoke(
            "appendRecords", {"folder": str(folder)}, parameters))
    assert list(tmp_path.rglob("*")) == [folder]


def test_the_example_passes_the_publishers_lint(example: ModuleType) -> None:
    connector = importers.Connector.model_validate(
        catalogue_entry(example.JsonLinesProvider()))
    assert [f for f in importers.lint(connector) if f.severity == "error"] == []
    assert [op.kind for op in connector.operations] == ["action", "trigger"]


def _install(tmp_path: Path) -> Path:
    """pip-install a copy of the example into a folder of its own (the build writes beside
    its sources), and beside it a distribution whose entry points name a missing module and
something that is not a provider."""
    site = tmp_path / "site"
    source = tmp_path / "example-source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("project", "__pycache__"))
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(site), str(source)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    broken = site / "broken_connector-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-connector\n"
                                     "Version: 0.1\n")
    (broken / "entry_points.txt").write_text(
        "[portway.connectors]\nbroken = no_such_module_here:Provider\n"
        "notaprovider = json:JSONDecoder\n")
    return site


def _wait_for_runs(client: httpx.Client, workflow: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = client.get(f"/v1/workflows/{workflow}/runs").json()["value"]
        if len(runs) >= count and all(r["status"] != "Running" for r in runs):
            return runs
        time.sleep(0.3)
    raise AssertionError(f"{workflow}: {runs}")


@pytest.mark.slow
def test_the_installed_example_runs_its_workflows_on_portway_serve(tmp_path: Path) -> None:
    site = _install(tmp_path)
    assert (site / "portway_jsonlines" / "provider.py").is_file()
    (tmp_path / "var" / "jsonl").mkdir(parents=True)
    env = {"PYTHONPATH": str(site), "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}
    with portway_process(tmp_path, env) as (base, _):
        # The command line validates too: it sees the package as the server does.
        deployed = subprocess.run(
            [str(Path(sys.executable).parent / "portway"), "workflows", "deploy",
             str(EXAMPLE / "project"), "--json"], cwd=tmp_path, capture_output=True,
            text=True, timeout=120, env={"PATH": str(Path(sys.executable).parent),
                                         "PYTHONPATH": str(site)})
        assert deployed.returncode == 0, deployed.stderr + deployed.stdout
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            listed = client.get("/v1/connectors", params={"kind": "builtin"}).json()
            assert {"jsonlines", "smtp"} <= {c["id"] for c in listed["value"]}
            assert "broken" not in {c["id"] for c in listed["value"]}
            shown = client.get("/v1/connectors/jsonlines").json()
            assert shown["metadata"]["serviceProviderId"] == "/serviceProviders/jsonLines"
            url = client.post("/v1/workflows/Record_order/triggers/manual/callback-url"
                              ).json()["value"]
            for order, amount in (("A-1", 12.5), ("A-2", 3), ("A-3", 7)):
                answer = httpx.post(url, json={"order": order, "amount": amount}, timeout=30)
                assert answer.status_code == 202, answer.text
                assert answer.json()["appended"] == 1
            runs = _wait_for_runs(client, "On_new_record", 3)
            described = sorted(client.get(f"/v1/runs/{r['id']}").json()["actions"]
                               ["Describe"]["outputs"] for r in runs)
            assert described == ["order A-1 for 12.5", "order A-2 for 3", "order A-3 for 7"]
            time.sleep(1.5)  # more polls: nothing new, no more runs
            assert len(client.get("/v1/workflows/On_new_record/runs").json()["value"]) == 3
    lines = (tmp_path / "var" / "jsonl" / "orders.jsonl").read_text().splitlines()
    assert [json.loads(line)["order"] for line in lines] == ["A-1", "A-2", "A-3"]
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "connector_entry_point_failed" in log and "broken" in log
    assert "connector_entry_point_not_a_provider" in log and "notaprovider" in log
    assert "Traceback" not in log, log[-3000:]
