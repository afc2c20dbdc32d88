"""The interpreter: the runAfter graph, control actions, run status rules, policies."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from gateway import Services
from tests.runtime.engine.support import CALLS, Harness, ManualClock, run, statuses

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


def simple(services: Services, actions: dict[str, Any], body: Any = None,
           **extra: Any) -> dict[str, Any]:
    return run(services, lambda h: h.run(actions, body, **extra))  # type: ignore[no-any-return]


def test_a_sequence_answers_its_response_and_records_every_action(
        sqlite_services: Services) -> None:
    actions = {
        "Compose": {"type": "Compose", "inputs": {"got": "@triggerBody()?['n']"}},
        "Response": {"type": "Response", "inputs": {"statusCode": 201,
                                                     "body": "@outputs('Compose')"},
                     "runAfter": {"Compose": ["Succeeded"]}},
    }

    async def body(h: Harness) -> Any:
        run_id = await h.start(actions, {"n": 7})
        handle_response = await h.engine.wait_response(run_id, 5)
        return handle_response, await h.finish(run_id)

    response, record = run(sqlite_services, body)
    assert (response.status, response.body) == (201, b'{"got":7}')
    assert record["status"] == "Succeeded"
    assert record["error"] is None
    assert statuses(record) == {"Compose": "Succeeded", "Response": "Succeeded"}
    compose = record["actions"]["Compose"]
    assert compose["inputs"] == {"got": 7}
    assert compose["outputs"] == {"got": 7}
    assert compose["code"] == "OK"
    assert TIME.match(compose["startTime"]) and TIME.match(compose["endTime"])
    assert TIME.match(record["startTime"]) and TIME.match(record["endTime"])
    assert record["trigger"]["outputs"]["body"] == {"n": 7}


def test_an_ended_run_no_longer_held_in_memory_still_gives_its_response_at_once(
        sqlite_services: Services) -> None:
    # The polling Location of an asynchronous Response asks with no wait after the run ended.
    actions = {"Response": {"type": "Response", "inputs": {"statusCode": 500, "body": "late"}}}

    async def body(h: Harness) -> Any:
        run_id = await h.start(actions)
        record = await h.finish(run_id)
        h.engine.local.pop(run_id, None)
        return record, await h.engine.wait_response(run_id, 0.0)

    record, response = run(sqlite_services, body)
    assert record["status"] == "Succeeded"
    assert response is not None
    assert (response.status, response.body) == (500, b"late")


def test_parallel_branches_join_before_the_action_after_both(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Init": {"type": "InitializeVariable",
                 "inputs": {"variables": [{"name": "log", "type": "array", "value": []}]}},
        "Left": {"type": "Compose", "inputs": "l", "runAfter": {"Init": ["Succeeded"]}},
        "Right": {"type": "Compose", "inputs": "r", "runAfter": {"Init": ["Succeeded"]}},
        "Join": {"type": "Compose", "inputs": "@concat(outputs('Left'), outputs('Right'))",
                 "runAfter": {"Left": ["Succeeded"], "Right": ["Succeeded"]}},
    })
    assert record["actions"]["Join"]["outputs"] == "lr"
    assert record["status"] == "Succeeded"


def test_a_handled_failure_still_fails_the_run_when_a_success_only_sibling_was_skipped(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Call": {"type": "TestFail", "inputs": {"code": "NotFound"}},
        "OnSuccess": {"type": "Compose", "inputs": 1, "runAfter": {"Call": ["SUCCEEDED"]}},
        "OnFailure": {"type": "Compose", "inputs": 2,
                      "runAfter": {"Call": ["FAILED", "TIMEDOUT"]}},
    })
    assert statuses(record) == {"Call": "Failed", "OnSuccess": "Skipped",
                                "OnFailure": "Succeeded"}
    assert record["status"] == "Failed"
    assert record["error"] == {"code": "ActionFailed",
                               "message": "An action failed. No dependent actions succeeded."}
    skipped = record["actions"]["OnSuccess"]
    assert skipped["code"] == "ActionSkipped"
    assert skipped["error"]["code"] == "ActionConditionFailed"


def test_a_failure_handled_by_the_only_last_action_leaves_the_run_succeeded(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Call": {"type": "TestFail"},
        "OnFailure": {"type": "Compose", "inputs": 2, "runAfter": {"Call": ["Failed"]}},
    })
    assert record["status"] == "Succeeded"


def test_a_skip_caused_by_a_success_does_not_fail_the_run(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Call": {"type": "Compose", "inputs": 1},
        "OnFailure": {"type": "Compose", "inputs": 2, "runAfter": {"Call": ["Failed"]}},
        "After": {"type": "Compose", "inputs": 3, "runAfter": {"OnFailure": ["Succeeded"]}},
    })
    assert statuses(record) == {"Call": "Succeeded", "OnFailure": "Skipped",
                                "After": "Skipped"}
    assert record["status"] == "Succeeded"


def test_a_scope_fails_with_an_unhandled_inner_failure_and_its_catch_runs(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Try": {"type": "Scope", "actions": {
            "Inner": {"type": "TestFail"},
            "Next": {"type": "Compose", "inputs": 1, "runAfter": {"Inner": ["Succeeded"]}},
        }},
        "Catch": {"type": "Compose", "inputs": "@result('Try')[0]['status']",
                  "runAfter": {"Try": ["Failed"]}},
    })
    assert statuses(record) == {"Inner": "Failed", "Next": "Skipped", "Try": "Failed",
                                "Catch": "Succeeded"}
    assert record["actions"]["Try"]["error"]["code"] == "ActionFailed"
    assert record["actions"]["Catch"]["outputs"] == "Failed"
    assert record["status"] == "Succeeded"


def test_if_takes_a_branch_by_a_condition_object_and_skips_the_other(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Check": {"type": "If",
                  "expression": {"and": [
                      {"greater": ["@triggerBody()?['n']", 3]},
                      {"not": {"equals": ["@triggerBody()?['name']", ""]}},
                      {"Contains": ["@triggerBody()?['name']", "ob"]},
                  ]},
                  "actions": {"Yes": {"type": "Compose", "inputs": "yes"}},
                  "else": {"actions": {"No": {"type": "Compose", "inputs": "no"}}}},
    }, {"n": 5, "name": "bob"})
    assert statuses(record) == {"Check": "Succeeded", "Yes": "Succeeded", "No": "Skipped"}
    assert record["actions"]["No"]["error"]["code"] == "ActionBranchingConditionNotSatisfied"
    assert record["actions"]["Check"]["inputs"] == {"expressionResult": True}


def test_if_with_a_plain_expression_and_an_empty_else(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Check": {"type": "If", "expression": "@equals(1, 2)",
                  "actions": {"Yes": {"type": "Compose", "inputs": "yes"}},
                  "else": {"actions": {}}},
    })
    assert statuses(record) == {"Check": "Succeeded", "Yes": "Skipped"}


def test_an_if_whose_expression_is_not_boolean_fails_with_invalid_template(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Check": {"type": "If", "expression": "@add(1, 2)",
                  "actions": {"Yes": {"type": "Compose", "inputs": "yes"}}},
    })
    assert record["actions"]["Check"]["status"] == "Failed"
    assert record["actions"]["Check"]["error"]["code"] == "InvalidTemplate"
    assert record["status"] == "Failed"


def test_switch_runs_the_matching_case_or_the_default(sqlite_services: Services) -> None:
    switch = {"type": "Switch", "expression": "@triggerBody()?['kind']",
              "cases": {"A": {"case": "a", "actions": {"DoA": {"type": "Compose", "inputs": 1}}},
                        "B": {"case": 2, "actions": {"DoB": {"type": "Compose", "inputs": 2}}}},
              "default": {"actions": {"DoDefault": {"type": "Compose", "inputs": 0}}}}
    matched = simple(sqlite_services, {"Switch": switch}, {"kind": 2})
    assert statuses(matched) == {"Switch": "Succeeded", "DoA": "Skipped", "DoB": "Succeeded",
                                 "DoDefault": "Skipped"}
    fallback = simple(sqlite_services, {"Switch": switch}, {"kind": "zzz"})
    assert fallback["actions"]["DoDefault"]["status"] == "Succeeded"
    assert fallback["actions"]["DoA"]["status"] == "Skipped"


def test_foreach_records_repetitions_in_iteration_order(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Loop": {"type": "Foreach", "foreach": "@triggerBody()",
                 "actions": {"Double": {"type": "Compose", "inputs": "@mul(item(), 2)"},
                             "Named": {"type": "Compose",
                                       "inputs": "@items('Loop')",
                                       "runAfter": {"Double": ["Succeeded"]}}}},
        "After": {"type": "Compose", "inputs": "@outputs('Double')",
                  "runAfter": {"Loop": ["Succeeded"]}},
    }, [3, 1, 4, 1, 5])
    double = record["actions"]["Double"]
    assert [r["outputs"] for r in double["repetitions"]] == [6, 2, 8, 2, 10]
    assert [r["repetitionIndexes"] for r in double["repetitions"]][1] == [
        {"scopeName": "Loop", "itemIndex": 1}]
    assert [r["outputs"] for r in record["actions"]["Named"]["repetitions"]] == [3, 1, 4, 1, 5]
    assert record["actions"]["Loop"]["status"] == "Succeeded"
    assert record["actions"]["Loop"]["repetitions"] == []


def test_a_sequential_foreach_appends_in_order_and_a_failed_iteration_fails_it(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Init": {"type": "InitializeVariable",
                 "inputs": {"variables": [{"name": "seen", "type": "array", "value": []}]}},
        "Loop": {"type": "Foreach", "foreach": "@range(0, 30)", "operationOptions": "Sequential",
                 "actions": {"Add": {"type": "AppendToArrayVariable",
                                     "inputs": {"name": "seen", "value": "@item()"}},
                             "Odd": {"type": "If", "expression": "@equals(mod(item(), 29), 28)",
                                     "actions": {"Boom": {"type": "TestFail"}},
                                     "runAfter": {"Add": ["Succeeded"]}}},
                 "runAfter": {"Init": ["Succeeded"]}},
        "Seen": {"type": "Compose", "inputs": "@variables('seen')",
                 "runAfter": {"Loop": ["Succeeded", "Failed"]}},
    })
    assert record["actions"]["Seen"]["outputs"] == list(range(30))
    assert record["actions"]["Loop"]["status"] == "Failed"
    assert len(record["actions"]["Odd"]["repetitions"]) == 30
    assert record["actions"]["Odd"]["status"] == "Failed"


def test_foreach_runs_at_most_its_concurrency_at_once(sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        clock = h.clock
        run_id = await h.start({
            "Loop": {"type": "Foreach", "foreach": "@range(0, 12)",
                     "runtimeConfiguration": {"concurrency": {"repetitions": 5}},
                     "actions": {"Nap": {"type": "TestSlow", "inputs": {"seconds": 1}}}},
        })
        peaks = []
        for _ in range(40):
            await asyncio.sleep(0.01)
            peaks.append(len(clock.sleeping))
            await clock.advance(1)
            if run_id not in h.engine.local:
                break
        return peaks, await h.finish(run_id)

    peaks, record = run(sqlite_services, body, clock=ManualClock())
    assert max(peaks) == 5
    assert len(record["actions"]["Nap"]["repetitions"]) == 12
    assert record["status"] == "Succeeded"


def test_until_stops_on_its_expression_or_its_count(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Init": {"type": "InitializeVariable",
                 "inputs": {"variables": [{"name": "n", "type": "integer", "value": 0}]}},
        "Loop": {"type": "Until", "expression": "@equals(variables('n'), 4)",
                 "limit": {"count": 60, "timeout": "PT1H"},
                 "actions": {"Inc": {"type": "IncrementVariable",
                                     "inputs": {"name": "n", "value": 1}},
                             "Index": {"type": "Compose", "inputs": "@iterationIndexes('Loop')",
                                       "runAfter": {"Inc": ["Succeeded"]}}},
                 "runAfter": {"Init": ["Succeeded"]}},
        "Capped": {"type": "Until", "expression": "@equals(1, 2)", "limit": {"count": 3},
                   "actions": {"Tick": {"type": "Compose", "inputs": 1}},
                   "runAfter": {"Loop": ["Succeeded"]}},
    })
    assert [r["outputs"] for r in record["actions"]["Index"]["repetitions"]] == [0, 1, 2, 3]
    assert len(record["actions"]["Tick"]["repetitions"]) == 3
    assert record["actions"]["Capped"]["status"] == "Succeeded"


def test_terminate_ends_the_run_with_its_status_and_error(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Check": {"type": "If", "expression": "@equals(1, 1)", "actions": {
            "Stop": {"type": "Terminate", "inputs": {
                "runStatus": "Failed",
                "runError": {"code": "500", "message": "code '@{triggerBody()}' is bad"}}}}},
        "Later": {"type": "Compose", "inputs": 1, "runAfter": {"Check": ["Succeeded"]}},
    }, "xx")
    assert record["status"] == "Failed"
    assert record["error"] == {"code": "500", "message": "code 'xx' is bad"}
    assert record["actions"]["Stop"]["status"] == "Succeeded"
    assert record["actions"]["Later"]["status"] == "Skipped"


def test_terminate_succeeded_ends_the_run_succeeded(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Fail": {"type": "TestFail"},
        "Stop": {"type": "Terminate", "inputs": {"runStatus": "Succeeded"},
                 "runAfter": {"Fail": ["Failed"]}},
    })
    assert (record["status"], record["error"]) == ("Succeeded", None)


def test_an_expression_error_in_inputs_fails_the_action_with_invalid_template(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Bad": {"type": "Compose", "inputs": "@int('seven')"},
    })
    bad = record["actions"]["Bad"]
    assert bad["status"] == "Failed"
    assert bad["code"] == "InvalidTemplate"
    assert bad["error"]["message"].startswith(
        "Unable to process template language expressions in action 'Bad' inputs at line")
    assert record["status"] == "Failed"


def test_static_results_replace_execution(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Call": {"type": "TestFail", "runtimeConfiguration": {"staticResult": {
            "name": "Call0", "staticResultOptions": "Enabled"}}},
        "Body": {"type": "Compose", "inputs": "@body('Call')", "runAfter": {"Call": []}},
    }, definition={"staticResults": {"Call0": {
        "status": "Succeeded", "outputs": {"statusCode": 200, "body": {"ok": True}}}}})
    assert record["actions"]["Call"]["status"] == "Succeeded"
    assert record["actions"]["Call"]["code"] == "OK"
    assert record["actions"]["Body"]["outputs"] == {"ok": True}


def test_secure_data_is_hidden_in_history_but_seen_by_later_actions(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Secret": {"type": "Compose", "inputs": "@triggerBody()",
                   "runtimeConfiguration": {"secureData": {"properties": ["inputs",
                                                                          "outputs"]}}},
        "Length": {"type": "Compose", "inputs": "@length(outputs('Secret'))",
                   "runAfter": {"Secret": ["Succeeded"]}},
    }, "hunter2")
    secret = record["actions"]["Secret"]
    assert "hunter2" not in str(secret)
    assert secret["inputs"] == secret["outputs"] == \
        "Content not shown due to security configuration."
    assert record["actions"]["Length"]["outputs"] == 7


def test_secure_parameters_never_reach_the_run_record(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Use": {"type": "Compose", "inputs": "Bearer @{parameters('key')}"},
    }, parameters={"key": "s3cr3t-value"}, secure_parameters=frozenset({"key"}))
    assert record["actions"]["Use"]["outputs"] == "Bearer ***"
    assert "s3cr3t-value" not in str(record)


def test_tracked_properties_are_evaluated_after_the_action(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Call": {"type": "Compose", "inputs": {"id": 42},
                 "trackedProperties": {"id": "@action()?['outputs']?['id']",
                                       "status": "@action()?['status']",
                                       "fixed": "x"}},
    })
    assert record["actions"]["Call"]["trackedProperties"] == {
        "id": 42, "status": "Succeeded", "fixed": "x"}


def test_retry_policy_fixed_retries_then_succeeds_on_durable_timers(
        sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        run_id = await h.start({"Call": {"type": "TestFlaky", "inputs": {
            "failures": 2, "retryPolicy": {"type": "fixed", "count": 3,
                                           "interval": "PT10S"}}}})
        return await h.through_timers(run_id, 1)

    waits, record = run(sqlite_services, body, clock=ManualClock())
    call = record["actions"]["Call"]
    assert waits == [10.0, 10.0]
    assert call["status"] == "Succeeded"
    assert call["outputs"]["body"] == {"calls": 3}
    assert [r["code"] for r in call["retryHistory"]] == ["InternalServerError"] * 2


def test_the_default_retry_policy_waits_exponentially_within_bounds(
        sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        run_id = await h.start({"Call": {"type": "TestFlaky", "inputs": {"failures": 9}}})
        return await h.through_timers(run_id, 5)

    waits, record = run(sqlite_services, body, clock=ManualClock())
    assert len(waits) == 4
    assert 5 <= waits[0] <= 7.5 and 7.5 <= waits[1] <= 15
    assert 15 <= waits[2] <= 30 and 30 <= waits[3] <= 45
    assert record["actions"]["Call"]["status"] == "Failed"
    assert len(record["actions"]["Call"]["retryHistory"]) == 4


def test_a_stateless_run_waits_its_retries_in_the_process(sqlite_services: Services
                                                          ) -> None:
    async def body(h: Harness) -> Any:
        run_id = await h.start({"Call": {"type": "TestFlaky", "inputs": {
            "failures": 1, "retryPolicy": {"type": "fixed", "count": 1,
                                           "interval": "PT20S"}}}}, kind="Stateless")
        await asyncio.sleep(0.02)
        waits = list(h.clock.sleeping)
        local = h.engine.local[run_id]
        assert local.task is not None
        await h.clock.advance(20)
        await local.task
        return waits, local.state.records["Call"]

    waits, call = run(sqlite_services, body, clock=ManualClock())
    assert sorted(waits) == [20.0, 300.0]  # the retry's interval; the run's 5 minutes
    assert call["status"] == "Succeeded" and len(call["retryHistory"]) == 1


def test_retry_policy_none_fails_at_once(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {"Call": {"type": "TestFlaky", "inputs": {
        "failures": 1, "retryPolicy": {"type": "none"}}}})
    assert record["actions"]["Call"]["status"] == "Failed"
    assert record["actions"]["Call"]["retryHistory"] == []


def test_limit_timeout_times_the_action_out(sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        run_id = await h.start({
            "Slow": {"type": "TestSlow", "inputs": {"seconds": 100},
                     "limit": {"timeout": "PT10S"}},
            "After": {"type": "Compose", "inputs": 1, "runAfter": {"Slow": ["TimedOut"]}},
        })
        await asyncio.sleep(0.05)
        await h.clock.advance(10)
        return await h.finish(run_id)

    record = run(sqlite_services, body, clock=ManualClock())
    assert statuses(record) == {"Slow": "TimedOut", "After": "Succeeded"}
    assert record["actions"]["Slow"]["code"] == "ActionTimedOut"


def test_client_tracking_id_follows_the_trigger_correlation(
        sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        version = h.source.add({"triggers": {"manual": {
            "type": "Request", "kind": "Http",
            "correlation": {"clientTrackingId": "@{triggerBody()?['a']}-@{triggerBody()?['b']}"}}},
            "actions": {"C": {"type": "Compose", "inputs": 1}}})
        from tests.runtime.engine.support import request

        first = await h.engine.start_run(version, request({"a": "x", "b": "y"}))
        plain = h.source.add({"triggers": {"manual": {"type": "Request"}},
                              "actions": {"C": {"type": "Compose", "inputs": 1}}})
        second = await h.engine.start_run(plain, request(None, {"x-ms-client-tracking-id":
                                                                "mine"}))
        third = await h.engine.start_run(plain, request(None))
        return [await h.finish(r.run_id) for r in (first, second, third)]

    first, second, third = run(sqlite_services, body)
    assert first["clientTrackingId"] == "x-y"
    assert second["clientTrackingId"] == "mine"
    assert third["clientTrackingId"] == third["id"]


def test_definition_outputs_are_evaluated_at_the_end(sqlite_services: Services) -> None:
    record = simple(sqlite_services, {"C": {"type": "Compose", "inputs": 5}}, definition={
        "outputs": {"result": {"type": "Int", "value": "@add(outputs('C'), 1)"}}})
    assert record["outputs"] == {"result": {"type": "Int", "value": 6}}


def test_a_huge_foreach_fails_with_a_clear_error_instead_of_running(
        sqlite_services: Services) -> None:
    record = simple(sqlite_services, {
        "Loop": {"type": "Foreach", "foreach": "@range(0, 100001)",
                 "actions": {"C": {"type": "Compose", "inputs": 1}}},
    })
    loop = record["actions"]["Loop"]
    assert loop["status"] == "Failed"
    assert "100000" in loop["error"]["message"]
    assert "C" not in record["actions"]


def test_an_expression_bomb_fails_its_action_quickly(sqlite_services: Services) -> None:
    bomb = "@string(" * 1 + "range(0, 5000000)" + ")"
    record = simple(sqlite_services, {"Bomb": {"type": "Compose", "inputs": bomb},
                                      "After": {"type": "Compose", "inputs": 1,
                                                "runAfter": {"Bomb": ["Failed"]}}})
    assert record["actions"]["Bomb"]["status"] == "Failed"
    assert record["actions"]["Bomb"]["code"] == "InvalidTemplate"
    assert record["actions"]["After"]["status"] == "Succeeded"


def test_retries_inside_a_foreach_wait_on_durable_timers_and_every_item_ends(
        sqlite_services: Services) -> None:
    async def body(h: Harness) -> Any:
        run_id = await h.start({"Each": {
            "type": "Foreach", "foreach": "@createArray(1, 2, 3)", "actions": {
                "Call": {"type": "TestFlaky", "inputs": {
                    "failures": 1, "n": "@items('Each')",
                    "retryPolicy": {"type": "fixed", "count": 2, "interval": "PT10S"}}}}}})
        return await h.through_timers(run_id, 1)

    waits, record = run(sqlite_services, body, clock=ManualClock())
    # The handler's count is per action: the first call of the three fails, its
    # iteration waits durably while the others end, then its retry succeeds.
    assert waits == [10.0]
    assert record["status"] == "Succeeded"
    repetitions = record["actions"]["Call"]["repetitions"]
    assert [r["status"] for r in repetitions] == ["Succeeded"] * 3
    assert CALLS[f"{record['id']}/Call"] == 4
