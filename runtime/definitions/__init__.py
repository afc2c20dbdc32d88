"""Workflow definitions: the forms they come in (``loading``), their model (``model``),
deploy-time validation (``validation``) and Logic Apps' limits (``limits``).

``check(specs)`` is what every deploy path calls: it validates each workflow against the
leaf action types (``runtime.actions.registry``), the engine's control types
(``runtime.engine.CONTROL_TYPES``) and the workflow functions (``runtime.expressions``),
and raises one ``DefinitionInvalid`` carrying every finding (file and JSON pointer) when
any fails.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.definitions.loading import from_body, load_path, refuse
from runtime.definitions.model import Bundle, Finding, WorkflowSpec
from runtime.definitions.validation import validate

__all__ = ["Bundle", "Finding", "WorkflowSpec", "check", "from_body", "load_path",
           "refuse"]


def check(specs: Sequence[WorkflowSpec], what: str = "the workflow") -> None:
    """Raises DefinitionInvalid with every finding of every workflow."""
    from runtime.actions import register_all
    from runtime.actions.registry import registered_types
    from runtime.engine import CONTROL_TYPES
    from runtime.expressions import REGISTRY

    register_all()
    leaves, controls = registered_types(), frozenset(t.lower() for t in CONTROL_TYPES)
    findings: list[Finding] = []
    for spec in specs:
        findings.extend(validate(spec, leaf_types=leaves, control_types=controls,
                                 functions=REGISTRY))
    if findings:
        raise refuse(findings, what)
