"""Deploy-time checks of ``runAfter``: null is no predecessors, other non-objects refused."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.definitions import check, from_body
from runtime.errors import DefinitionInvalid


def body(run_after: Any) -> dict[str, Any]:
    return {"definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "First": {"type": "Compose", "inputs": 1, "runAfter": {}},
            "Second": {"type": "Compose", "inputs": 2, "runAfter": run_after},
        }}}


def test_a_null_run_after_deploys_as_no_predecessors() -> None:
    check([from_body("nulls", body(None))])


def test_a_run_after_that_is_not_an_object_is_refused_with_its_pointer() -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        check([from_body("lists", body(["First"]))])
    assert [d["pointer"] for d in refused.value.details] == [
        "/definition/actions/Second/runAfter"]
