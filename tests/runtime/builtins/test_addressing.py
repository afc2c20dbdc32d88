"""Deploy refuses a ServiceProvider action or trigger that would only fail when it runs:
an unknown connector or operation, the wrong kind of operation, a connection made for
another connector or lacking a required parameter — each at its field."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.builtins import load_providers
from runtime.definitions import WorkflowSpec, check
from runtime.errors import DefinitionInvalid

SMTP = {"serviceProvider": {"id": "/serviceProviders/Smtp"},
        "parameterValues": {"ServerAddress": "@appsetting('SMTP_HOST')", "port": 587}}
FTP = {"serviceProvider": {"id": "/serviceProviders/Ftp"},
       "parameterValues": {"serverAddress": "ftp.example.net", "username": "u",
                           "password": "p"}}
CONFIG = "/inputs/serviceProviderConfiguration"


def _node(operation: str, connection: str, provider: str = "/serviceProviders/Smtp",
          **more: Any) -> dict[str, Any]:
    return {"type": "ServiceProvider", "inputs": {"parameters": {},
            "serviceProviderConfiguration": {"connectionName": connection,
                                             "operationId": operation,
                                             "serviceProviderId": provider}}, **more}


def _findings(triggers: dict[str, Any], actions: dict[str, Any],
              connections: dict[str, Any]) -> dict[str, str]:
    load_providers()
    spec = WorkflowSpec(name="w", definition={"triggers": triggers, "actions": actions},
                        service_provider_connections=connections)
    try:
        check([spec])
    except DefinitionInvalid as exc:
        return {d["pointer"]: d["message"] for d in exc.details}
    return {}


REQUEST = {"manual": {"type": "Request", "kind": "Http"}}


def test_a_well_addressed_action_and_trigger_deploy() -> None:
    trigger = {"files": _node("whenFtpFilesAreAddedOrModified", "ftp",
                              "/serviceProviders/Ftp",
                              recurrence={"frequency": "Minute", "interval": 1})}
    assert _findings(trigger, {"Send": {**_node("sendEmail", "mail"), "runAfter": {}}},
                     {"mail": SMTP, "ftp": FTP}) == {}


@pytest.mark.parametrize(("connection", "message"), [
    (FTP, "is for '/serviceProviders/Ftp', not '/serviceProviders/Smtp'"),
    ({**SMTP, "parameterValues": {"port": 25}}, "lacks 'serverAddress'"),
    ({**SMTP, "parameterValues": {"serverAddress": ""}}, "lacks 'serverAddress'"),
    ({**SMTP, "parameterValues": ["x"]}, "needs parameterValues as an object"),
])
def test_a_connection_that_cannot_serve_the_action_is_refused_at_its_name(
        connection: dict[str, Any], message: str) -> None:
    found = _findings(REQUEST, {"Send": {**_node("sendEmail", "mail"), "runAfter": {}}},
                      {"mail": connection})
    assert message in found[f"/definition/actions/Send{CONFIG}/connectionName"]


def test_a_trigger_is_checked_like_an_action_and_kinds_do_not_mix() -> None:
    every_minute = {"recurrence": {"frequency": "Minute", "interval": 1}}
    found = _findings(
        {"unknown": _node("x", "mail", "/serviceProviders/nope", **every_minute),
         "action_as_trigger": _node("sendEmail", "mail", **every_minute),
         "no_connection": _node("whenFtpFilesAreAddedOrModified", "missing",
                                "/serviceProviders/Ftp", **every_minute),
         "no_config": {"type": "ServiceProvider", "inputs": {}, **every_minute}},
        {"Trigger_as_action": {**_node("whenFtpFilesAreAddedOrModified", "ftp",
                                       "/serviceProviders/Ftp"), "runAfter": {}}},
        {"mail": SMTP, "ftp": FTP})
    root = "/definition/triggers"
    assert "no built-in connector" in found[f"{root}/unknown{CONFIG}/serviceProviderId"]
    assert "'sendEmail' of '/serviceProviders/Smtp' is an action" in \
        found[f"{root}/action_as_trigger{CONFIG}/operationId"]
    assert "no service provider connection 'missing'" in \
        found[f"{root}/no_connection{CONFIG}/connectionName"]
    assert "needs a serviceProviderConfiguration" in found[f"{root}/no_config{CONFIG}"]
    assert "is a trigger" in \
        found[f"/definition/actions/Trigger_as_action{CONFIG}/operationId"]
