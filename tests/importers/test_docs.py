"""docs/importers.md lists every rule the importers, the lint and the versions check use."""

from __future__ import annotations

import re
from pathlib import Path

from importers.lint import RULES as LINT_RULES
from importers.versions import RULES as VERSION_RULES

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_is_documented() -> None:
    doc = (ROOT / "docs" / "importers.md").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "importers").glob("*.py"))
    import_rules = set(re.findall(r'rule="([a-z-]+)"', source))
    documented = set(re.findall(r"`([A-Za-z-]+)`", doc))
    missing = (import_rules | set(LINT_RULES) | set(VERSION_RULES)) - documented
    assert missing == set()
    assert "## WSDL" in doc
