"""Deploy-time validation: every finding with its file and pointer; limits."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.definitions import WorkflowSpec, check
from runtime.errors import DefinitionInvalid


def _findings(definition: dict[str, Any], **spec: Any) -> list[dict[str, str]]:
    base = {"triggers": {"manual": {"type": "Request", "kind": "Http"}}}
    with pytest.raises(DefinitionInvalid) as raised:
        check([WorkflowSpec(name="w", definition={**base, **definition}, **spec)])
    return raised.value.details


def test_a_valid_definition_passes() -> None:
    check([WorkflowSpec(name="w", definition={
        "triggers": {"manual": {"type": "Request"}},
        "parameters": {"n": {"type": "Int", "defaultValue": 2}},
        "actions": {
            "Init": {"type": "InitializeVariable", "runAfter": {},
                     "inputs": {"variables": [{"name": "count", "type": "integer",
                                               "value": 0}]}},
            "Loop": {"type": "Foreach", "foreach": "@createArray(1, 2)",
                     "runAfter": {"Init": ["Succeeded"]},
                     "actions": {"Add": {"type": "IncrementVariable", "runAfter": {},
                                         "inputs": {"name": "count", "value": 1}}}},
            "Done": {"type": "Compose", "runAfter": {"Loop": ["Succeeded", "FAILED"]},
                     "inputs": "@add(variables('count'), parameters('n'))"}}})])


def test_run_after_outside_the_scope_and_bad_statuses() -> None:
    details = _findings({"actions": {
        "Outer": {"type": "Scope", "runAfter": {}, "actions": {
            "Inner": {"type": "Compose", "inputs": 1, "runAfter": {"Later": ["Succeeded"]}}}},
        "Later": {"type": "Compose", "inputs": 2, "runAfter": {"Outer": ["Done"]}}}})
    by_pointer = {d["pointer"]: d["message"] for d in details}
    assert "outside this action's scope" in by_pointer[
        "/definition/actions/Outer/actions/Inner/runAfter/Later"]
    assert "statuses" in by_pointer["/definition/actions/Later/runAfter/Outer"]


def test_unknown_functions_variables_and_trigger_types() -> None:
    details = _findings({
        "triggers": {"t": {"type": "Telepathy"}},
        "actions": {"A": {"type": "Compose", "runAfter": {},
                          "inputs": "@{frobnicate(1)} @{variables('ghost')}"},
                    "B": {"type": "SetVariable", "runAfter": {},
                          "inputs": {"name": "nope", "value": 1}}}})
    messages = [d["message"] for d in details]
    assert "unknown trigger type 'Telepathy'" in messages
    assert "unknown function 'frobnicate'" in messages
    assert "no InitializeVariable declares the variable 'ghost'" in messages
    assert "no InitializeVariable declares the variable 'nope'" in messages


def test_parameters_are_typed_and_need_a_value() -> None:
    details = _findings({"parameters": {"a": {"type": "Int"}, "b": {"type": "Widget"},
                                        "c": {"type": "Bool", "defaultValue": "yes"}},
                         "actions": {}},
                        parameters={"d": {"type": "Array", "value": {}}}, source="request")
    assert {(d["pointer"], d["message"].split(" (")[0]) for d in details} == {
        ("/definition/parameters/a", "the parameter 'a' has no value and no defaultValue"),
        ("/definition/parameters/b/type", "unknown parameter type 'Widget'"),
        ("/definition/parameters/b", "the parameter 'b' has no value and no defaultValue"),
        ("/definition/parameters/c/defaultValue", "the default value is not of type Bool"),
        ("/parameters/d/value", "the value is not of type Array"),
    }


def test_connection_references_must_be_declared() -> None:
    details = _findings({"actions": {
        "Send": {"type": "ApiConnection", "runAfter": {}, "inputs": {
            "host": {"connection": {"referenceName": "office365"}},
            "method": "post", "path": "/mail"}},
        "Query": {"type": "ServiceProvider", "runAfter": {}, "inputs": {
            "parameters": {}, "serviceProviderConfiguration": {
                "connectionName": "sql", "operationId": "executeQuery",
                "serviceProviderId": "/serviceProviders/sql"}}}}})
    pointers = {d["pointer"] for d in details}
    assert "/definition/actions/Send/inputs/host/connection/referenceName" in pointers
    assert ("/definition/actions/Query/inputs/serviceProviderConfiguration/connectionName"
            in pointers)


def test_long_names_and_expressions_and_too_many_triggers() -> None:
    details = _findings({"triggers": {f"t{i}": {"type": "Request"} for i in range(11)},
                         "actions": {"x" * 81: {"type": "Compose", "runAfter": {},
                                                "inputs": "@" + "concat(" * 5000}}})
    messages = " | ".join(d["message"] for d in details)
    assert "at most 10 triggers" in messages
    assert "at most 80 characters" in messages
    assert "at most 8192 characters" in messages


def test_switch_cases_outputs_and_description_are_held_to_the_documented_limits() -> None:
    cases = {f"c{i}": {"case": i, "actions": {}} for i in range(26)}
    details = _findings({
        "description": "d" * 257,
        "outputs": {f"o{i}": {"type": "String", "value": "x"} for i in range(11)},
        "actions": {"Pick": {"type": "Switch", "expression": "@triggerBody()", "runAfter": {},
                             "cases": cases, "default": {"actions": {}}}}})
    found = {(d["pointer"], d["message"]) for d in details}
    assert ("/definition/actions/Pick/cases", "a Switch has at most 25 cases") in found
    assert ("/definition/outputs", "a workflow has at most 10 outputs") in found
    assert ("/definition/description", "a description has at most 256 characters") in found
    check([WorkflowSpec(name="w", definition={  # at the limits: deployed
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "description": "d" * 256,
        "outputs": {f"o{i}": {"type": "String", "value": "x"} for i in range(10)},
        "actions": {"Pick": {"type": "Switch", "expression": "@triggerBody()", "runAfter": {},
                             "cases": dict(list(cases.items())[:25]),
                             "default": {"actions": {}}}}})])


def test_a_recurrence_the_scheduler_cannot_compute_is_a_finding_at_its_field() -> None:
    details = _findings({"triggers": {
        "a": {"type": "Recurrence", "recurrence": {"frequency": "Day", "interval": 0}},
        "b": {"type": "Recurrence", "recurrence": {
            "frequency": "Week", "timeZone": "Atlantis Standard Time",
            "schedule": {"weekDays": ["Someday"]}}},
        "c": {"type": "SlidingWindow"},
        "fine": {"type": "Recurrence", "recurrence": {
            "frequency": "@appsetting('UNIT')", "interval": 1}}}})
    by_pointer = {d["pointer"]: d["message"] for d in details}
    assert by_pointer == {
        "/definition/triggers/a/recurrence/interval":
            "must be a whole number from 1 to 1000000",
        "/definition/triggers/b/recurrence/timeZone":
            "'Atlantis Standard Time' is not a Windows or IANA time zone",
        "/definition/triggers/c": "a SlidingWindow trigger needs a recurrence",
    }


def test_a_trigger_concurrency_out_of_range_is_a_finding_at_its_field() -> None:
    details = _findings({"triggers": {"tick": {
        "type": "Recurrence", "recurrence": {"frequency": "Minute", "interval": 1},
        "runtimeConfiguration": {"concurrency": {"runs": 0, "maximumWaitingRuns": 101}}}}})
    assert sorted(d["pointer"] for d in details) == [
        "/definition/triggers/tick/runtimeConfiguration/concurrency/maximumWaitingRuns",
        "/definition/triggers/tick/runtimeConfiguration/concurrency/runs"]


def test_overlong_names_and_non_object_actions_and_triggers() -> None:
    long = "A" * 81
    details = _findings({
        "triggers": {long: {"type": "Request", "kind": "Http"}, "t": "not an object"},
        "actions": {long: {"type": "Compose", "runAfter": {}, "inputs": 1},
                    "B": ["not", "an", "object"]}})
    by_pointer: dict[str, list[str]] = {}
    for detail in details:
        by_pointer.setdefault(detail["pointer"], []).append(detail["message"])
    assert by_pointer[f"/definition/triggers/{long}"] == [
        "a trigger name has at most 80 characters"]
    assert by_pointer["/definition/triggers/t"] == ["a trigger must be an object"]
    assert by_pointer[f"/definition/actions/{long}"] == [
        "an action name has at most 80 characters"]
    assert by_pointer["/definition/actions/B"] == ["an action must be an object"]


def test_a_stateless_workflow_is_held_to_its_smaller_loop_limits_at_deploy() -> None:
    loops = {"actions": {
        "Each": {"type": "Foreach", "foreach": list(range(101)),
                 "actions": {"C": {"type": "Compose", "inputs": 1}}},
        "Again": {"type": "Until", "expression": "@equals(1, 1)",
                  "limit": {"count": 101, "timeout": "PT6M"},
                  "actions": {"D": {"type": "Compose", "inputs": 1}}}}}
    details = _findings(loops, kind="Stateless")
    found = {d["pointer"]: d["message"] for d in details}
    assert set(found) == {"/definition/actions/Each/foreach",
                          "/definition/actions/Again/limit/count",
                          "/definition/actions/Again/limit/timeout"}
    assert "at most 100 items, not 101" in found["/definition/actions/Each/foreach"]
    assert "at most 100 times, not 101" in found["/definition/actions/Again/limit/count"]
    assert "'PT6M'" in found["/definition/actions/Again/limit/timeout"]
    # The same loops fit a Stateful workflow; its own Until count limit is 5,000.
    check([WorkflowSpec(name="w", definition={
        "triggers": {"manual": {"type": "Request", "kind": "Http"}}, **loops})])
    loops["actions"]["Again"]["limit"] = {"count": 5001}
    assert [d["pointer"] for d in _findings(loops)] == [
        "/definition/actions/Again/limit/count"]
    # Values only a run knows are bounded when it runs, not refused here.
    check([WorkflowSpec(name="w", kind="Stateless", definition={
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Each": {"type": "Foreach", "foreach": "@range(0, 500)",
                             "actions": {"C": {"type": "Compose", "inputs": 1}}}}})])
