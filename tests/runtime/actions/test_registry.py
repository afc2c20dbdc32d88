"""Every leaf handler is registered once, and registering again changes nothing."""

from __future__ import annotations

from runtime.actions import register_all, registry


def test_register_all_is_idempotent_and_complete() -> None:
    register_all()
    first = registry.registered_types()
    register_all()
    assert registry.registered_types() == first
    assert {"compose", "parsejson", "query", "select", "join", "initializevariable",
            "setvariable", "incrementvariable", "decrementvariable",
            "appendtoarrayvariable", "appendtostringvariable", "response"} <= first
    handler = registry.handler_for("Query")
    assert handler is not None and handler.deferred_inputs == frozenset({"where"})
