"""Every policy template instance of the Power Platform corpus compiles (or is skipped)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gateway.policies import PolicyDefinitionError, PolicySet
from importers.model import Policy

pytestmark = pytest.mark.corpus

REPO = Path(__file__).resolve().parents[3]
CORPUS = Path(os.environ.get("PORTWAY_CORPUS") or REPO.parent / "shared" / "corpus")


def _instances() -> list[tuple[str, dict]]:
    root = CORPUS / "powerplatform"
    if not root.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus missing at {root}")
        pytest.skip(f"corpus missing at {root}")
    found = []
    for path in sorted(root.rglob("apiProperties.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue
        properties = document.get("properties") if isinstance(document, dict) else None
        for raw in (properties or {}).get("policyTemplateInstances") or []:
            if isinstance(raw, dict) and isinstance(raw.get("templateId"), str):
                found.append((str(path.relative_to(root)), raw))
    return found


def _policy(raw: dict) -> Policy:
    parameters = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
    scope = parameters.get("x-ms-apimTemplate-operationName")
    return Policy(template=raw["templateId"].lower(), title=str(raw.get("title", "")),
                  parameters=parameters,
                  operations=[str(o) for o in scope] if isinstance(scope, list) else [])


def test_corpus_policies_compile():
    instances = _instances()
    assert len(instances) > 500
    compiled = skipped = 0
    failures = []
    for source, raw in instances:
        try:
            result = PolicySet.compile([_policy(raw)])
        except PolicyDefinitionError as error:
            failures.append((source, raw["templateId"], error.message))
            continue
        compiled += len(result)
        skipped += len(result.skipped)
    # The corpus holds a few genuine mistakes (a misspelt queryParameters()); only that
    # kind of definition error is expected, and it is reported at compile time.
    assert all("is not defined" in message for _, _, message in failures), failures
    assert len(failures) <= 3
    assert compiled > 500
    assert skipped < 60
