"""The runtime cases of ``../shared/corpus/runtime-cases/``, read in place.

A ``Case`` gives the runner what it deploys and sends: the workflow files as the original
harness ran them (``harness.as_tested`` over ``workflow.files``) with the mock server's
address in place of ``http://localhost:7075``, the app settings as strings, and, for the
``rbosma`` cases, the SDK's action mocks written as the definition's ``staticResults``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "portway-runtime-case/1"
ORIGINAL_MOCK_BASE = "http://localhost:7075"

# What only the Logic Apps host runs: the reason a case is skipped.
HOST_ONLY = {
    "C# script host": "runs inline C# script (CSharpScriptCode), which needs the Azure "
                      "Functions C# script host",
    "XSLT 3.0 maps": "runs an XSLT 3.0 Data Mapper map (Xslt action), which needs the "
                     "Logic Apps host's Saxon-based map engine",
}


def substitute(value: Any, old: str, new: str) -> Any:
    """Every string inside ``value`` with ``old`` replaced by ``new``."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [substitute(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, old, new) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Case:
    id: str
    path: Path
    data: Mapping[str, Any]

    @property
    def workflow_name(self) -> str:
        return str(self.data["workflow"]["name"])

    @property
    def trigger(self) -> Mapping[str, Any]:
        return self.data["trigger"]  # type: ignore[no-any-return]

    @property
    def expect(self) -> Mapping[str, Any]:
        return self.data["expect"]  # type: ignore[no-any-return]

    @property
    def mocks_http(self) -> Mapping[str, Any] | None:
        return self.data.get("mocks", {}).get("http")

    @property
    def action_mocks(self) -> list[Mapping[str, Any]]:
        return list(self.data.get("mocks", {}).get("actions") or [])

    def skip_reason(self) -> str | None:
        """Why Portway cannot run this case (it needs the Logic Apps host), or None."""
        needs = self.data.get("features", {}).get("runner_requires") or []
        reasons = [HOST_ONLY[need] for need in needs if need in HOST_ONLY]
        if not reasons:
            return None
        return f"{self.id}: " + "; ".join(reasons)

    def files(self, mock_base: str) -> dict[str, Any]:
        """``workflow.json``, ``parameters.json``, ``connections.json`` and ``appSettings``
        as the original harness ran them, pointed at ``mock_base``."""
        merged = {key: copy.deepcopy(value)
                  for key, value in self.data["workflow"]["files"].items()}
        merged.update(copy.deepcopy(self.data.get("harness", {}).get("as_tested") or {}))
        files: dict[str, Any] = substitute(merged, ORIGINAL_MOCK_BASE, mock_base)
        settings = dict(files.get("appSettings") or {})
        settings.update(self.data["workflow"].get("appSettingsOverrides") or {})
        files["appSettings"] = {name: _setting_text(value) for name, value in settings.items()}
        if self.action_mocks:
            files["workflow.json"] = with_static_results(files["workflow.json"],
                                                         self.action_mocks)
        return files


def _setting_text(value: Any) -> str:
    # local.settings.json may hold numbers; the Functions host reads every value as text.
    if isinstance(value, str):
        return value
    return json.dumps(value)


# Action types only the Logic Apps host executes: the unit-testing SDK runs a test only
# when each one that executes is mocked.
HOST_ONLY_ACTIONS = frozenset({"invokefunction", "csharpscriptcode", "xslt", "liquid",
                               "javascriptcode"})


def all_actions(actions: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every action of a definition by name, inner scopes included."""
    found: dict[str, dict[str, Any]] = {}
    for name, action in actions.items():
        found[name] = action
        children = [action.get("actions") or {}, (action.get("else") or {}).get("actions") or {},
                    (action.get("default") or {}).get("actions") or {}]
        children += [case.get("actions") or {} for case in (action.get("cases") or {}).values()]
        for child in children:
            found.update(all_actions(child))
    return found


def with_static_results(workflow: Mapping[str, Any],
                        mocks: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The SDK's action mocks as WDL static results: the action's inputs are evaluated,
    it is not executed, and it ends with the mock's status and outputs (or error)."""
    result = copy.deepcopy(dict(workflow))
    definition = result["definition"]
    static = definition.setdefault("staticResults", {})
    actions = all_actions(definition["actions"])
    entries: dict[str, dict[str, Any]] = {}
    for mock in mocks:
        if mock["action"] not in actions:
            raise ValueError(f"action mock names no action: {mock['action']!r}")
        entry: dict[str, Any] = {"status": mock["status"]}
        if "outputs" in mock:
            entry["outputs"] = mock["outputs"]
        if "error" in mock:
            entry["error"] = mock["error"]
        entries[mock["action"]] = entry
    for name, action in actions.items():
        if name not in entries and str(action.get("type", "")).lower() in HOST_ONLY_ACTIONS:
            # Not mocked, so the test never lets it execute: if it does, it fails loudly.
            entries[name] = {"status": "Failed", "error": {
                "code": "ActionNotMocked",
                "message": f"the test mocks no result for {name!r}, which only the "
                           "Logic Apps host runs"}}
    for index, (name, entry) in enumerate(entries.items()):
        key = f"{name}{index}"
        static[key] = entry
        runtime = actions[name].setdefault("runtimeConfiguration", {})
        runtime["staticResult"] = {"name": key, "staticResultOptions": "Enabled"}
    return result


def load_case(path: Path) -> Case:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path.name}: schema {data.get('schema')!r}, expected {SCHEMA!r}")
    return Case(id=str(data["id"]), path=path, data=data)


def case_paths(corpus: Path) -> list[Path]:
    return sorted((corpus / "runtime-cases").glob("*.json"))
