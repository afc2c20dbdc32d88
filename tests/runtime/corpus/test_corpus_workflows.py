"""The corpus workflows (``../shared/corpus/workflows/``) deploy unchanged with
``portway workflows deploy`` when they use only what Portway runs.

Each deployable unit is a Standard project folder (``connections.json`` /
``parameters.json`` at its root, one sub-folder per workflow) or a single file holding
workflow definitions (a Standard ``workflow.json``, a Consumption gallery or ARM
template). What Portway runs is asked of the runtime itself: leaf action types with a
handler (``runtime.actions.registry``), the engine's control types, service providers in
``runtime.builtins.registry``, and the triggers Portway fires (Request, the schedules, the
polling triggers: Http, ApiConnection, ServiceProvider, and the webhook triggers:
HttpWebhook, ApiConnectionWebhook; the other trigger types are validated but never fire).
A unit that uses anything else is
skipped with what it uses; a unit with an action type Portway has no handler for must be
refused whole, with the file and JSON pointer of that action (host-only types such as
``Xslt`` deploy, since a run may skip them, and fail the run that reaches them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_dir
from tests.runtime.corpus.cases import HOST_ONLY_ACTIONS

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

FIRED_TRIGGERS = frozenset({"request", "recurrence", "slidingwindow", "http", "apiconnection",
                            "serviceprovider", "httpwebhook", "apiconnectionwebhook"})
# Units that use only what Portway runs but that it does not deploy yet: whose part, why.
KNOWN_GAPS: dict[str, str] = {}
PROJECT_FILES = ("connections.json", "parameters.json", "local.settings.json")


@dataclass(frozen=True)
class Unit:
    """One thing ``portway workflows deploy`` is given, and the definitions in it."""

    path: Path
    definitions: tuple[tuple[str, dict[str, Any]], ...]  # (file, definition)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def definitions_in(document: Any) -> list[dict[str, Any]]:
    """Every WDL definition inside a document (templates may hold several)."""
    found: list[dict[str, Any]] = []
    if isinstance(document, dict):
        if isinstance(document.get("triggers"), dict) and isinstance(document.get("actions"),
                                                                     dict):
            return [document]
        for value in document.values():
            found += definitions_in(value)
    elif isinstance(document, list):
        for value in document:
            found += definitions_in(value)
    return found


def _is_project(folder: Path) -> bool:
    return any((folder / name).is_file() for name in PROJECT_FILES) and any(
        (child / "workflow.json").is_file() for child in folder.iterdir() if child.is_dir())


def units(root: Path) -> tuple[list[Unit], list[str]]:
    """The deployable units under ``root``, and the JSON files that hold no workflow."""
    projects = sorted({p.parent for p in root.rglob("*.json") if _is_project(p.parent)})
    found = [Unit(project, tuple((str(wf.relative_to(root)), d)
                                 for wf in sorted(project.glob("*/workflow.json"))
                                 for d in definitions_in(_read(wf))))
             for project in projects]
    not_workflows: list[str] = []
    for path in sorted(root.rglob("*.json")):
        if path.parent.parent in projects and path.name == "workflow.json":
            continue  # deployed with its project
        defs = tuple((str(path.relative_to(root)), d) for d in definitions_in(_read(path)))
        if defs:
            found.append(Unit(path, defs))
        else:
            not_workflows.append(str(path.relative_to(root)))
    return found, not_workflows


def _actions(actions: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, action in actions.items():
        if not isinstance(action, dict):
            continue
        yield name, action
        nested = [action.get("actions"), (action.get("else") or {}).get("actions"),
                  (action.get("default") or {}).get("actions")]
        nested += [case.get("actions") for case in (action.get("cases") or {}).values()
                   if isinstance(case, dict)]
        for inner in nested:
            if isinstance(inner, dict):
                yield from _actions(inner)


def what_portway_lacks(definition: dict[str, Any]) -> list[str]:
    """What a definition uses that Portway does not run, in words; empty when it runs."""
    from runtime.actions import register_all, registry
    from runtime.builtins.registry import provider_for
    from runtime.engine import CONTROL_TYPES

    register_all()
    known = registry.registered_types() | {t.lower() for t in CONTROL_TYPES}
    lacks: list[str] = []
    for name, trigger in definition.get("triggers", {}).items():
        kind = str(trigger.get("type", "")).lower()
        if kind not in FIRED_TRIGGERS:
            lacks.append(f"trigger {name!r} of type {trigger.get('type')} (Portway fires "
                         "Request, schedule, polling and webhook triggers only)")
    for name, action in _actions(definition.get("actions", {})):
        kind = str(action.get("type", ""))
        if kind.lower() == "serviceprovider":
            config = (action.get("inputs") or {}).get("serviceProviderConfiguration") or {}
            provider = str(config.get("serviceProviderId", ""))
            if provider_for(provider) is None:
                lacks.append(f"action {name!r}: service provider {provider} (no built-in "
                             "connector)")
        elif kind.lower() in HOST_ONLY_ACTIONS:
            lacks.append(f"action {name!r} of type {kind} (only the Logic Apps host runs it)")
        elif kind.lower() not in known:
            lacks.append(f"action {name!r} of type {kind} (no handler)")
    return sorted(set(lacks))


def _lacks(unit: Unit) -> list[str]:
    return sorted({f"{file}: {item}" for file, d in unit.definitions
                   for item in what_portway_lacks(d)})


def _unknown_action_types(unit: Unit) -> list[str]:
    return [item for item in _lacks(unit) if item.endswith("(no handler)")]


UNITS, NOT_WORKFLOWS = units(corpus_dir() / "workflows") if (
    corpus_dir() / "workflows").is_dir() else ([], [])
UNIT_IDS = [str(u.path.relative_to(corpus_dir() / "workflows")) for u in UNITS] or [
    "<no corpus>"]
DEPLOY_IDS = [pytest.param(unit_id, marks=pytest.mark.xfail(reason=KNOWN_GAPS[unit_id],
                                                          strict=False))
              if unit_id in KNOWN_GAPS else unit_id for unit_id in UNIT_IDS]


REFUSED_IDS = [unit_id for unit_id, unit in zip(UNIT_IDS, UNITS, strict=False)
               if _unknown_action_types(unit)] or ["<none>"]


def portway(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "portway"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTWAY_")}
    return subprocess.run([str(command), *args], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an empty Portway store, as a user's after ``portway db upgrade``."""
    folder = tmp_path_factory.mktemp("deploy-corpus")
    created = portway(folder, "db", "upgrade")
    assert created.returncode == 0, created.stderr
    return folder


