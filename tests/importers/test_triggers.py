from __future__ import annotations

from tests.importers.conftest import import_json, swagger_doc

WEBHOOK_PATHS = {
    "/hooks": {
        "x-ms-notification-content": {"description": "A ticket",
                                      "schema": {"$ref": "#/definitions/Ticket"}},
        "post": {
            "operationId": "OnTicket", "summary": "When a ticket is created",
            "description": "Fires on new tickets.", "x-ms-trigger": "single",
            "parameters": [{"name": "body", "in": "body", "schema": {
                "type": "object", "properties": {"callbackUrl": {
                    "type": "string", "x-ms-notification-url": True}}}}],
            "responses": {"201": {"description": "created",
                                  "headers": {"Location": {"type": "string"}}}},
        },
    },
    "/poll": {"get": {
        "operationId": "PollTickets", "summary": "When tickets change",
        "description": "Polls.", "x-ms-trigger": "batch",
        "x-ms-trigger-metadata": {"mode": "polling", "kind": "query"},
        "responses": {"200": {"description": "ok", "schema": {"type": "array"}}},
    }},
    "/weird": {"get": {"operationId": "Weird", "x-ms-trigger": "sometimes",
                       "responses": {}}},
}


def test_webhook_polling_and_invalid_triggers() -> None:
    props = {"properties": {"policyTemplateInstances": [{
        "templateId": "pollingtrigger", "title": "p",
        "parameters": {"x-ms-apimTemplateParameter.triggerConfig": {"since": "@x"},
                       "x-ms-apimTemplate-operationName": ["PollTickets", "Other"]}}]}}
    doc = swagger_doc(paths=WEBHOOK_PATHS)
    result = import_json(doc, properties=props)
    c = result.connector
    assert c is not None
    hook, poll, weird = c.operations
    assert hook.kind == "trigger" and hook.trigger is not None
    assert (hook.trigger.kind, hook.trigger.cardinality,
            hook.trigger.notification_url_parameter) == ("webhook", "single",
                                                         "body.callbackUrl")
    assert hook.trigger.notification_schema is not None
    assert hook.trigger.notification_schema["type"] == "object"
    assert poll.trigger is not None
    assert (poll.trigger.kind, poll.trigger.cardinality) == ("polling", "batch")
    assert poll.trigger.metadata["mode"] == "polling"
    assert poll.trigger.metadata["pollingPolicy"]["x-ms-apimTemplate-operationName"] == [
        "PollTickets", "Other"]
    assert weird.trigger is not None and weird.trigger.cardinality == "single"
    assert ("extension-value", "/paths/~1weird/get/x-ms-trigger") in {
        (f.rule, f.pointer) for f in result.findings}
    assert len(c.triggers) == 3


def test_polling_policy_on_an_action_is_a_warning() -> None:
    props = {"properties": {"policyTemplateInstances": [{
        "templateId": "pollingtrigger", "parameters": {
            "x-ms-apimTemplate-operationName": ["GetTicket"]}}]}}
    result = import_json(swagger_doc(), properties=props)
    assert [f.rule for f in result.findings] == ["trigger-policy-without-trigger"]
    assert result.connector is not None and result.connector.triggers == []


def test_webhook_by_notification_url_query_parameter() -> None:
    doc = swagger_doc(paths={"/sub": {"post": {
        "operationId": "Sub", "x-ms-trigger": "batch", "responses": {},
        "parameters": [{"name": "callback", "in": "query", "type": "string",
                        "x-ms-notification-url": True}]}}})
    op = import_json(doc).connector.operations[0]  # type: ignore[union-attr]
    assert op.trigger is not None
    assert (op.trigger.kind, op.trigger.notification_url_parameter) == ("webhook", "callback")