def deploy(workdir: Path, path: Path) -> tuple[int, list[dict[str, Any]], str]:
    done = portway(workdir, "workflows", "deploy", str(path), "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, lines, done.stderr


def _unit(unit_id: str, corpus: Path) -> Unit:
    for unit in UNITS:
        if str(unit.path.relative_to(corpus / "workflows")) == unit_id:
            return unit
    raise AssertionError(f"no unit {unit_id}")


@pytest.mark.parametrize("unit_id", DEPLOY_IDS)
def test_corpus_workflow_deploys_unchanged(unit_id: str, corpus: Path, workdir: Path) -> None:
    unit = _unit(unit_id, corpus)
    lacks = _lacks(unit)
    if lacks:
        pytest.skip(f"{unit_id} uses what Portway does not run: " + "; ".join(lacks))
    code, lines, stderr = deploy(workdir, unit.path)
    assert code == 0, (lines, stderr[-2000:])
    # A template may redefine a workflow (a nested deployment): one deploy each name.
    assert 1 <= len(lines) <= len(unit.definitions)
    assert {line["status"] for line in lines} == {"deployed"}
    listed = portway(workdir, "workflows", "list", "--json")
    names = {json.loads(line)["name"] for line in listed.stdout.splitlines() if line.strip()}
    assert {line["workflow"] for line in lines} <= names


@pytest.mark.parametrize("unit_id", REFUSED_IDS)
def test_a_workflow_with_an_action_portway_lacks_is_refused_whole(
        unit_id: str, corpus: Path, workdir: Path) -> None:
    if unit_id == "<none>":
        pytest.skip("no corpus workflow uses an action type Portway lacks")
    unit = _unit(unit_id, corpus)
    code, lines, _ = deploy(workdir, unit.path)
    assert code == 1
    assert [line["status"] for line in lines] == ["failed"]
    errors = lines[0]["errors"]
    messages = " ".join(f"{e['file']}#{e['pointer']} {e['message']}" for e in errors)
    for item in _unknown_action_types(unit):
        action = item.split("action ", 1)[1].split(" of type", 1)[0].strip("'")
        assert f"/{action}" in messages, (item, messages)


def test_the_corpus_files_that_hold_no_workflow_are_the_project_parts(corpus: Path) -> None:
    # Listed for the board: ARM connector templates and Azure parameter variants.
    assert all(name.endswith(".json") for name in NOT_WORKFLOWS)
    assert (corpus / "workflows").is_dir()
    assert "github-sample/ARM/connectors-template.json" in NOT_WORKFLOWS
